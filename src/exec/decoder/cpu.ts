// The decoder on the CPU, unsharded, in f64 with a contiguous KV cache per sequence: the
// reference the GPU decoder's logits are checked against (src/exec/decoder/gpu.ts, sharded over
// ranks, paged cache, f32).
//
// Tolerance: the GPU computes in f32 (u = 2^-24). Each layer runs matmuls of depth d, 4d and
// heads x head_dim, each within gamma_K sum |a b| of exact, and norms that rescale errors by
// O(1); over L layers the relative error of the logits is bounded, to first order and for
// weights scaled by 1/sqrt(fan-in) as here, by about L x 4d x u. logitTolerance allows that
// much relative to 1 + max |logit|. Measured: 2-3 u (errors mostly cancel), so the bound has
// room, yet it is far below the gap between distinct logits of random weights (order 1e-2): a
// wrong head, block or position shows up at once.
import { attentionCpu, type ContiguousKv } from '../../kernels/attention.ts';
import { geluF32 } from '../../kernels/bias-gelu.ts';
import { F32_UNIT_ROUNDOFF } from '../../kernels/matmul.ts';
import { type DecoderConfig, type DecoderWeights, ffnWidth, RMS_EPS } from './model.ts';

/** Largest |gpu - cpu| allowed for a logit, relative to 1 + max |logit| of the pass. */
export function logitTolerance(c: DecoderConfig): number {
  return c.layers * ffnWidth(c) * F32_UNIT_ROUNDOFF;
}

/** A token of a forward pass: sequence, its position there, and the token id. */
export interface DecoderRow {
  readonly seq: number;
  readonly pos: number;
  readonly token: number;
}

function matmul(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number) {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p] as number;
      for (let j = 0; j < n; j++)
        c[i * n + j] = (c[i * n + j] as number) + av * (b[p * n + j] as number);
    }
  }
  return c;
}

function rmsnorm(x: Float64Array, g: Float32Array, rows: number, d: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += (x[r * d + c] as number) ** 2;
    const inv = 1 / Math.sqrt(s / d + RMS_EPS);
    for (let c = 0; c < d; c++) y[r * d + c] = (x[r * d + c] as number) * inv * (g[c] as number);
  }
  return y;
}

export class DecoderCpu {
  /** caches[layer][seq]: keys and values so far, [token][kvHead][headDim]. */
  private readonly caches: { keys: number[]; values: number[] }[][];

  constructor(readonly weights: DecoderWeights) {
    this.caches = weights.layers.map(() => []);
  }

  /** Forgets a sequence's cache (the scheduler freed or preempted it). */
  drop(seq: number): void {
    for (const layer of this.caches) delete layer[seq];
  }

  /** Logits [row][vocab] of the rows, appending their keys and values to the caches. */
  forward(batch: readonly DecoderRow[]): Float64Array {
    const w = this.weights;
    const { dModel: d, qHeads, kvHeads, headDim, vocab } = w.config;
    const n = batch.length;
    let x = new Float64Array(n * d);
    batch.forEach((row, r) => {
      for (let c = 0; c < d; c++) {
        x[r * d + c] =
          (w.tokEmb[row.token * d + c] as number) + (w.posEmb[row.pos * d + c] as number);
      }
    });
    const kvw = kvHeads * headDim;
    w.layers.forEach((lw, l) => {
      const h = rmsnorm(x, lw.norm1, n, d);
      const q = matmul(h, lw.wq, n, d, qHeads * headDim);
      const k = matmul(h, lw.wk, n, d, kvw);
      const v = matmul(h, lw.wv, n, d, kvw);
      const layer = this.caches[l] as { keys: number[]; values: number[] }[];
      batch.forEach((row, r) => {
        const cache = layer[row.seq] ?? { keys: [], values: [] };
        layer[row.seq] = cache;
        if (cache.keys.length !== row.pos * kvw) {
          throw new RangeError(
            `sequence ${row.seq} holds ${cache.keys.length / kvw} tokens; row at position ${row.pos} must come next`,
          );
        }
        cache.keys.push(...k.subarray(r * kvw, (r + 1) * kvw));
        cache.values.push(...v.subarray(r * kvw, (r + 1) * kvw));
      });
      const seqs: ContiguousKv[] = [];
      for (const [seq, cache] of layer.entries()) {
        if (!cache) continue;
        seqs[seq] = {
          keys: Float32Array.from(cache.keys),
          values: Float32Array.from(cache.values),
          length: cache.keys.length / kvw,
        };
      }
      const att = attentionCpu(
        { qHeads, kvHeads, headDim },
        seqs,
        batch.map(({ seq, pos }) => ({ seq, pos })),
        Float32Array.from(q),
      ).out;
      const o = matmul(att, lw.wo, n, qHeads * headDim, d);
      x = x.map((xv, i) => xv + (o[i] as number));
      const h2 = rmsnorm(x, lw.norm2, n, d);
      const f = ffnWidth(w.config);
      const z = matmul(h2, lw.w1, n, d, f);
      const u = z.map((zv, i) => geluF32(zv + (lw.b1[i % f] as number)));
      const y = matmul(u, lw.w2, n, f, d);
      x = x.map((xv, i) => xv + (y[i] as number));
    });
    return matmul(rmsnorm(x, w.normF, n, d), w.wOut, n, d, vocab);
  }
}
