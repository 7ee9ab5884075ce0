// The reference of a training step: the step computed in f64 (exact, for f32's purposes) on the
// whole batch, and beside every value a bound on how far an f32 execution of the plan may lie
// from it. Data parallelism changes only where sums are split (each rank's gradient over its
// rows, then the AllReduce adds N of them), so the reference takes the ranks' rows and bounds
// that execution; the exact values are the full batch's whatever the split.
//
// Each tensor carries (v, e): v exact, e >= |f32 value - v| per element. With u = 2^-24,
// gamma_n = n u / (1 - n u), m(x) = |v| + e (a bound on the f32 value's magnitude):
//   matmul C = A B (any transposition)   e_C = sum_k (e_A m_B + m_A e_B) + gamma_K sum_k m_A m_B
//                                        (the inputs' errors carried through, then the f32
//                                        summation's own: src/kernels/matmul.ts)
//   z = c + bias                         e_z = e_c + u m_z
//   a = GeLU(z)                          e_a = 1.13 e_z + the kernel's own error (kernels/
//                                        bias-gelu.ts; 1.13 bounds |GeLU'|)
//   dy = (a - target) 2 / total          e_dy = s e_a (1 + 3u) + 3u m_dy (two roundings and
//                                        the f32 scale's)
//   dz = dy GeLU'(z)                     with e_g = 0.8 e_z + the kernel's own error of GeLU'
//                                        (kernels/gelu-backward.ts; 0.8 bounds |GeLU''|):
//                                        e_dz = m_g e_dy + m_dy e_g + u m_dz
//   db = column sums of dz (m rows)      e_db = sum e_dz + gamma_m sum m_dz
//   AllReduce of N ranks' gradients      e = sum_r e_r + gamma_{N-1} sum_r m_r (any order)
//   w' = w - lr g                        e_w' = lr e_g + 2u (lr m_g + m_w') (an fma or not)
// Products of two errors are kept (m = |v| + e includes them), so the bounds are not first-order
// only. Each f64 operation's own rounding (2^-53) is covered by a relative 2^-40 at the end.
import { TANH_ABS_TOLERANCE } from '../../kernels/bias-gelu.ts';
import { F32_UNIT_ROUNDOFF } from '../../kernels/matmul.ts';
import type { TrainingInfo } from '../../plans/plan.ts';
import { layerParams, paramCount } from '../../plans/training/mlp.ts';
import type { TrainingInputs } from './inputs.ts';

const u = F32_UNIT_ROUNDOFF;
const MIN_NORMAL = 2 ** -126;
const C = Math.sqrt(2 / Math.PI);
const A = 0.044715;
/** max |GeLU'| and max |GeLU''| of the tanh form, rounded up (test/unit/training-reference). */
export const GELU_MAX_SLOPE = 1.13;
export const GELU_MAX_CURVATURE = 0.8;

const gamma = (n: number) => (n * u) / (1 - n * u);

/** Exact values and a bound on an f32 execution's distance from them. */
export interface Bounded {
  readonly v: Float64Array;
  readonly e: Float64Array;
}

const zeros = (n: number): Bounded => ({ v: new Float64Array(n), e: new Float64Array(n) });

function gelu(z: number): number {
  return 0.5 * z * (1 + Math.tanh(C * (z + A * z ** 3)));
}

function geluGrad(z: number): number {
  const t = Math.tanh(C * (z + A * z ** 3));
  return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * C * (1 + 3 * A * z * z);
}

/**
 * C (m x n) = op(A) op(B): `ta` reads A stored k x m, `tb` reads B stored n x k, as the
 * matmul-tn and matmul-nt kernels do.
 */
export function matmul(
  a: Bounded,
  b: Bounded,
  m: number,
  k: number,
  n: number,
  ta = false,
  tb = false,
): Bounded {
  const out = zeros(m * n);
  const g = gamma(k);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let v = 0;
      let e = 0;
      let mm = 0;
      for (let p = 0; p < k; p++) {
        const ia = ta ? p * m + i : i * k + p;
        const ib = tb ? j * k + p : p * n + j;
        const av = a.v[ia] as number;
        const bv = b.v[ib] as number;
        const ae = a.e[ia] as number;
        const be = b.e[ib] as number;
        const ma = Math.abs(av) + ae;
        const mb = Math.abs(bv) + be;
        v += av * bv;
        e += ae * mb + ma * be;
        mm += ma * mb;
      }
      out.v[i * n + j] = v;
      out.e[i * n + j] = e + g * mm + MIN_NORMAL;
    }
  }
  return out;
}

/** z = c + bias[col] and its bound (bias exact: an input of the step). */
export function preActivation(c: Bounded, bias: Float64Array, rows: number, d: number): Bounded {
  const z = zeros(rows * d);
  for (let i = 0; i < rows * d; i++) {
    const v = (c.v[i] as number) + (bias[i % d] as number);
    z.v[i] = v;
    z.e[i] = (c.e[i] as number) * (1 + u) + u * Math.abs(v) + MIN_NORMAL;
  }
  return z;
}

export function geluForward(z: Bounded): Bounded {
  const out = zeros(z.v.length);
  for (let i = 0; i < z.v.length; i++) {
    const zv = z.v[i] as number;
    const ez = z.e[i] as number;
    const y = gelu(zv);
    const own = 0.5 * (Math.abs(zv) + ez) * TANH_ABS_TOLERANCE + 8 * u * (Math.abs(y) + 1.13 * ez);
    out.v[i] = y;
    out.e[i] = GELU_MAX_SLOPE * ez + own + MIN_NORMAL;
  }
  return out;
}

function mseGrad(a: Bounded, target: Float64Array, total: number): Bounded {
  const s = 2 / total;
  const out = zeros(a.v.length);
  for (let i = 0; i < a.v.length; i++) {
    const v = ((a.v[i] as number) - (target[i] as number)) * s;
    const carried = s * (a.e[i] as number) * (1 + 3 * u);
    out.v[i] = v;
    out.e[i] = carried + 3 * u * (Math.abs(v) + carried) + MIN_NORMAL;
  }
  return out;
}

function geluBackward(z: Bounded, dy: Bounded): Bounded {
  const out = zeros(z.v.length);
  const T = TANH_ABS_TOLERANCE;
  for (let i = 0; i < z.v.length; i++) {
    const zv = z.v[i] as number;
    const ez = z.e[i] as number;
    const mz = Math.abs(zv) + ez;
    const g = geluGrad(zv);
    // The kernel's own error in GeLU' at its input (kernels/gelu-backward.ts), with the parts
    // A = 0.5 (1 + t) in [0, 1] and |B| <= 0.5 |z| |du| bounded by magnitude.
    const du = C * (1 + 3 * A * mz * mz);
    const own = 0.5 * T + 1.25 * mz * du * T + 8 * u * (1 + 0.5 * mz * du);
    const eg = GELU_MAX_CURVATURE * ez + own;
    const dyv = dy.v[i] as number;
    const edy = dy.e[i] as number;
    const v = dyv * g;
    const carried = (Math.abs(g) + eg) * edy + Math.abs(dyv) * eg;
    out.v[i] = v;
    out.e[i] = carried + u * (Math.abs(v) + carried) + MIN_NORMAL;
  }
  return out;
}

function columnSum(x: Bounded, rows: number, d: number): Bounded {
  const out = zeros(d);
  const g = gamma(rows);
  for (let j = 0; j < d; j++) {
    let v = 0;
    let e = 0;
    let mm = 0;
    for (let i = 0; i < rows; i++) {
      v += x.v[i * d + j] as number;
      e += x.e[i * d + j] as number;
      mm += Math.abs(x.v[i * d + j] as number) + (x.e[i * d + j] as number);
    }
    out.v[j] = v;
    out.e[j] = e + g * mm + MIN_NORMAL;
  }
  return out;
}

const exact = (x: ArrayLike<number>): Bounded => ({
  v: Float64Array.from(x),
  e: new Float64Array(x.length),
});

/** One rank's gradient (the layout of 'grad') over `rows` rows from `row0`, bounded. */
function rankGradient(
  info: Pick<TrainingInfo, 'layers' | 'd' | 'batch'>,
  inputs: TrainingInputs,
  row0: number,
  rows: number,
): Bounded {
  const { layers: L, d, batch } = info;
  const params = Float64Array.from(inputs.params);
  const weight = (l: number) =>
    exact(params.subarray(layerParams(d, l).w, layerParams(d, l).w + d * d));
  const bias = (l: number) => params.subarray(layerParams(d, l).b, layerParams(d, l).b + d);
  const x = exact(inputs.x.subarray(row0 * d, (row0 + rows) * d));
  const target = Float64Array.from(inputs.target.subarray(row0 * d, (row0 + rows) * d));
  const acts: Bounded[] = [x];
  const pre: Bounded[] = [];
  for (let l = 0; l < L; l++) {
    const c = matmul(acts[l] as Bounded, weight(l), rows, d, d);
    const z = preActivation(c, bias(l), rows, d);
    pre.push(z);
    acts.push(geluForward(z));
  }
  const grad = zeros(paramCount(info));
  let dy = mseGrad(acts[L] as Bounded, target, batch * d);
  for (let l = L - 1; l >= 0; l--) {
    const dz = geluBackward(pre[l] as Bounded, dy);
    const dw = matmul(acts[l] as Bounded, dz, d, rows, d, true, false);
    const db = columnSum(dz, rows, d);
    const { w, b } = layerParams(d, l);
    grad.v.set(dw.v, w);
    grad.e.set(dw.e, w);
    grad.v.set(db.v, b);
    grad.e.set(db.e, b);
    if (l > 0) dy = matmul(dz, weight(l), rows, d, d, false, true);
  }
  return grad;
}

export interface TrainingReference {
  /** The full batch's gradient, as every rank holds it after the AllReduce. */
  readonly grad: Bounded;
  /** The parameters after the update, as every rank holds them. */
  readonly params: Bounded;
  /** The loss before the update, f64: (1 / (B d)) sum (y - target)^2. */
  readonly loss: number;
}

/** The reference step for the plan's model, batch and rows per rank. */
export function trainingReference(
  info: Pick<TrainingInfo, 'layers' | 'd' | 'batch' | 'rows'>,
  inputs: TrainingInputs,
): TrainingReference {
  const P = paramCount(info);
  const ranks = info.rows.length;
  const grad = zeros(P);
  const magnitude = new Float64Array(P);
  let row0 = 0;
  for (const rows of info.rows) {
    const g = rankGradient(info, inputs, row0, rows);
    for (let i = 0; i < P; i++) {
      grad.v[i] = (grad.v[i] as number) + (g.v[i] as number);
      grad.e[i] = (grad.e[i] as number) + (g.e[i] as number);
      magnitude[i] = (magnitude[i] as number) + Math.abs(g.v[i] as number) + (g.e[i] as number);
    }
    row0 += rows;
  }
  const g = gamma(Math.max(0, ranks - 1));
  for (let i = 0; i < P; i++) grad.e[i] = (grad.e[i] as number) + g * (magnitude[i] as number);
  const lr = inputs.lr;
  const params = zeros(P);
  for (let i = 0; i < P; i++) {
    const v = (inputs.params[i] as number) - lr * (grad.v[i] as number);
    const mg = Math.abs(grad.v[i] as number) + (grad.e[i] as number);
    params.v[i] = v;
    params.e[i] =
      lr * (grad.e[i] as number) +
      2 * u * (lr * mg + Math.abs(v) + lr * (grad.e[i] as number)) +
      MIN_NORMAL;
  }
  for (const t of [grad, params]) {
    for (let i = 0; i < P; i++) t.e[i] = (t.e[i] as number) + 2 ** -40 * Math.abs(t.v[i] as number);
  }
  return { grad, params, loss: loss(info, inputs) };
}

/** The f64 loss of the step's forward pass on the whole batch. */
function loss(info: Pick<TrainingInfo, 'layers' | 'd' | 'batch'>, inputs: TrainingInputs): number {
  const { layers: L, d, batch } = info;
  let a = Float64Array.from(inputs.x);
  for (let l = 0; l < L; l++) {
    const { w, b } = layerParams(d, l);
    const next = new Float64Array(batch * d);
    for (let i = 0; i < batch; i++) {
      for (let j = 0; j < d; j++) {
        let s = inputs.params[b + j] as number;
        for (let p = 0; p < d; p++)
          s += (a[i * d + p] as number) * (inputs.params[w + p * d + j] as number);
        next[i * d + j] = gelu(s);
      }
    }
    a = next;
  }
  let s = 0;
  for (let i = 0; i < batch * d; i++) s += ((a[i] as number) - (inputs.target[i] as number)) ** 2;
  return s / (batch * d);
}

/** How many of `got`'s elements lie outside the bound, and the largest |got - v|. */
export function checkBounded(
  got: ArrayLike<number>,
  want: Bounded,
): { wrong: number; max_abs_err: number; max_bound: number } {
  let wrong = 0;
  let max_abs_err = 0;
  let max_bound = 0;
  for (let i = 0; i < want.v.length; i++) {
    const err = Math.abs((got[i] as number) - (want.v[i] as number));
    if (!(err <= (want.e[i] as number))) wrong++;
    if (!(err <= max_abs_err)) max_abs_err = err;
    max_bound = Math.max(max_bound, want.e[i] as number);
  }
  if (got.length !== want.v.length) wrong += Math.abs(got.length - want.v.length);
  return { wrong, max_abs_err, max_bound };
}
