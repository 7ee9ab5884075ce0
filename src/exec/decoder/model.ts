// A small decoder-only transformer with seeded random weights, and how Megatron-LM splits it
// over tensor-parallel ranks. Pre-norm blocks (RMSNorm), learned position embeddings, causal
// grouped-query attention, a GeLU MLP of width 4 d:
//
//   x = tok_emb[token] + pos_emb[pos]
//   per layer:  x += Wo . attention(norm1(x) Wq, norm1(x) Wk, norm1(x) Wv)
//               x += W2 . gelu(norm2(x) W1 + b1)
//   logits = norm_f(x) W_out
//
// Split over N ranks: query and KV heads by rank (Wq, Wk, Wv by columns, Wo by rows), W1 and b1
// by columns, W2 by rows: each layer ends its attention and its MLP in one AllReduce each, as
// Megatron puts them. Embeddings, norms and the LM head stay whole (on every rank).
import { mulberry32 } from '../random/rng.ts';

export interface DecoderConfig {
  readonly layers: number;
  readonly dModel: number;
  readonly qHeads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly vocab: number;
  /** Longest sequence (prompt + output): the position table's length. */
  readonly maxPositions: number;
}

export const DEFAULT_DECODER: DecoderConfig = {
  layers: 2,
  dModel: 64,
  qHeads: 4,
  kvHeads: 2,
  headDim: 16,
  vocab: 256,
  maxPositions: 512,
};

export const RMS_EPS = 1e-5;

export function ffnWidth(c: DecoderConfig): number {
  return 4 * c.dModel;
}

/** RangeError naming the value and the rule for a config (and rank count) that cannot run. */
export function checkDecoder(c: DecoderConfig, ranks = 1): void {
  const bounds: [string, number, number][] = [
    ['layers', c.layers, 64],
    ['model width', c.dModel, 8192],
    ['query heads', c.qHeads, 256],
    ['KV heads', c.kvHeads, 256],
    ['head dim', c.headDim, 1024],
    ['vocabulary', c.vocab, 1 << 20],
    ['max positions', c.maxPositions, 1 << 16],
    ['ranks', ranks, 64],
  ];
  for (const [name, v, max] of bounds) {
    if (!Number.isInteger(v) || v < 1 || v > max) {
      throw new RangeError(`${name} ${v} must be a whole number from 1 to ${max}`);
    }
  }
  if (c.qHeads % c.kvHeads !== 0) {
    throw new RangeError(`query heads ${c.qHeads} must be a multiple of KV heads ${c.kvHeads}`);
  }
  if (c.kvHeads % ranks !== 0) {
    throw new RangeError(
      `KV heads ${c.kvHeads} must be a multiple of ${ranks} ranks (heads split by rank)`,
    );
  }
}

export interface LayerWeights {
  readonly norm1: Float32Array;
  /** d x (qHeads headDim), d x (kvHeads headDim) twice, (qHeads headDim) x d. */
  readonly wq: Float32Array;
  readonly wk: Float32Array;
  readonly wv: Float32Array;
  readonly wo: Float32Array;
  readonly norm2: Float32Array;
  /** d x 4d, 4d, 4d x d. */
  readonly w1: Float32Array;
  readonly b1: Float32Array;
  readonly w2: Float32Array;
}

export interface DecoderWeights {
  readonly config: DecoderConfig;
  readonly tokEmb: Float32Array;
  readonly posEmb: Float32Array;
  readonly layers: readonly LayerWeights[];
  readonly normF: Float32Array;
  /** d x vocab. */
  readonly wOut: Float32Array;
}

/** Seeded weights: uniform in [-1, 1) scaled by 1/sqrt(fan-in), norms' gains near 1. */
export function decoderWeights(config: DecoderConfig, seed: number): DecoderWeights {
  checkDecoder(config);
  const next = mulberry32(seed);
  const matrix = (rows: number, cols: number, scale = 1 / Math.sqrt(rows)) =>
    Float32Array.from({ length: rows * cols }, () => (2 * next() - 1) * scale);
  const gain = (n: number) => Float32Array.from({ length: n }, () => 1 + 0.1 * (2 * next() - 1));
  const { dModel: d, qHeads, kvHeads, headDim, vocab } = config;
  const f = ffnWidth(config);
  return {
    config,
    tokEmb: matrix(vocab, d, 1),
    posEmb: matrix(config.maxPositions, d, 0.1),
    layers: Array.from({ length: config.layers }, () => ({
      norm1: gain(d),
      wq: matrix(d, qHeads * headDim),
      wk: matrix(d, kvHeads * headDim),
      wv: matrix(d, kvHeads * headDim),
      wo: matrix(qHeads * headDim, d),
      norm2: gain(d),
      w1: matrix(d, f),
      b1: matrix(1, f, 0.1),
      w2: matrix(f, d),
    })),
    normF: gain(d),
    wOut: matrix(d, vocab),
  };
}

/** Columns [c0, c0 + width) of a row-major rows x cols matrix, as its own matrix. */
export function columns(m: Float32Array, cols: number, c0: number, width: number): Float32Array {
  const rows = m.length / cols;
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++)
    out.set(m.subarray(r * cols + c0, r * cols + c0 + width), r * width);
  return out;
}

/** Rows [r0, r0 + count) of a row-major matrix of `cols` columns. */
export function rows(m: Float32Array, cols: number, r0: number, count: number): Float32Array {
  return m.slice(r0 * cols, (r0 + count) * cols);
}

/** One rank's shard of one layer: its heads' projections and its slice of the MLP. */
export function shardLayer(
  c: DecoderConfig,
  w: LayerWeights,
  rank: number,
  ranks: number,
): LayerWeights {
  const q = (c.qHeads / ranks) * c.headDim;
  const kv = (c.kvHeads / ranks) * c.headDim;
  const f = ffnWidth(c) / ranks;
  return {
    norm1: w.norm1,
    wq: columns(w.wq, c.qHeads * c.headDim, rank * q, q),
    wk: columns(w.wk, c.kvHeads * c.headDim, rank * kv, kv),
    wv: columns(w.wv, c.kvHeads * c.headDim, rank * kv, kv),
    wo: rows(w.wo, c.dModel, rank * q, q),
    norm2: w.norm2,
    w1: columns(w.w1, ffnWidth(c), rank * f, f),
    b1: w.b1.slice(rank * f, (rank + 1) * f),
    w2: rows(w.w2, c.dModel, rank * f, f),
  };
}

/** Bytes of all weights (what a decode step must stream from memory at least once). */
export function weightBytes(w: DecoderWeights): number {
  let n = w.tokEmb.length + w.posEmb.length + w.normF.length + w.wOut.length;
  for (const l of w.layers) for (const a of Object.values(l)) n += (a as Float32Array).length;
  return 4 * n;
}
