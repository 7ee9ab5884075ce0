// A training step of a small MLP as a plan: L layers of width d, each y = GeLU(x W + b), a mean
// squared error loss against a target, the backward pass, and an SGD update, as registry kernels
// on each rank's compute stream. This file builds one rank's step; data parallelism
// (./data-parallel.ts) runs it on every rank on a slice of the batch and embeds the gradients'
// collectives between the backward pass and the update.
//
// Buffers of a rank that holds `rows` rows of the batch (B_r = rows):
//   x, target   B_r x d               the rank's slice of the input and the target
//   params      P = L (d d + d)       [W_0 | b_0 | W_1 | b_1 | ...], W_l d x d row-major
//   grad        P                     the same layout: each layer's dW and db, contiguous, so a
//                                     gradient bucket is a run of elements (PyTorch DDP buckets
//                                     parameters in the reverse order the backward produces them)
//   lr          1                     the learning rate (data, not a constant: see shaders/sgd.wgsl)
//   c, a        L B_r d               each layer's matmul output c_l = a_{l-1} W_l (kept for
//                                     the GeLU's backward) and activation a_l = GeLU(c_l + b_l)
//   dy, dz      B_r d                 the gradient reaching a layer's output, and its pre-activation
//
//   forward   for l = 0..L-1: c_l = a_{l-1} W_l (a_{-1} = x); a_l = GeLU(c_l + b_l)
//   loss      dy = 2 (a_{L-1} - target) / (B d)      (B: the whole batch's rows, on every rank)
//   backward  for l = L-1..0: dz = dy GeLU'(c_l + b_l); dW_l = a_{l-1}^T dz; db_l = colsum dz;
//             dy = dz W_l^T (l > 0)
//   update    params = params - lr grad
//
// Every task gets the dependencies its data needs (GraphBuilder's scoreboard): dW_l and db_l of
// a layer wait for its dz only, so a bucket's collective can start while the layers below are
// still in their backward pass.
import { biasGeluOp } from '../../kernels/bias-gelu.ts';
import { columnSumOp } from '../../kernels/column-sum.ts';
import { geluBackwardOp } from '../../kernels/gelu-backward.ts';
import { matmulOp } from '../../kernels/matmul.ts';
import { matmulNtOp, matmulTnOp } from '../../kernels/matmul-transposed.ts';
import { mseGradOp } from '../../kernels/mse-grad.ts';
import { sgdOp } from '../../kernels/sgd.ts';
import type { GraphRegion } from '../graph.ts';
import type { GraphBuilder } from '../graph-builder.ts';

/** The model and the batch: L layers of width d, B rows. */
export interface MlpSpec {
  readonly layers: number;
  readonly d: number;
  readonly batch: number;
}

/** Limits that keep a step small enough to build and check (sizes are elements). */
export const MLP_LIMITS = { layers: 64, d: 4096, batch: 65_536 } as const;

/** RangeError naming the value and its limit unless every size is a whole number in range. */
export function checkMlpSpec(spec: MlpSpec): MlpSpec {
  for (const key of ['layers', 'd', 'batch'] as const) {
    const v = spec[key];
    if (!Number.isSafeInteger(v) || v < 1 || v > MLP_LIMITS[key]) {
      throw new RangeError(`${key} ${v} must be a whole number from 1 to ${MLP_LIMITS[key]}`);
    }
  }
  return spec;
}

/** Parameters of the model: P = L (d d + d). */
export function paramCount({ layers, d }: Pick<MlpSpec, 'layers' | 'd'>): number {
  return layers * (d * d + d);
}

/** Where layer l's weight and bias lie in 'params' (and their gradients in 'grad'). */
export function layerParams(d: number, l: number): { w: number; b: number } {
  const w = l * (d * d + d);
  return { w, b: w + d * d };
}

const at = (buffer: string, offset: number, count: number): GraphRegion => ({
  buffer,
  offset,
  count,
});

/** Declares one rank's buffers for `rows` rows of the batch. */
export function declareStepBuffers(b: GraphBuilder, rank: number, spec: MlpSpec, rows: number) {
  const { layers: L, d } = spec;
  const P = paramCount(spec);
  b.buffer(rank, 'x', rows * d);
  b.buffer(rank, 'target', rows * d);
  b.buffer(rank, 'params', P);
  b.buffer(rank, 'grad', P);
  b.buffer(rank, 'lr', 1);
  b.buffer(rank, 'c', L * rows * d);
  b.buffer(rank, 'a', L * rows * d);
  b.buffer(rank, 'dy', rows * d);
  b.buffer(rank, 'dz', rows * d);
}

/** The tasks that complete each layer's gradients (dW_l and db_l), by layer. */
export interface BackwardTasks {
  readonly layerDone: readonly (readonly number[])[];
}

/** One rank's regions for `rows` rows: the layer's input, weights, outputs and gradients. */
function regions(spec: MlpSpec, rows: number) {
  const d = spec.d;
  const act = rows * d;
  return {
    act,
    input: (l: number) => (l === 0 ? at('x', 0, act) : at('a', (l - 1) * act, act)),
    w: (l: number) => at('params', layerParams(d, l).w, d * d),
    bias: (l: number) => at('params', layerParams(d, l).b, d),
    gw: (l: number) => at('grad', layerParams(d, l).w, d * d),
    gb: (l: number) => at('grad', layerParams(d, l).b, d),
    c: (l: number) => at('c', l * act, act),
    a: (l: number) => at('a', l * act, act),
    dy: at('dy', 0, act),
    dz: at('dz', 0, act),
  };
}

/** Layer l's forward pass on one rank: c_l = a_{l-1} W_l, a_l = GeLU(c_l + b_l). */
export function addForwardLayer(
  b: GraphBuilder,
  rank: number,
  spec: MlpSpec,
  rows: number,
  l: number,
): void {
  const g = regions(spec, rows);
  const d = spec.d;
  b.kernel({
    kernel: matmulOp(rank, { a: g.input(l), b: g.w(l), c: g.c(l) }, { m: rows, k: d, n: d }),
    label: `forward ${l}`,
  });
  b.kernel({
    kernel: biasGeluOp(rank, { x: g.c(l), bias: g.bias(l), y: g.a(l) }, { m: rows, n: d }),
    label: `forward ${l}`,
  });
}

/** The loss's gradient on one rank: dy = 2 (a_{L-1} - target) / (B d). */
export function addLoss(b: GraphBuilder, rank: number, spec: MlpSpec, rows: number): void {
  const g = regions(spec, rows);
  b.kernel({
    kernel: mseGradOp(
      rank,
      { y: g.a(spec.layers - 1), target: at('target', 0, g.act), dy: g.dy },
      { count: g.act, total: spec.batch * spec.d },
    ),
    label: 'loss',
  });
}

/** Layer l's backward pass on one rank; returns the tasks that complete dW_l and db_l. */
export function addBackwardLayer(
  b: GraphBuilder,
  rank: number,
  spec: MlpSpec,
  rows: number,
  l: number,
): number[] {
  const g = regions(spec, rows);
  const d = spec.d;
  const label = `backward ${l}`;
  const { dy, dz } = g;
  b.kernel({
    kernel: geluBackwardOp(rank, { c: g.c(l), bias: g.bias(l), dy, dz }, { m: rows, n: d }),
    label,
  });
  const dw = b.kernel({
    kernel: matmulTnOp(rank, { a: g.input(l), b: dz, c: g.gw(l) }, { m: d, k: rows, n: d }),
    label,
  });
  const db = b.kernel({
    kernel: columnSumOp(rank, { x: dz, s: g.gb(l) }, { m: rows, n: d }),
    label,
  });
  if (l > 0) {
    b.kernel({
      kernel: matmulNtOp(rank, { a: dz, b: g.w(l), c: dy }, { m: rows, k: d, n: d }),
      label,
    });
  }
  return [dw, db];
}

/**
 * Adds one rank's forward, loss and backward pass (not the update) for `rows` rows of a batch
 * of spec.batch rows; returns, per layer, the tasks after which its gradients are complete.
 */
export function addForwardBackward(
  b: GraphBuilder,
  rank: number,
  spec: MlpSpec,
  rows: number,
): BackwardTasks {
  for (let l = 0; l < spec.layers; l++) addForwardLayer(b, rank, spec, rows, l);
  addLoss(b, rank, spec, rows);
  const layerDone: number[][] = Array.from({ length: spec.layers }, () => []);
  for (let l = spec.layers - 1; l >= 0; l--)
    layerDone[l] = addBackwardLayer(b, rank, spec, rows, l);
  return { layerDone };
}

/** Adds one rank's SGD update of a run of its parameters (default all): params -= lr grad. */
export function addUpdate(
  b: GraphBuilder,
  rank: number,
  spec: MlpSpec,
  run: { readonly offset: number; readonly count: number } = { offset: 0, count: paramCount(spec) },
): number {
  const { offset, count } = run;
  return b.kernel({
    kernel: sgdOp(
      rank,
      {
        w: at('params', offset, count),
        g: at('grad', offset, count),
        lr: at('lr', 0, 1),
        w_out: at('params', offset, count),
      },
      { count },
    ),
    label: 'update',
  });
}
