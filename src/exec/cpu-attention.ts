// The CPU oracle of attention (shaders/attention.wgsl with attention-paged.wgsl): softmax(q k^T * scale) v per query
// row and head, causal, grouped-query, computed in f64 from each sequence's contiguous keys and
// values. The GPU's paged kernel must match it within the bound below.
//
// Tolerance (f32, u = 2^-24, gamma_n = n u / (1 - n u)). A score s_t = scale (q . k_t) is off
// by at most ds_t = gamma_d scale sum_i |q_i k_ti| + u |s_t|. Softmax moves each weight p_t by
// a factor exp(ds_t - sum_j p_j ds_j), so by at most 2 max_t ds_t relative (to first order),
// plus the exponential's own error (taken as 8 ulp, 16 u: WGSL's exp is not correctly rounded)
// and the two sums of n terms (gamma_n each). The output sum_t p_t v_t moves by
//     tol = 2 (2 max_t ds_t + 16 u + 2 gamma_n) sum_t p_t |v_t|   (+ the smallest normal),
// doubled for the second-order terms this leaves out.
import { F32_UNIT_ROUNDOFF } from './cpu-matmul.ts';

export interface AttentionShape {
  readonly qHeads: number;
  readonly kvHeads: number;
  readonly headDim: number;
}

/** One sequence's cache, contiguous: keys[t][kvHead][d] and values alike, length tokens. */
export interface ContiguousKv {
  readonly keys: Float32Array;
  readonly values: Float32Array;
  readonly length: number;
}

export interface QueryRow {
  readonly seq: number;
  /** The query attends to tokens 0..pos of its sequence. */
  readonly pos: number;
}

export function checkAttentionShape({ qHeads, kvHeads, headDim }: AttentionShape): void {
  for (const [name, v] of [
    ['query heads', qHeads],
    ['KV heads', kvHeads],
    ['head dim', headDim],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 1024) {
      throw new RangeError(`${name} ${v} must be a whole number from 1 to 1024`);
    }
  }
  if (qHeads % kvHeads !== 0) {
    throw new RangeError(`query heads ${qHeads} must be a multiple of KV heads ${kvHeads}`);
  }
}

const gamma = (n: number) => (n * F32_UNIT_ROUNDOFF) / (1 - n * F32_UNIT_ROUNDOFF);

/**
 * out[row][head][d] for query q[row][head][d]; also the per-element tolerance of a GPU result.
 */
export function attentionCpu(
  shape: AttentionShape,
  sequences: readonly ContiguousKv[],
  rows: readonly QueryRow[],
  q: Float32Array,
): { out: Float32Array; tolerance: Float64Array } {
  checkAttentionShape(shape);
  const { qHeads, kvHeads, headDim: d } = shape;
  const group = qHeads / kvHeads;
  const scale = 1 / Math.sqrt(d);
  const out = new Float32Array(rows.length * qHeads * d);
  const tolerance = new Float64Array(out.length);
  const u = F32_UNIT_ROUNDOFF;
  rows.forEach((row, r) => {
    const seq = sequences[row.seq];
    if (!seq) throw new RangeError(`query row ${r} names sequence ${row.seq}, which is not there`);
    if (!Number.isInteger(row.pos) || row.pos < 0 || row.pos >= seq.length) {
      throw new RangeError(`query row ${r} at position ${row.pos} is outside 0..${seq.length - 1}`);
    }
    const n = row.pos + 1;
    for (let h = 0; h < qHeads; h++) {
      const kvh = Math.floor(h / group);
      const qb = (r * qHeads + h) * d;
      const s = new Float64Array(n);
      let maxDs = 0;
      for (let t = 0; t < n; t++) {
        const kb = (t * kvHeads + kvh) * d;
        let dot = 0;
        let abs = 0;
        for (let i = 0; i < d; i++) {
          const p = (q[qb + i] as number) * (seq.keys[kb + i] as number);
          dot += p;
          abs += Math.abs(p);
        }
        s[t] = dot * scale;
        maxDs = Math.max(maxDs, gamma(d) * scale * abs + u * Math.abs(s[t] as number));
      }
      const m = Math.max(...s);
      let sum = 0;
      for (let t = 0; t < n; t++) {
        s[t] = Math.exp((s[t] as number) - m);
        sum += s[t] as number;
      }
      const rel = 2 * maxDs + 16 * u + 2 * gamma(n);
      for (let i = 0; i < d; i++) {
        let acc = 0;
        let absAcc = 0;
        for (let t = 0; t < n; t++) {
          const v = seq.values[(t * kvHeads + kvh) * d + i] as number;
          acc += (s[t] as number) * v;
          absAcc += (s[t] as number) * Math.abs(v);
        }
        out[qb + i] = acc / sum;
        tolerance[qb + i] = 2 * rel * (absAcc / sum) + 2 ** -126;
      }
    }
  });
  return { out, tolerance };
}
