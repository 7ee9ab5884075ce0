// Top-k routing of a mixture-of-experts layer, from the router's logits: which expert each
// token's copies go to, with what gate, and which copies the experts' capacity drops.
//
//   z[t][e]  = logits[t][e] + bias[e]        bias[e] = -skew ln(e + 1): skew 0 is no prior;
//                                           skew > 0 makes the first experts hot (a Zipf prior)
//   p[t]     = softmax(z[t])                 in f64
//   choices  the k experts of largest p[t] (ties: the lower expert), best first
//   gate     p[t][e] of the chosen expert     (GShard and Switch: not renormalized over the k)
//   capacity ceil(C T k / E) copies an expert (C the capacity factor)
//   dropping first choices of every token in token order, then second choices (GShard's
//            priority): a copy whose expert is full is dropped and counted; a token that loses
//            every copy leaves the layer as 0 (a model's residual would carry it on).
//
// Choices, and why: routing runs on the host from the router's logits, as the split sizes of
// an AllToAllv must be known before it is launched (Megatron and DeepSpeed copy the counts to
// the host too); the logits themselves come from the router's matmul on the GPU.

/** The most experts a token goes to. */
export const MAX_TOP_K = 2;

export interface RoutingSpec {
  readonly tokens: number;
  readonly experts: number;
  readonly topK: number;
  readonly capacityFactor: number;
  readonly skew: number;
}

export interface Routing {
  /** choice[t * k + c]: the expert of token t's c-th copy, or -1 where it was dropped. */
  readonly choice: Int32Array;
  /** wanted[t * k + c]: the expert chosen before capacity (dropped copies keep theirs). */
  readonly wanted: Int32Array;
  /** gate[t * k + c]: p[t][wanted], f64. */
  readonly gate: Float64Array;
  readonly capacity: number;
  /** Copies each expert keeps, and was asked for before capacity. */
  readonly tokens_per_expert: readonly number[];
  readonly wanted_per_expert: readonly number[];
  readonly dropped: number;
}

/** The expert capacity: ceil(C T k / E) copies. */
export function expertCapacity(spec: RoutingSpec): number {
  return Math.ceil((spec.capacityFactor * spec.tokens * spec.topK) / spec.experts);
}

/** The router's prior: -skew ln(e + 1) for each expert. */
export function routerBias(experts: number, skew: number): Float64Array {
  return Float64Array.from({ length: experts }, (_, e) => -skew * Math.log(e + 1));
}

/** Softmax of a row of logits plus the prior, in f64. */
export function gateProbabilities(row: ArrayLike<number>, bias: Float64Array): Float64Array {
  const z = Float64Array.from(bias, (b, e) => (row[e] as number) + b);
  const top = Math.max(...z);
  const ex = z.map((v) => Math.exp(v - top));
  const sum = ex.reduce((s, v) => s + v, 0);
  return ex.map((v) => v / sum);
}

/** Routes T tokens from their logits (T x E, row-major). */
export function routeTokens(logits: ArrayLike<number>, spec: RoutingSpec): Routing {
  const { tokens: T, experts: E, topK: k } = spec;
  const bias = routerBias(E, spec.skew);
  const wanted = new Int32Array(T * k);
  const gate = new Float64Array(T * k);
  for (let t = 0; t < T; t++) {
    const p = gateProbabilities(
      Array.prototype.slice.call(logits, t * E, (t + 1) * E) as number[],
      bias,
    );
    const order = Array.from({ length: E }, (_, e) => e).sort(
      (a, b) => (p[b] as number) - (p[a] as number) || a - b,
    );
    for (let c = 0; c < k; c++) {
      const e = order[c] as number;
      wanted[t * k + c] = e;
      gate[t * k + c] = p[e] as number;
    }
  }
  const capacity = expertCapacity(spec);
  const kept = new Array<number>(E).fill(0);
  const asked = new Array<number>(E).fill(0);
  const choice = new Int32Array(T * k).fill(-1);
  let dropped = 0;
  for (let c = 0; c < k; c++) {
    for (let t = 0; t < T; t++) {
      const e = wanted[t * k + c] as number;
      asked[e] = (asked[e] as number) + 1;
      if ((kept[e] as number) < capacity) {
        kept[e] = (kept[e] as number) + 1;
        choice[t * k + c] = e;
      } else {
        dropped++;
      }
    }
  }
  return {
    choice,
    wanted,
    gate,
    capacity,
    tokens_per_expert: kept,
    wanted_per_expert: asked,
    dropped,
  };
}
