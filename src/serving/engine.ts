// What the schedulers drive: an engine that runs one forward pass over a batch and says how
// long it took. The schedulers keep virtual time from these answers, so the same scheduler runs
// over the GPU decoder (seconds measured) or over the model below (seconds priced).

/** One sequence's part in a forward pass. */
export interface BatchSeq {
  /** The request's id (its KV pool sequence id). */
  readonly id: number;
  /** A batch slot 0..maxBatch-1, stable while the sequence runs: its block table row. */
  readonly slot: number;
  /** Tokens already in the KV cache before this pass (0 for a prefill). */
  readonly context: number;
  /** Tokens this pass adds: the prompt (and, after a preemption, the output so far) for a
   * prefill; 1 for a decode step. */
  readonly tokens: number;
  /** The sequence's block table, already holding room for context + tokens. */
  readonly blocks: readonly number[];
}

export type Batch = readonly BatchSeq[];

export interface Engine {
  /** Runs the prompts of newly admitted sequences; resolves with the seconds it took. */
  prefill(batch: Batch): Promise<number>;
  /** Runs one decode step (one token per sequence); resolves with the seconds it took. */
  decode(batch: Batch): Promise<number>;
}

export interface ModelEngineOptions {
  /** All the model's weights, bytes (each rank holds weight_bytes / ranks). */
  readonly weight_bytes: number;
  /** KV bytes per token of the whole model: 2 x layers x kv_heads x head_dim x bytes. */
  readonly kv_bytes_per_token: number;
  /** Tensor-parallel ranks: weights and KV heads are split among them. */
  readonly ranks?: number;
  /** One rank's memory bandwidth, bytes per second. */
  readonly memory_Bps: number;
  /** Fixed cost of one pass (dispatches, the AllReduces' latency), seconds. */
  readonly step_latency_s?: number;
  /** With flops_per_s, prices prefill as compute-bound where it is: about 2 x parameters. */
  readonly prefill_flops_per_token?: number;
  /** One rank's arithmetic throughput, flop/s. */
  readonly flops_per_s?: number;
}

/**
 * The textbook's memory-bound step: per-step latency + (weight bytes / ranks + KV bytes read) /
 * memory bandwidth, with KV bytes read per rank (each rank holds kv_heads / ranks of the heads).
 */
export function decodeStepSeconds(o: ModelEngineOptions, kvTokensRead: number): number {
  const ranks = o.ranks ?? 1;
  const bytes = o.weight_bytes / ranks + (kvTokensRead * o.kv_bytes_per_token) / ranks;
  return (o.step_latency_s ?? 0) + bytes / o.memory_Bps;
}

function check(o: ModelEngineOptions): void {
  const positive: [string, number | undefined][] = [
    ['weight bytes', o.weight_bytes],
    ['KV bytes per token', o.kv_bytes_per_token],
    ['memory bandwidth (B/s)', o.memory_Bps],
    ['prefill flops per token', o.prefill_flops_per_token],
    ['flop/s', o.flops_per_s],
  ];
  for (const [name, v] of positive) {
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) {
      throw new RangeError(`${name} ${v} must be a number > 0`);
    }
  }
  const ranks = o.ranks ?? 1;
  if (!Number.isInteger(ranks) || ranks < 1) {
    throw new RangeError(`ranks ${ranks} must be a whole number >= 1`);
  }
  const latency = o.step_latency_s ?? 0;
  if (!(Number.isFinite(latency) && latency >= 0)) {
    throw new RangeError(`step latency ${latency} s must be a number >= 0`);
  }
}

/**
 * An engine priced by the model instead of run. Decode: decodeStepSeconds over every token the
 * step's attention reads (each sequence's context + its new token). Prefill: the same memory
 * model (weights read once for the whole pass, the prompts' KV written), or, given
 * prefill_flops_per_token and flops_per_s, the larger of that and the pass's flops / flop/s
 * (the roofline: long prompts are compute-bound).
 */
export function modelEngine(o: ModelEngineOptions): Engine {
  check(o);
  const ranks = o.ranks ?? 1;
  const tokensRead = (batch: Batch) => batch.reduce((sum, s) => sum + s.context + s.tokens, 0);
  return {
    prefill: async (batch) => {
      const memory_s = decodeStepSeconds(o, tokensRead(batch));
      if (o.prefill_flops_per_token === undefined || o.flops_per_s === undefined) return memory_s;
      const tokens = batch.reduce((sum, s) => sum + s.tokens, 0);
      const compute_s =
        (o.step_latency_s ?? 0) + (tokens * o.prefill_flops_per_token) / ranks / o.flops_per_s;
      return Math.max(memory_s, compute_s);
    },
    decode: async (batch) => decodeStepSeconds(o, tokensRead(batch)),
  };
}
