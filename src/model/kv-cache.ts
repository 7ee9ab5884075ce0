// The KV cache's arithmetic, as the textbook's inference chapter writes it (MODELS.md,
// "Inference"): what one token costs, what a batch of sequences costs, what paging in blocks
// wastes, and the gain continuous batching should bring. Plain functions, no GPU; bad input is
// a RangeError naming the value and the rule.

export interface KvShape {
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
  /** Bytes per element: 2 for fp16/bf16, 1 for fp8, 0.5 for a 4-bit cache. */
  readonly dtypeBytes: number;
}

/** Whole numbers from 1 (layers, heads, tokens...). */
function whole(name: string, value: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(`${name} ${value} must be a whole number from 1 to ${max}`);
  }
}

export function checkKvShape(s: KvShape): void {
  whole('layers', s.layers);
  whole('KV heads', s.kvHeads);
  whole('head dim', s.headDim);
  if (!(Number.isFinite(s.dtypeBytes) && s.dtypeBytes > 0)) {
    throw new RangeError(`bytes per element ${s.dtypeBytes} must be a number > 0`);
  }
}

/** 2 (K and V) x layers x kv_heads x head_dim x bytes per element. */
export function kvBytesPerToken(s: KvShape): number {
  checkKvShape(s);
  return 2 * s.layers * s.kvHeads * s.headDim * s.dtypeBytes;
}

/** Per token x tokens x batch: a batch of `batch` sequences of `tokens` tokens each. */
export function kvTotalBytes(bytesPerToken: number, tokens: number, batch = 1): number {
  if (!(Number.isFinite(bytesPerToken) && bytesPerToken > 0)) {
    throw new RangeError(`bytes per token ${bytesPerToken} must be a number > 0`);
  }
  whole('tokens', tokens);
  whole('batch', batch);
  return bytesPerToken * tokens * batch;
}

export interface PagedKv {
  /** S rounded up to whole blocks: S_pad = ceil(S / block) x block. */
  readonly padded_tokens: number;
  readonly blocks: number;
  /** Per token x S_pad x batch. */
  readonly paged_bytes: number;
  /** (S_pad - S) / S_pad: the share of the reserved slots no token fills (the last block's). */
  readonly waste_fraction: number;
}

/** A sequence of `tokens` tokens held in blocks of `blockTokens` tokens (16 as vLLM). */
export function pagedKv(
  bytesPerToken: number,
  tokens: number,
  batch = 1,
  blockTokens = 16,
): PagedKv {
  kvTotalBytes(bytesPerToken, tokens, batch);
  whole('block tokens', blockTokens);
  const blocks = Math.ceil(tokens / blockTokens);
  const padded = blocks * blockTokens;
  return {
    padded_tokens: padded,
    blocks,
    paged_bytes: bytesPerToken * padded * batch,
    waste_fraction: (padded - tokens) / padded,
  };
}

/**
 * The textbook's estimate of continuous over static batching: about 1 + CV^2 / 2, CV the
 * coefficient of variation of output lengths. A static batch waits for its longest member;
 * the more the lengths spread, the longer the others' slots sit idle.
 */
export function continuousBatchingGain(cv: number): number {
  if (!(Number.isFinite(cv) && cv >= 0)) {
    throw new RangeError(`coefficient of variation ${cv} must be a number >= 0`);
  }
  return 1 + (cv * cv) / 2;
}
