// `fleetlab model kvcache`: the KV cache's arithmetic for students checking the book's numbers:
// bytes per token, the total for a batch, and what paging in blocks rounds it up to.
import { parseArgs } from 'node:util';
import { type KvShape, kvBytesPerToken, pagedKv } from '../model/kv-cache.ts';
import { formatBytes } from '../model/units.ts';
import { parseWhole, UsageError } from './args.ts';

export const KVCACHE_USAGE = `  kvcache: KV bytes per token = 2 x layers x kv_heads x head_dim x bytes per element
      --layers L --kv-heads H --head-dim D --dtype-bytes B   (B: 0.5, 1, 2, 4 or 8)
      [--tokens S [--batch N]]   total = per token x S x N, and paged in blocks
      [--block-tokens T]         tokens per KV block (default 16)   [--json]`;

export const KVCACHE_OPTIONS = {
  layers: { type: 'string' },
  'kv-heads': { type: 'string' },
  'head-dim': { type: 'string' },
  'dtype-bytes': { type: 'string' },
  tokens: { type: 'string' },
  batch: { type: 'string' },
  'block-tokens': { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

const DTYPE_BYTES = [0.5, 1, 2, 4, 8];

/** What `fleetlab model kvcache --json` prints: bytes, tokens and a fraction. */
export interface KvCacheResult {
  readonly layers: number;
  readonly kv_heads: number;
  readonly head_dim: number;
  readonly dtype_bytes: number;
  readonly bytes_per_token: number;
  readonly tokens?: number;
  readonly batch?: number;
  /** bytes_per_token x tokens x batch. */
  readonly total_bytes?: number;
  readonly block_tokens: number;
  readonly padded_tokens?: number;
  readonly paged_bytes?: number;
  readonly waste_fraction?: number;
}

function need(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string') throw new UsageError(`model kvcache needs --${name}`);
  return v;
}

export function kvcacheFromArgs(args: string[]): { result: KvCacheResult; json: boolean } {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: KVCACHE_OPTIONS,
  });
  const extra = positionals.slice(positionals[0] === 'kvcache' ? 1 : 0);
  if (extra.length > 0) throw new UsageError(`model kvcache takes no '${extra[0]}'`);
  const layers = parseWhole('--layers', need(values, 'layers'), 1, 1024);
  const kvHeads = parseWhole('--kv-heads', need(values, 'kv-heads'), 1, 1024);
  const headDim = parseWhole('--head-dim', need(values, 'head-dim'), 1, 65536);
  const dtypeText = need(values, 'dtype-bytes');
  const dtypeBytes = Number(dtypeText);
  if (dtypeText.trim() === '' || !DTYPE_BYTES.includes(dtypeBytes)) {
    throw new UsageError(
      `--dtype-bytes '${dtypeText}' must be one of ${DTYPE_BYTES.join(', ')} (bytes per element)`,
    );
  }
  const shape: KvShape = { layers, kvHeads, headDim, dtypeBytes };
  const blockTokens =
    values['block-tokens'] === undefined
      ? 16
      : parseWhole('--block-tokens', values['block-tokens'], 1, 65536);
  if (values.batch !== undefined && values.tokens === undefined) {
    throw new UsageError('--batch needs --tokens (tokens per sequence)');
  }
  const perToken = kvBytesPerToken(shape);
  const base = {
    layers: shape.layers,
    kv_heads: shape.kvHeads,
    head_dim: shape.headDim,
    dtype_bytes: dtypeBytes,
    bytes_per_token: perToken,
  };
  const json = values.json === true;
  if (values.tokens === undefined) return { result: { ...base, block_tokens: blockTokens }, json };
  const tokens = parseWhole('--tokens', values.tokens, 1, 2 ** 30);
  const batch = values.batch === undefined ? 1 : parseWhole('--batch', values.batch, 1, 2 ** 20);
  const paged = pagedKv(perToken, tokens, batch, blockTokens);
  return {
    result: {
      ...base,
      tokens,
      batch,
      total_bytes: perToken * tokens * batch,
      block_tokens: blockTokens,
      padded_tokens: paged.padded_tokens,
      paged_bytes: paged.paged_bytes,
      waste_fraction: paged.waste_fraction,
    },
    json,
  };
}

/** '524288 B (524 kB, 512 KiB)': the exact count, then GB = 1e9 B and GiB = 2^30 B. */
function bytes(n: number): string {
  return n < 1000 ? `${n} B` : `${n} B (${formatBytes(n).replace(' (', ', ')}`;
}

export function renderKvcache(r: KvCacheResult): string[] {
  const lines = [
    `# fleetlab model: KV cache, ${r.layers} layers x ${r.kv_heads} KV heads x ${r.head_dim} head dim x ${r.dtype_bytes} B`,
    `per token   ${bytes(r.bytes_per_token)} = 2 (K, V) x ${r.layers} x ${r.kv_heads} x ${r.head_dim} x ${r.dtype_bytes} B`,
  ];
  if (
    r.tokens === undefined ||
    r.batch === undefined ||
    r.total_bytes === undefined ||
    r.padded_tokens === undefined ||
    r.paged_bytes === undefined ||
    r.waste_fraction === undefined
  ) {
    return lines;
  }
  const seqs = r.batch === 1 ? '1 sequence' : `${r.batch} sequences`;
  lines.push(
    `total       ${bytes(r.total_bytes)} = per token x ${r.tokens} tokens x ${seqs}`,
    `paged       ${bytes(r.paged_bytes)} in ${r.block_tokens}-token blocks: ${r.padded_tokens} slots per sequence, ${(100 * r.waste_fraction).toFixed(2)} % empty ((S_pad - S) / S_pad)`,
  );
  return lines;
}

export async function runKvcache(args: string[], out: (line: string) => void): Promise<void> {
  const { result, json } = kvcacheFromArgs(args);
  if (json) out(JSON.stringify(result, null, 2));
  else for (const line of renderKvcache(result)) out(line);
}
