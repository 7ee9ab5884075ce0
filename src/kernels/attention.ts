// The attention kernel (shaders/attention.wgsl): softmax(q k^T * scale) v per query row and head,
// causal, grouped-query. Inside a plan (attention-arena.wgsl) it runs on one sequence's
// contiguous Q, K, V, query row t at position t (a tensor-parallel layer); the serving decoder
// runs the same shader through a paged KV cache (attention-paged.ts). Its CPU oracle computes in
// f64 from each sequence's contiguous keys and values; the GPU must match it within the bound
// below.
//
// Tolerance (f32, u = 2^-24, gamma_n = n u / (1 - n u)). A score s_t = scale (q . k_t) is off
// by at most ds_t = gamma_d scale sum_i |q_i k_ti| + u |s_t|. Softmax moves each weight p_t by
// a factor exp(ds_t - sum_j p_j ds_j), so by at most 2 max_t ds_t relative (to first order),
// plus the exponential's own error (taken as 8 ulp, 16 u: WGSL's exp is not correctly rounded)
// and the two sums of n terms (gamma_n each). The output sum_t p_t v_t moves by
//     tol = 2 (2 max_t ds_t + 16 u + 2 gamma_n) sum_t p_t |v_t|   (+ the smallest normal),
// doubled for the second-order terms this leaves out.
import { type Kernel, type KernelCall, operandValue, uniformWords } from './kernel.ts';
import { F32_UNIT_ROUNDOFF } from './matmul.ts';

/** Invocations of a workgroup: one workgroup per (query row, query head). */
export const ATTENTION_WG = 64;

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

/**
 * An attention op's params: one sequence of `tokens` tokens, `heads` heads of `headDim` (MHA:
 * as many KV heads as query heads). A type, not an interface, so that it is a KernelParams.
 */
export type AttentionParams = {
  readonly tokens: number;
  readonly heads: number;
  readonly headDim: number;
};

/** The values as f32, without a copy when they already are. */
export const f32 = (x: ArrayLike<number>): Float32Array =>
  x instanceof Float32Array ? x : Float32Array.from(x);

/** One sequence, token t attending to 0..t: the oracle and its tolerance, on `out`. */
function oneSequence(p: AttentionParams, v: Parameters<Kernel['oracle']>[1]) {
  const rows = Array.from({ length: p.tokens }, (_, pos) => ({ seq: 0, pos }));
  const kv = {
    keys: f32(operandValue(v, 'k')),
    values: f32(operandValue(v, 'v')),
    length: p.tokens,
  };
  const shape = { qHeads: p.heads, kvHeads: p.heads, headDim: p.headDim };
  return attentionCpu(shape, [kv], rows, f32(operandValue(v, 'q')));
}

export const attentionKernel = {
  name: 'attention',
  title: 'softmax(Q K^T / sqrt(d)) V, causal',
  params: ['tokens', 'heads', 'headDim'],
  operands: ({ tokens, heads, headDim }) => {
    const n = tokens * heads * headDim;
    return [
      { name: 'q', count: n, access: 'read' },
      { name: 'k', count: n, access: 'read' },
      { name: 'v', count: n, access: 'read' },
      // Working space of tokens x heads x tokens: written and read back, not a result.
      { name: 'scores', count: tokens * heads * tokens, access: 'scratch' },
      { name: 'out', count: n, access: 'write' },
    ];
  },
  oracle: (p, v) => ({ out: oneSequence(p, v).out }),
  tolerance: (p, v) => ({ out: oneSequence(p, v).tolerance }),
  // Causal: q . k and p v over t + 1 tokens for token t, 2 flops a multiply-add each.
  flops: ({ tokens, heads, headDim }) => 4 * heads * headDim * ((tokens * (tokens + 1)) / 2),
  bytes: ({ tokens, heads, headDim }) => 4 * 4 * tokens * heads * headDim,
  arena: (p, at) => ({
    program: {
      label: 'attention (arena)',
      shaders: ['attention-arena', 'attention'],
      aliases: {},
      constants: { WG: ATTENTION_WG },
    },
    // attention-arena.wgsl's Params: one sequence (one block of `tokens`), the scale, offsets.
    uniform: uniformWords(
      [p.heads, p.heads, p.headDim, 1, 1, p.tokens, 0, 0, at('q'), at('k'), at('v')].concat([
        at('scores'),
        at('out'),
        0,
        0,
        0,
      ]),
      { 6: 1 / Math.sqrt(p.headDim) },
    ),
    workgroups: [p.heads, p.tokens, 1],
  }),
} satisfies Kernel<AttentionParams>;

/** An attention task on `rank` over one sequence (q, k, v, out: [token][head][headDim]). */
export function attentionOp<Place>(
  rank: number,
  operands: {
    readonly q: Place;
    readonly k: Place;
    readonly v: Place;
    readonly scores: Place;
    readonly out: Place;
  },
  params: AttentionParams,
): KernelCall<Place, AttentionParams> {
  return { kind: 'kernel', kernel: 'attention', rank, operands, params };
}
