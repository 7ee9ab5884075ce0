// The faces of time a plan is set beside, each computed here and nowhere else (the CLI, the
// bench suites, the sweep and the pages all come through this file or run-plan.ts):
//
//   model     the executor model calibrated on this GPU (src/model/executor-model.ts) on the
//             plan's step features: what this GPU should take to run the plan as the executor
//             runs it (every rank sharing one memory system);
//   emulated  the event-driven pricer (src/model/event-pricer.ts) on the plan's graph over a
//             fabric of real devices, each as fast as this GPU: every task's start and end;
//   analytic  the textbook's closed form of the collective on the fabric's link, where one
//             exists.
//
// The measured face is what run-plan.ts times on the GPU.
import { type ExecutorLimits, stepFeatures } from '../exec/executor/step-features.ts';
import type { Fabric } from '../fabric/fabric.ts';
import type { LinkSpec } from '../fabric/topologies.ts';
import { allToAllvSeconds } from '../model/alltoallv.ts';
import { CLOSED_FORMS, closedForm } from '../model/closed-forms.ts';
import { type GraphPrice, type PriceGraphOptions, priceGraph } from '../model/event-pricer.ts';
import {
  type ExecutorModel,
  executorPlanSeconds,
  executorStepTimes,
} from '../model/executor-model.ts';
import { DTYPE_INFO } from '../plans/dtype.ts';
import { graphOf } from '../plans/from-steps.ts';
import type { Graph } from '../plans/graph.ts';
import type { Collective, Plan } from '../plans/plan.ts';

/** The model face: seconds, or why there is none (a fit that could not be made). */
export type ModelFace =
  | { readonly time_s: number; readonly unavailable?: undefined }
  | { readonly time_s: number; readonly unavailable: string };

/** `limits`: the device's, which decide how the executor splits ranks over arenas. */
export function modelFace(plan: Plan, model: ExecutorModel, limits?: ExecutorLimits): ModelFace {
  if (!model.available) return { time_s: Number.NaN, unavailable: model.reason };
  const features = stepFeatures(plan, limits ? { limits } : {});
  return { time_s: executorPlanSeconds(model, features) };
}

/**
 * The model face of every step, NaN each where the model is unavailable. `submitEach`: the
 * steps run one submission each (a page stepping through a plan), so each pays a submit.
 */
export function modelStepFaces(
  plan: Plan,
  model: ExecutorModel,
  limits?: ExecutorLimits,
  submitEach = false,
): number[] {
  const features = stepFeatures(plan, limits ? { limits } : {});
  return executorStepTimes(
    model,
    submitEach ? features.map((f) => ({ ...f, submits: 1 })) : features,
  );
}

export interface EmulatedFace {
  readonly fabric: string;
  readonly time_s: number;
  /** The pricer's timeline: every task's start and end, the critical path, the overlap. */
  readonly price: GraphPrice;
  readonly graph: Graph;
  /** Each task's step, where the graph came from a lock-step plan. */
  readonly stepOf?: Int32Array;
}

export function emulatedFace(
  plan: Plan | Graph,
  fabric: Fabric,
  options?: PriceGraphOptions,
): EmulatedFace {
  const graph = 'steps' in plan ? graphOf(plan) : plan;
  const price = priceGraph(graph, fabric, options);
  const stepOf = 'stepOf' in graph ? (graph.stepOf as Int32Array) : undefined;
  return {
    fabric: fabric.name,
    time_s: price.total_s,
    price,
    graph,
    ...(stepOf ? { stepOf } : {}),
  };
}

/**
 * Each step's seconds on the emulated fabric: from the end of the step before (its last task
 * to end) to the end of its own last task, so the steps add up to the whole.
 */
export function emulatedStepFaces(plan: Plan, face: EmulatedFace): number[] {
  const { stepOf } = face;
  if (!stepOf) throw new RangeError('a graph priced without its steps has no step faces');
  const ends = plan.steps.map(() => 0);
  face.graph.tasks.forEach((t) => {
    const s = stepOf[t.id] as number;
    ends[s] = Math.max(ends[s] as number, face.price.end_s[t.id] as number);
  });
  let before = 0;
  return ends.map((end) => {
    const at = Math.max(end, before);
    const d = at - before;
    before = at;
    return d;
  });
}

/** One step of a plan on the emulated fabric: its seconds, kernels' or transfers'. */
export interface StepFace {
  readonly time_s: number;
  /** The step's seconds where it runs kernels (a layer's kernel phases), else 0. */
  readonly compute_s: number;
  /** The step's seconds where it only moves data, else 0. */
  readonly transfer_s: number;
}

/** The emulated face step by step (see emulatedStepFaces), each as compute or transfer. */
export function emulatedSteps(
  plan: Plan,
  face: EmulatedFace,
): { readonly steps: readonly StepFace[]; readonly total_s: number } {
  const seconds = emulatedStepFaces(plan, face);
  const steps = plan.steps.map((step, i) => {
    const time_s = seconds[i] as number;
    const kernels = (step.kernels?.length ?? 0) > 0;
    return { time_s, compute_s: kernels ? time_s : 0, transfer_s: kernels ? 0 : time_s };
  });
  return { steps, total_s: face.time_s };
}

/** What a closed form needs of the fabric: its link, and gamma and the node size if known. */
export interface AnalyticLink extends LinkSpec {
  readonly gamma_s_per_B?: number;
  readonly ranksPerNode?: number;
}

/** Seconds of the closed form of `algorithm` over `bytes`, or undefined where there is none. */
export function analyticSeconds(
  collective: Collective,
  algorithm: string,
  ranks: number,
  bytes: number,
  link: AnalyticLink,
): number | undefined {
  if (!Object.hasOwn(CLOSED_FORMS[collective], algorithm)) return undefined;
  return closedForm(collective, algorithm, ranks, bytes, {
    alpha: link.alpha_s,
    beta: link.beta_Bps,
    ...(link.gamma_s_per_B === undefined ? {} : { gamma: link.gamma_s_per_B }),
    ...(link.ranksPerNode === undefined ? {} : { ranksPerNode: link.ranksPerNode }),
  }).time;
}

/** An AllToAllv's closed form on `link` (src/model/alltoallv.ts). */
function alltoallvAnalytic(plan: Plan, link: AnalyticLink): number | undefined {
  if (!plan.exchange) return undefined;
  return allToAllvSeconds(plan.algorithm, plan.exchange.counts, {
    alpha_s: link.alpha_s,
    beta_Bps: link.beta_Bps,
    elementBytes: DTYPE_INFO[plan.dtype].bytes,
  });
}

/** The closed form of a collective plan on `link` (nccl-tests' bytes), if the book has one. */
export function analyticFace(plan: Plan, link: AnalyticLink): number | undefined {
  if (plan.collective === 'alltoallv') return alltoallvAnalytic(plan, link);
  if (
    plan.collective === 'tensor-parallel' ||
    plan.collective === 'training' ||
    plan.collective === 'moe'
  ) {
    return undefined;
  }
  const bytes = plan.count * DTYPE_INFO[plan.dtype].bytes;
  return analyticSeconds(plan.collective, plan.algorithm, plan.ranks, bytes, link);
}
