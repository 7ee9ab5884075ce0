// One runner, in the browser and in Node: a plan run on this GPU, checked against the CPU
// interpreter, and set beside its other faces of time (src/run/faces.ts):
//
//   measured  GPU timestamps of the plan run on this GPU, every rank sharing its memory
//             (mean and median of the iterations, and each step's median);
//   model     the executor model calibrated on this GPU, predicting the measured face;
//   emulated  the event-driven pricer on a fabric of real devices, each as fast as this GPU;
//   analytic  the textbook's closed form on that fabric's link, where one exists.
//
// `fleetlab bench`, the bench suites and the pages call this; none computes a face itself. A
// model that could not be fitted is a face that says why (ModelFace.unavailable), never an
// error: the measurement goes on.

import type { KernelConfig } from '../exec/executor/kernel-config.ts';
import type { ExecutorLimits } from '../exec/executor/step-features.ts';
import { type BenchRow, benchPlan } from '../exec/measure/collective-bench.ts';
import type { Fabric } from '../fabric/fabric.ts';
import type { LinkSpec } from '../fabric/topologies.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { PipelineCache } from '../gpu/pipelines.ts';
import type { ShaderLibrary } from '../gpu/shader-library.ts';
import { type ExecutorModel, unavailable } from '../model/executor-model.ts';
import type { Plan } from '../plans/plan.ts';
import {
  analyticFace,
  type EmulatedFace,
  emulatedFace,
  type ModelFace,
  modelFace,
} from './faces.ts';

/** What a run needs of its surroundings: the device, its shaders, a shared pipeline cache. */
export interface RunContext {
  readonly ctx: GpuContext;
  readonly shaders: ShaderLibrary;
  readonly cache: PipelineCache;
}

/** A fabric of real devices to emulate, and the link its closed forms assume. */
export interface EmulatedFabric {
  readonly fabric: string;
  readonly built: Fabric;
  readonly link: LinkSpec;
}

const NOT_CALIBRATED = unavailable(
  'not calibrated (calibrate() and localExecutorModel() give one)',
);

export interface RunOptions {
  /** Timed iterations (nccl-tests -n), untimed ones first (-w), check the result (-c). */
  readonly iters: number;
  readonly warmup: number;
  readonly check: boolean;
  readonly config?: KernelConfig;
  /** Seed of the random input. */
  readonly seed?: number;
  /**
   * This GPU's executor model (or why there is none): the model face. Absent: unavailable,
   * "not calibrated" (calibrate() and localExecutorModel() give one).
   */
  readonly model?: ExecutorModel;
  /** A fabric of real devices: the emulated and analytic faces. */
  readonly emulated?: EmulatedFabric;
}

export interface PlanRun {
  readonly plan: Plan;
  /** The measured face, the check (#wrong) and the trace, as the executor ran it. */
  readonly measured: BenchRow;
  readonly model: ModelFace;
  readonly emulated?: EmulatedFace;
  /** Seconds of the closed form on the emulated fabric's link (absent: the book has none). */
  readonly analytic_s?: number;
}

export async function runPlan(run: RunContext, plan: Plan, options: RunOptions): Promise<PlanRun> {
  const measured = await benchPlan(run.ctx, run.shaders, run.cache, plan, options, options.seed);
  const limits: ExecutorLimits = run.ctx.limits;
  const model = modelFace(plan, options.model ?? NOT_CALIBRATED, limits);
  const fabric = options.emulated;
  if (!fabric) return { plan, measured, model };
  const analytic_s = analyticFace(plan, fabric.link);
  return {
    plan,
    measured,
    model,
    emulated: { ...emulatedFace(plan, fabric.built), fabric: fabric.fabric },
    ...(analytic_s === undefined ? {} : { analytic_s }),
  };
}
