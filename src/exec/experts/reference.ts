// The reference of a MoE layer: the whole layer computed in f64 on all T tokens at once (no
// ranks, no AllToAllv), with beside every value a bound on how far an f32 execution of the plan
// may lie from it (the (v, e) arithmetic of src/exec/training/reference.ts):
//
//   logits = x Wg                        matmul's bound
//   routing                              from the f64 logits (src/plans/experts/routing.ts)
//   gate p of a kept copy                the GPU routes from its own logits, within eps of
//                                        these: a softmax moves by at most a factor e^(2 eps),
//                                        so e_p = p (e^(2 eps) - 1) + u p e^(2 eps) (f32's
//                                        rounding of the gate)
//   y = GeLU(x W1 + b1) W2               matmul, bias and GeLU bounds, then matmul's
//   s = p y                              e_s = m_p e_y + |y| e_p + u m_s
//   out[t] = s_first (+ s_second)        e = sum e_s + u m_out where two are added
//
// Each f64 operation's own rounding is covered by a relative 2^-40 at the end.
import { F32_UNIT_ROUNDOFF } from '../../kernels/matmul.ts';
import type { MoeSpec } from '../../plans/experts/moe-layer.ts';
import { type Routing, routeTokens } from '../../plans/experts/routing.ts';
import {
  type Bounded,
  checkBounded,
  geluForward,
  matmul,
  preActivation,
} from '../training/reference.ts';
import type { MoeInputs } from './inputs.ts';

const u = F32_UNIT_ROUNDOFF;

const exact = (a: Float32Array): Bounded => ({
  v: Float64Array.from(a),
  e: new Float64Array(a.length),
});

export interface MoeReference {
  readonly logits: Bounded;
  readonly routing: Routing;
  /** T x d. */
  readonly out: Bounded;
}

/** How an execution's output and routing compare with the reference. */
export interface MoeCheck {
  /** The largest |got - reference| over the layer's output, and the bound there. */
  readonly max_abs_err: number;
  readonly bound: number;
  /** Output elements outside their bound. */
  readonly wrong: number;
  /** Whether its logits routed every copy where the reference's did (and dropped the same). */
  readonly routing_agrees: boolean;
  readonly ok: boolean;
}

/** `out` (T x d) and `routing` held to the reference. */
export function checkMoeOutput(
  out: ArrayLike<number>,
  routing: Routing,
  ref: MoeReference,
): MoeCheck {
  const routing_agrees =
    ref.routing.dropped === routing.dropped &&
    ref.routing.choice.every((e, i) => e === routing.choice[i]);
  const c = checkBounded(out, ref.out);
  return {
    max_abs_err: c.max_abs_err,
    bound: c.max_bound,
    wrong: c.wrong,
    routing_agrees,
    ok: routing_agrees && c.wrong === 0,
  };
}

export function moeReference(spec: MoeSpec, inputs: MoeInputs): MoeReference {
  const { tokens: T, d, hidden: h, experts: E, topK: k } = spec;
  const logits = matmul(exact(inputs.x), exact(inputs.wg), T, d, E);
  const routing = routeTokens(logits.v, spec);
  const out: Bounded = { v: new Float64Array(T * d), e: new Float64Array(T * d) };
  const magnitude = new Float64Array(T * d);
  for (let t = 0; t < T; t++) {
    let eps = 0;
    for (let e = 0; e < E; e++) eps = Math.max(eps, logits.e[t * E + e] as number);
    const grow = Math.exp(2 * eps);
    const row = exact(inputs.x.subarray(t * d, (t + 1) * d));
    let kept = 0;
    for (let c = 0; c < k; c++) {
      const e = routing.choice[t * k + c] as number;
      if (e < 0) continue;
      kept++;
      const p = routing.gate[t * k + c] as number;
      const ep = p * (grow - 1) + u * p * grow;
      const hid = matmul(row, exact(inputs.w1[e] as Float32Array), 1, d, h);
      const act = geluForward(
        preActivation(hid, Float64Array.from(inputs.b1[e] as Float32Array), 1, h),
      );
      const y = matmul(act, exact(inputs.w2[e] as Float32Array), 1, h, d);
      for (let j = 0; j < d; j++) {
        const yv = y.v[j] as number;
        const ey = y.e[j] as number;
        const sv = p * yv;
        const ms = Math.abs(sv) + (p + ep) * ey + Math.abs(yv) * ep;
        out.v[t * d + j] = (out.v[t * d + j] as number) + sv;
        out.e[t * d + j] =
          (out.e[t * d + j] as number) + (p + ep) * ey + Math.abs(yv) * ep + u * ms;
        magnitude[t * d + j] = (magnitude[t * d + j] as number) + ms;
      }
    }
    if (kept === 2) {
      for (let j = 0; j < d; j++) {
        out.e[t * d + j] = (out.e[t * d + j] as number) + u * (magnitude[t * d + j] as number);
      }
    }
  }
  for (let i = 0; i < out.v.length; i++) {
    out.e[i] = (out.e[i] as number) + 2 ** -40 * Math.abs(out.v[i] as number) + 2 ** -126;
  }
  return { logits, routing, out };
}
