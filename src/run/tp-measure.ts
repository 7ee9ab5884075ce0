// A tensor-parallel layer measured on this GPU, its three faces of time side by side:
// - measured: the whole plan run on the one GPU (all ranks share it), GPU timestamps per step;
// - emulated: N devices each as fast as this GPU: every rank's kernels timed alone, ranks in
//   parallel, the plan's graph priced event by event on the chosen fabric (src/run/faces.ts);
// - analytic: the Fleet Law, T_1 / N + the closed form of the collective (src/model/fleet-law.ts).
// Each run is first checked against the unsharded layer on the CPU
// (src/exec/tensor-parallel/reference.ts).

import { GpuExecutor } from '../exec/executor/steps.ts';
import { median } from '../exec/measure/median.ts';
import { layerReference } from '../exec/tensor-parallel/reference.ts';
import { gatherTensor, layerInputs, scatterInputs } from '../exec/tensor-parallel/shards.ts';
import type { Fabric } from '../fabric/fabric.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { PipelineCache } from '../gpu/pipelines.ts';
import type { ShaderLibrary } from '../gpu/shader-library.ts';
import type { GpuTimer } from '../gpu/timer.ts';
import { kernelFor } from '../kernels/registry.ts';
import { graphOf } from '../plans/from-steps.ts';
import type { LayerInfo, Plan } from '../plans/plan.ts';
import { type TensorParallelSpec, tensorParallel } from '../plans/tensor-parallel.ts';
import { emulatedFace, emulatedSteps, type StepFace } from './faces.ts';

export interface TpMeasurement {
  readonly plan: Plan;
  /** Largest |sharded - unsharded| over every rank's copy of the result. */
  readonly max_abs_error: number;
  /** Elements outside the tolerance (any rank's copy); 0 when right. */
  readonly wrong: number;
  /** Median GPU seconds of each step with every rank on the one GPU. */
  readonly measured_steps_s: readonly number[];
  readonly measured_s: number;
  /** Median seconds of each rank's kernels in each step, the rank alone: [step][rank]. */
  readonly kernel_s: readonly (readonly number[])[];
  /** Each rank's kernel seconds summed over the plan. */
  readonly rank_compute_s: readonly number[];
  /** The plan on `fabric` (the event-driven pricer): kernels at their measured per-rank
   * times, moves priced; each step's seconds and the whole. */
  readonly emulated: { readonly steps: readonly StepFace[]; readonly total_s: number };
  /** Of emulated.total_s: the kernel steps (slowest rank) and the rest (communication). */
  readonly compute_s: number;
  readonly comm_s: number;
  /** FLOPs of every rank's kernels together (2 m k n per matmul, causal attention's). */
  readonly flops: number;
}

export interface TpMeasureOptions {
  readonly reps?: number;
  readonly seed?: number;
}

/** Which ranks' shards form one whole result: each rank alone when every rank holds it all. */
export function resultViews(plan: Plan): (number[] | undefined)[] {
  const comm = plan.layer?.comm?.collective;
  return comm === 'allreduce' || comm === 'allgather'
    ? Array.from({ length: plan.ranks }, (_, r) => [r])
    : [undefined];
}

/** Model FLOPs of every kernel of the plan, as each kernel of the registry counts them. */
export function layerFlops(plan: Plan): number {
  let flops = 0;
  for (const step of plan.steps) {
    for (const op of step.kernels ?? []) flops += kernelFor(op.kernel).flops(op.params);
  }
  return flops;
}

export async function measureTensorParallel(
  ctx: GpuContext,
  shaders: ShaderLibrary,
  cache: PipelineCache,
  timer: GpuTimer,
  spec: TensorParallelSpec,
  fabric: Fabric,
  options: TpMeasureOptions = {},
): Promise<TpMeasurement> {
  const reps = options.reps ?? 5;
  if (!Number.isInteger(reps) || reps < 1 || reps > 1000) {
    throw new RangeError(`reps ${reps} must be a whole number from 1 to 1000`);
  }
  const plan = tensorParallel(spec);
  const layer = plan.layer as LayerInfo;
  const tensors = layerInputs(layer, options.seed ?? 1);
  const exec = new GpuExecutor(ctx, shaders, plan, undefined, cache);
  try {
    await exec.prepare();
    exec.upload(scatterInputs(plan, tensors));
    // Every run recomputes the result from the inputs (kernels overwrite their outputs), so
    // the first run is both the warm-up and the one checked.
    await exec.runUntimed();
    const got = await exec.download();
    const ref = layerReference(layer, tensors);
    let wrong = 0;
    let max_abs_error = 0;
    for (const ranks of resultViews(plan)) {
      const y = gatherTensor(plan, got, layer.result, ranks);
      for (let i = 0; i < ref.result.length; i++) {
        const e = Math.abs((y[i] as number) - (ref.result[i] as number));
        if (!(e <= (ref.tolerance[i] as number))) wrong++;
        if (!(e <= max_abs_error)) max_abs_error = e;
      }
    }
    const runs: number[][] = [];
    for (let i = 0; i < reps; i++) runs.push(await exec.run(timer));
    const measured_steps_s = plan.steps.map((_, s) => median(runs.map((r) => r[s] as number)));
    const kernelRuns: number[][][] = [];
    for (let i = 0; i < reps; i++) kernelRuns.push(await exec.timeKernels(timer));
    const kernel_s = plan.steps.map((_, s) =>
      Array.from({ length: plan.ranks }, (_, r) => {
        const times = kernelRuns.map((k) => k[s]?.[r] as number).filter((t) => !Number.isNaN(t));
        return times.length ? median(times) : Number.NaN;
      }),
    );
    const rank_compute_s = Array.from({ length: plan.ranks }, (_, r) =>
      kernel_s.reduce(
        (sum, step) => sum + (Number.isNaN(step[r] as number) ? 0 : (step[r] as number)),
        0,
      ),
    );
    // A step's kernels on one rank were timed together; spread that time over them evenly
    // (the pricer runs a rank's kernels one after another on its compute stream).
    const graph = graphOf(plan);
    const face = emulatedFace(graph, fabric, {
      kernelSeconds: (task) => {
        const s = graph.stepOf[task.id] as number;
        const onRank = plan.steps[s]?.kernels?.filter((k) => k.rank === task.rank).length ?? 1;
        return ((kernel_s[s]?.[task.rank] as number) ?? 0) / onRank;
      },
    });
    const emulated = emulatedSteps(plan, face);
    const compute_s = emulated.steps.reduce((t, s) => t + s.compute_s, 0);
    return {
      plan,
      max_abs_error,
      wrong,
      measured_steps_s,
      measured_s: measured_steps_s.reduce((a, b) => a + b, 0),
      kernel_s,
      rank_compute_s,
      emulated,
      compute_s,
      comm_s: emulated.total_s - compute_s,
      flops: layerFlops(plan),
    };
  } finally {
    exec.destroy();
  }
}
