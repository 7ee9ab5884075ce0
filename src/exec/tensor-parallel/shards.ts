// Logical matrices in and out of a tensor-parallel plan's buffers: the plan's shards say which
// block of which matrix lies where on which rank (src/plans/tensor-parallel.ts), so inputs are
// scattered and results gathered by reading that list, never by re-deriving the split.
import type { LayerInfo, Plan, Shard } from '../../plans/plan.ts';
import { allocateBuffers, type RankBuffers } from '../interpreter/steps.ts';
import { mulberry32 } from '../random/rng.ts';

/** Full row-major matrices by tensor name: tensors.X is m x k, ... */
export type Tensors = Readonly<Record<string, Float32Array>>;

function layerOf(plan: Plan): LayerInfo {
  if (!plan.layer) throw new RangeError(`${plan.collective} ${plan.algorithm} has no layer`);
  return plan.layer;
}

function columnsOf(layer: LayerInfo, tensor: string): number {
  const shape = layer.tensors[tensor];
  if (!shape) throw new RangeError(`the ${layer.layout} layer has no tensor '${tensor}'`);
  return shape[1];
}

/**
 * Seeded values for the layer's inputs. 'float': uniform in [-1, 1), weights scaled by
 * 1/sqrt(fan-in) as initializers do, so activations stay O(1) through GeLU. 'integer': whole
 * numbers in [-4, 4], for which every sum is exact (see src/kernels/matmul.ts).
 */
export function layerInputs(
  layer: LayerInfo,
  seed: number,
  values: 'float' | 'integer' = 'float',
): Record<string, Float32Array> {
  const next = mulberry32(seed);
  const out: Record<string, Float32Array> = {};
  for (const name of layer.inputs) {
    const [rows, cols] = layer.tensors[name] as readonly [number, number];
    const scale = name.startsWith('W') ? 1 / Math.sqrt(rows) : 1;
    const a = new Float32Array(rows * cols);
    for (let i = 0; i < a.length; i++) {
      a[i] = values === 'integer' ? Math.floor(next() * 9) - 4 : (2 * next() - 1) * scale;
    }
    out[name] = a;
  }
  return out;
}

/** Zeroed buffers with every input shard copied in from the full matrices. */
export function scatterInputs(plan: Plan, tensors: Tensors): RankBuffers {
  const layer = layerOf(plan);
  const buffers = allocateBuffers(plan);
  for (const shard of layer.shards) {
    if (!layer.inputs.includes(shard.tensor)) continue;
    const full = tensors[shard.tensor];
    if (!full) throw new RangeError(`no values given for input '${shard.tensor}'`);
    const cols = columnsOf(layer, shard.tensor);
    const dst = (buffers[shard.rank] as RankBuffers[number])[shard.region.buffer];
    for (let i = 0; i < shard.rows; i++) {
      const from = (shard.row0 + i) * cols + shard.col0;
      dst.set(full.subarray(from, from + shard.cols), shard.region.offset + i * shard.cols);
    }
  }
  return buffers;
}

/**
 * The full matrix `tensor` assembled from the shards that `ranks` hold (every rank's by
 * default); elements no listed rank holds stay NaN, so a missing block cannot pass a check.
 */
export function gatherTensor(
  plan: Plan,
  buffers: RankBuffers,
  tensor: string,
  ranks: readonly number[] = buffers.map((_, r) => r),
): Float32Array {
  const layer = layerOf(plan);
  const [rows, cols] = layer.tensors[tensor] ?? [0, columnsOf(layer, tensor)];
  const full = new Float32Array(rows * cols).fill(Number.NaN);
  for (const shard of layer.shards) {
    if (shard.tensor !== tensor || !ranks.includes(shard.rank)) continue;
    copyShard(shard, (buffers[shard.rank] as RankBuffers[number])[shard.region.buffer], full, cols);
  }
  return full;
}

function copyShard(shard: Shard, src: ArrayLike<number>, full: Float32Array, cols: number) {
  for (let i = 0; i < shard.rows; i++) {
    for (let j = 0; j < shard.cols; j++) {
      full[(shard.row0 + i) * cols + shard.col0 + j] = src[
        shard.region.offset + i * shard.cols + j
      ] as number;
    }
  }
}
