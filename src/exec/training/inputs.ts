// The seeded inputs of a training step: the batch, its target, the weights and biases, the
// learning rate; and where they go in each rank's buffers (a rank's slice of the batch, the
// whole model on every rank).
import type { Graph } from '../../plans/graph.ts';
import type { TrainingInfo } from '../../plans/plan.ts';
import { layerParams, paramCount } from '../../plans/training/mlp.ts';
import { allocateGraphBuffers, type GraphBuffers } from '../interpreter/graph.ts';
import { mulberry32 } from '../random/rng.ts';

export interface TrainingInputs {
  /** B x d, row-major. */
  readonly x: Float32Array;
  readonly target: Float32Array;
  /** [W_0 | b_0 | W_1 | b_1 | ...], the layout of 'params' (src/plans/training/mlp.ts). */
  readonly params: Float32Array;
  readonly lr: number;
}

/**
 * Inputs and targets uniform in [-1, 1]; weights uniform in [-1, 1] / sqrt(d) (activations keep
 * their scale through the layers); biases in [-0.1, 0.1]. The learning rate is f32.
 */
export function trainingInputs(
  { layers, d, batch }: Pick<TrainingInfo, 'layers' | 'd' | 'batch'>,
  seed = 1,
  lr = 0.1,
): TrainingInputs {
  const next = mulberry32(seed);
  const uniform = (n: number, scale: number) =>
    Float32Array.from({ length: n }, () => (next() * 2 - 1) * scale);
  const x = uniform(batch * d, 1);
  const target = uniform(batch * d, 1);
  const params = new Float32Array(paramCount({ layers, d }));
  for (let l = 0; l < layers; l++) {
    const { w, b } = layerParams(d, l);
    params.set(uniform(d * d, 1 / Math.sqrt(d)), w);
    params.set(uniform(d, 0.1), b);
  }
  return { x, target, params, lr: Math.fround(lr) };
}

/**
 * Every rank's buffers for a training graph: the model (ZeRO 3: a rank's shards) and lr
 * everywhere; in data parallelism
 * each rank's rows of x and target, in a pipeline the whole batch's x on the first stage and
 * target on the last (the ranks that have those buffers).
 */
export function scatterTrainingInputs(
  graph: Graph,
  info: TrainingInfo,
  inputs: TrainingInputs,
): GraphBuffers {
  const buffers = allocateGraphBuffers(graph);
  let row0 = 0;
  buffers.forEach((own, r) => {
    const rows = info.mode === 'dp' ? (info.rows[r] as number) : info.batch;
    const slice = (t: Float32Array) => t.subarray(row0 * info.d, (row0 + rows) * info.d);
    (own.x as Float32Array | undefined)?.set(slice(inputs.x));
    (own.target as Float32Array | undefined)?.set(slice(inputs.target));
    const params = own.params as Float32Array;
    if (info.zero === 3 && info.rows.length > 1) {
      // A ZeRO 3 rank starts with its shards only. The rest is NaN, not the right values, so a
      // layer used without its AllGather shows up in the check instead of passing by luck.
      params.fill(Number.NaN);
      for (const { offset, count } of info.owns[r]?.params ?? []) {
        params.set(inputs.params.subarray(offset, offset + count), offset);
      }
    } else {
      params.set(inputs.params);
    }
    (own.lr as Float32Array)[0] = inputs.lr;
    if (info.mode === 'dp') row0 += rows;
  });
  return buffers;
}
