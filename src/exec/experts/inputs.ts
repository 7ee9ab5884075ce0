// The seeded inputs of a MoE layer (src/plans/experts/moe-layer.ts) and where they go in each
// rank's buffers: a rank's tokens and the router everywhere, its own experts' weights, and the
// gates of the rows it computes, in its 'xin' order.
import type { MoeLayout, MoeSpec } from '../../plans/experts/moe-layer.ts';
import type { Graph } from '../../plans/graph.ts';
import { allocateGraphBuffers, type GraphBuffers } from '../interpreter/graph.ts';
import { mulberry32 } from '../random/rng.ts';

export interface MoeInputs {
  /** T x d tokens, uniform in [-1, 1]. */
  readonly x: Float32Array;
  /** d x E router, uniform in [-1, 1] x 2 / sqrt(d) (logits of about unit scale). */
  readonly wg: Float32Array;
  /** Per expert: W1 d x h in [-1, 1] / sqrt(d), b1 h in [-0.1, 0.1], W2 h x d in [-1, 1] / sqrt(h). */
  readonly w1: readonly Float32Array[];
  readonly b1: readonly Float32Array[];
  readonly w2: readonly Float32Array[];
}

export function moeInputs(spec: MoeSpec, seed = 1): MoeInputs {
  const { tokens: T, d, hidden: h, experts: E } = spec;
  const next = mulberry32(seed);
  const uniform = (n: number, scale: number) =>
    Float32Array.from({ length: n }, () => (next() * 2 - 1) * scale);
  const x = uniform(T * d, 1);
  const wg = uniform(d * E, 2 / Math.sqrt(d));
  const w1: Float32Array[] = [];
  const b1: Float32Array[] = [];
  const w2: Float32Array[] = [];
  for (let e = 0; e < E; e++) {
    w1.push(uniform(d * h, 1 / Math.sqrt(d)));
    b1.push(uniform(h, 0.1));
    w2.push(uniform(h * d, 1 / Math.sqrt(h)));
  }
  return { x, wg, w1, b1, w2 };
}

/** Every rank's `name` buffer end to end, in rank order (the logits, the layer's output). */
export function gatherBuffer(buffers: GraphBuffers, name: string): Float32Array {
  const parts = buffers.map((b) => b[name] as Float32Array);
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The router phase's buffers: each rank's tokens and the router. */
export function scatterRouterInputs(graph: Graph, spec: MoeSpec, inputs: MoeInputs): GraphBuffers {
  const buffers = allocateGraphBuffers(graph);
  const rows = (spec.tokens / spec.ranks) * spec.d;
  buffers.forEach((own, r) => {
    (own.x as Float32Array).set(inputs.x.subarray(r * rows, (r + 1) * rows));
    (own.wg as Float32Array).set(inputs.wg);
  });
  return buffers;
}

/** The layer phase's buffers: tokens, this rank's experts, the gates in 'xin' order; out 0. */
export function scatterLayerInputs(
  graph: Graph,
  spec: MoeSpec,
  inputs: MoeInputs,
  layout: MoeLayout,
): GraphBuffers {
  const buffers = allocateGraphBuffers(graph);
  const { d, hidden: h } = spec;
  const rows = (spec.tokens / spec.ranks) * d;
  const Er = spec.experts / spec.ranks;
  buffers.forEach((own, r) => {
    (own.x as Float32Array).set(inputs.x.subarray(r * rows, (r + 1) * rows));
    for (let le = 0; le < Er; le++) {
      const e = r * Er + le;
      (own.w1 as Float32Array).set(inputs.w1[e] as Float32Array, le * d * h);
      (own.b1 as Float32Array).set(inputs.b1[e] as Float32Array, le * h);
      (own.w2 as Float32Array).set(inputs.w2[e] as Float32Array, le * h * d);
    }
  });
  layout.copies.forEach((c, i) => {
    (buffers[c.dst]?.gate as Float32Array)[layout.xinRow[i] as number] = Math.fround(c.gate);
  });
  return buffers;
}
