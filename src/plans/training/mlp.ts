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
  const { layers: L, d, batch } = spec;
  const act = rows * d;
  const input = (l: number) => (l === 0 ? at('x', 0, act) : at('a', (l - 1) * act, act));
  const w = (l: number) => at('params', layerParams(d, l).w, d * d);
  const bias = (l: number) => at('params', layerParams(d, l).b, d);
  const gw = (l: number) => at('grad', layerParams(d, l).w, d * d);
  const gb = (l: number) => at('grad', layerParams(d, l).b, d);
  const c = (l: number) => at('c', l * act, act);
  const kernel = (label: string, k: Parameters<GraphBuilder['kernel']>[0]['kernel']) =>
    b.kernel({ kernel: k, label });

  for (let l = 0; l < L; l++) {
    kernel(
      `forward ${l}`,
      matmulOp(rank, { a: input(l), b: w(l), c: c(l) }, { m: rows, k: d, n: d }),
    );
    kernel(
      `forward ${l}`,
      biasGeluOp(rank, { x: c(l), bias: bias(l), y: at('a', l * act, act) }, { m: rows, n: d }),
    );
  }
  const dy = at('dy', 0, act);
  const dz = at('dz', 0, act);
  kernel(
    'loss',
    mseGradOp(
      rank,
      { y: at('a', (L - 1) * act, act), target: at('target', 0, act), dy },
      { count: act, total: batch * d },
    ),
  );
  const layerDone: number[][] = Array.from({ length: L }, () => []);
  for (let l = L - 1; l >= 0; l--) {
    kernel(
      `backward ${l}`,
      geluBackwardOp(rank, { c: c(l), bias: bias(l), dy, dz }, { m: rows, n: d }),
    );
    const dw = kernel(
      `backward ${l}`,
      matmulTnOp(rank, { a: input(l), b: dz, c: gw(l) }, { m: d, k: rows, n: d }),
    );
    const db = kernel(`backward ${l}`, columnSumOp(rank, { x: dz, s: gb(l) }, { m: rows, n: d }));
    (layerDone[l] as number[]).push(dw, db);
    if (l > 0) {
      kernel(`backward ${l}`, matmulNtOp(rank, { a: dz, b: w(l), c: dy }, { m: rows, k: d, n: d }));
    }
  }
  return { layerDone };
}

/** Adds one rank's SGD update of all its parameters: params -= lr grad. */
export function addUpdate(b: GraphBuilder, rank: number, spec: MlpSpec): number {
  const P = paramCount(spec);
  return b.kernel({
    kernel: sgdOp(
      rank,
      { w: at('params', 0, P), g: at('grad', 0, P), lr: at('lr', 0, 1), w_out: at('params', 0, P) },
      { count: P },
    ),
    label: 'update',
  });
}
