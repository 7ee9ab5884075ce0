// A tensor-parallel plan run for the page: step by step on the GPU (each rank's buffers read
// back after every step, as the collectives view does) or on the CPU interpreter without
// WebGPU; each rank's copy of the result checked against the unsharded layer on the CPU
// (src/exec/tensor-parallel/reference.ts), within its tolerance.
import { GpuExecutor } from '../../exec/executor/steps.ts';
import { interpret, type RankBuffers } from '../../exec/interpreter/steps.ts';
import { type LayerReference, layerReference } from '../../exec/tensor-parallel/reference.ts';
import { layerInputs, scatterInputs } from '../../exec/tensor-parallel/shards.ts';
import type { GpuContext } from '../../gpu/device.ts';
import type { PipelineCache } from '../../gpu/pipelines.ts';
import type { ShaderLibrary } from '../../gpu/shader-library.ts';
import { GpuTimer } from '../../gpu/timer.ts';
import { kernelFor } from '../../kernels/registry.ts';
import type { LayerInfo, Plan } from '../../plans/plan.ts';
import { strip } from '../common/run.ts';

export interface RankCheck {
  readonly rank: number;
  /** Elements of the result this rank holds, each compared. */
  readonly elements: number;
  readonly max_abs_error: number;
  /** Elements outside the tolerance (NaN counts). */
  readonly wrong: number;
}

export interface TpRun {
  readonly plan: Plan;
  /** strips[s][rank]: cells of the rank's result buffer after s steps (0: before any). */
  readonly strips: readonly (readonly Float32Array[])[];
  /** GPU seconds of each step run alone; NaN where not measured. */
  readonly measured_s: readonly number[];
  readonly measured: boolean;
  readonly checks: readonly RankCheck[];
}

function layerOf(plan: Plan): LayerInfo {
  if (!plan.layer) throw new RangeError(`${plan.collective} ${plan.algorithm} is not a layer`);
  return plan.layer;
}

/**
 * Where each rank's result buffer starts in 'recv': the first element the last matmul or the
 * collective touches (after mlp's H). The strips show recv from there on.
 */
export function resultBase(plan: Plan): number {
  const layer = layerOf(plan);
  const offsets = layer.shards
    .filter((s) => s.tensor === layer.result && s.region.buffer === 'recv')
    .map((s) => s.region.offset);
  for (const st of plan.steps) {
    for (const op of st.kernels ?? []) {
      for (const o of kernelFor(op.kernel).operands(op.params)) {
        const g = op.operands[o.name];
        if (o.access === 'write' && g?.buffer === 'recv') offsets.push(g.offset);
      }
    }
  }
  return offsets.length > 0 ? Math.min(...offsets) : 0;
}

const resultStrips = (buffers: RankBuffers, from: number) =>
  buffers.map((b) => strip(b.recv.subarray(from)));

/** Each rank's shards of the result against the unsharded reference. */
export function rankChecks(plan: Plan, buffers: RankBuffers, ref: LayerReference): RankCheck[] {
  const layer = layerOf(plan);
  const cols = (layer.tensors[layer.result] as readonly [number, number])[1];
  return buffers.map((b, rank) => {
    let elements = 0;
    let max = 0;
    let wrong = 0;
    for (const s of layer.shards) {
      if (s.tensor !== layer.result || s.rank !== rank) continue;
      const src = b[s.region.buffer];
      for (let i = 0; i < s.rows; i++) {
        for (let j = 0; j < s.cols; j++) {
          const at = (s.row0 + i) * cols + s.col0 + j;
          const e = Math.abs(
            (src[s.region.offset + i * s.cols + j] as number) - (ref.result[at] as number),
          );
          elements++;
          if (!(e <= (ref.tolerance[at] as number))) wrong++;
          if (!(e <= max)) max = e;
        }
      }
    }
    return { rank, elements, max_abs_error: max, wrong };
  });
}

/** The layer's seeded inputs scattered into the ranks' buffers, and the unsharded result. */
export function tpInputs(plan: Plan, seed = 1): { buffers: RankBuffers; ref: LayerReference } {
  const layer = layerOf(plan);
  const tensors = layerInputs(layer, seed);
  return { buffers: scatterInputs(plan, tensors), ref: layerReference(layer, tensors) };
}

/** Runs the plan on the GPU one step at a time, reading every rank's buffers after each. */
export async function runTpOnGpu(
  ctx: GpuContext,
  shaders: ShaderLibrary,
  cache: PipelineCache,
  plan: Plan,
  seed = 1,
): Promise<TpRun> {
  const { buffers, ref } = tpInputs(plan, seed);
  const from = resultBase(plan);
  const exec = new GpuExecutor(ctx, shaders, plan, undefined, cache);
  const timer = new GpuTimer(ctx);
  try {
    await exec.prepare();
    exec.upload(buffers);
    const strips = [resultStrips(buffers, from)];
    const measured_s: number[] = [];
    let last = buffers;
    for (let k = 0; k < plan.steps.length; k++) {
      measured_s.push(await exec.runStep(k, timer));
      last = await exec.download();
      strips.push(resultStrips(last, from));
    }
    return { plan, strips, measured_s, measured: true, checks: rankChecks(plan, last, ref) };
  } finally {
    timer.destroy();
    exec.destroy();
  }
}

/** The same walk on the CPU interpreter (no WebGPU): nothing is measured. */
export function runTpOnCpu(plan: Plan, seed = 1): TpRun {
  const { buffers, ref } = tpInputs(plan, seed);
  const from = resultBase(plan);
  const strips = [resultStrips(buffers, from)];
  const last = interpret(plan, buffers, (_, b) => {
    strips.push(resultStrips(b, from));
  });
  return {
    plan,
    strips,
    measured_s: plan.steps.map(() => Number.NaN),
    measured: false,
    checks: rankChecks(plan, last, ref),
  };
}
