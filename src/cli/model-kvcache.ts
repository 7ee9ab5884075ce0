// `fleetlab model kvcache`: the KV cache's arithmetic for students checking the book's numbers:
// bytes per token, the total for a batch, and what paging in blocks rounds it up to.
import { type KvShape, kvBytesPerToken, pagedKv } from '../model/kv-cache.ts';
import { formatBytes } from '../model/units.ts';
import { UsageError } from './args.ts';
import { type CommandSchema, parseCommand, usage } from './schema.ts';

const DTYPE_BYTES = ['0.5', '1', '2', '4', '8'] as const;

export const KVCACHE_SCHEMA = {
  name: 'model kvcache',
  about:
    'KV bytes per token = 2 x layers x kv_heads x head_dim x bytes per element; with --tokens, ' +
    'the total for S tokens of N sequences (per token x S x N), and paged in blocks.',
  positionals: {
    synopsis: '',
    min: 1,
    max: 1,
    choices: ['kvcache'],
    extra: (what: string) => `model kvcache takes no '${what}'`,
  },
  flags: {
    layers: { kind: 'count', min: 1, max: 1024, help: 'layers (required)', meta: 'L' },
    'kv-heads': { kind: 'count', min: 1, max: 1024, help: 'KV heads (required)', meta: 'H' },
    'head-dim': { kind: 'count', min: 1, max: 65536, help: 'head dimension (required)', meta: 'D' },
    'dtype-bytes': {
      kind: 'choice',
      choices: DTYPE_BYTES,
      help: 'bytes per element (required)',
      meta: 'B',
    },
    tokens: { kind: 'count', min: 1, max: 2 ** 30, help: 'tokens per sequence', meta: 'S' },
    batch: {
      kind: 'count',
      min: 1,
      max: 2 ** 20,
      help: 'sequences (needs --tokens; default 1)',
      meta: 'N',
    },
    'block-tokens': {
      kind: 'count',
      min: 1,
      max: 65536,
      default: '16',
      help: 'tokens per KV block',
      meta: 'T',
    },
    json: { kind: 'flag', help: 'one JSON object instead of text' },
  },
} as const satisfies CommandSchema;

export const KVCACHE_USAGE = usage(KVCACHE_SCHEMA);

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

function need<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new UsageError(`model kvcache needs --${name}`);
  return value;
}

export function kvcacheFromArgs(args: string[]): { result: KvCacheResult; json: boolean } {
  const { values } = parseCommand(KVCACHE_SCHEMA, args);
  const layers = need(values.layers, 'layers');
  const kvHeads = need(values['kv-heads'], 'kv-heads');
  const headDim = need(values['head-dim'], 'head-dim');
  const dtypeBytes = Number(need(values['dtype-bytes'], 'dtype-bytes'));
  const shape: KvShape = { layers, kvHeads, headDim, dtypeBytes };
  const blockTokens = values['block-tokens'];
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
  const json = values.json;
  if (values.tokens === undefined) return { result: { ...base, block_tokens: blockTokens }, json };
  const tokens = values.tokens;
  const batch = values.batch ?? 1;
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
