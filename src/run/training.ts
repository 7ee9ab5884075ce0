// A training step run on this GPU and checked: every rank's gradient (after the AllReduce) and
// updated parameters against the f64 reference within its derived bound
// (src/exec/training/reference.ts). The CLI's `dp`, the training page and the bench build on it.
import { GraphExecutor } from '../exec/executor/graph.ts';
import { median } from '../exec/measure/median.ts';
import {
  scatterTrainingInputs,
  type TrainingInputs,
  trainingInputs,
} from '../exec/training/inputs.ts';
import { checkBounded, trainingReference } from '../exec/training/reference.ts';
import type { Fabric } from '../fabric/fabric.ts';
import { type Straggler, slowFabric, slowKernels } from '../fabric/stragglers.ts';
import { GpuTimer } from '../gpu/timer.ts';
import { type GraphPrice, priceGraph } from '../model/event-pricer.ts';
import { pipelineBubble } from '../model/training.ts';
import type { Graph, Task } from '../plans/graph.ts';
import type { Run, TrainingInfo } from '../plans/plan.ts';
import { type DataParallelSpec, dataParallelGraph } from '../plans/training/data-parallel.ts';
import { type PipelineSpec, pipelineGraph } from '../plans/training/pipeline.ts';
import { type AnalyticLink, analyticSeconds } from './faces.ts';
import type { RunContext } from './run-plan.ts';

export interface TrainingCheck {
  /** Elements of any rank's gradient or parameters outside the bound. */
  readonly wrong: number;
  /** The largest |gpu - reference| over every rank's updated parameters, and its bound there. */
  readonly max_abs_err: number;
  readonly bound: number;
  readonly ok: boolean;
  /** The loss of the step's forward pass (f64, the whole batch). */
  readonly loss: number;
}

/** The training info of a graph, or a RangeError: only training plans have one. */
export function trainingInfo(graph: Graph): TrainingInfo {
  if (graph.info.kind !== 'training') {
    throw new RangeError(`a ${graph.info.kind} plan is not a training step`);
  }
  return graph.info.training;
}

/** Runs the step once on the GPU (from seeded inputs unless given) and checks every rank. */
export async function checkTrainingStep(
  run: RunContext,
  graph: Graph,
  options: { readonly seed?: number; readonly inputs?: TrainingInputs } = {},
): Promise<TrainingCheck> {
  const info = trainingInfo(graph);
  const inputs = options.inputs ?? trainingInputs(info, options.seed ?? 1);
  const exec = new GraphExecutor(run.ctx, run.shaders, graph, undefined, run.cache);
  try {
    await exec.prepare();
    return await checkOn(exec, info, inputs);
  } finally {
    exec.destroy();
  }
}

/** Uploads `inputs`, runs the prepared executor's step once and checks every rank. */
async function checkOn(
  exec: GraphExecutor,
  info: TrainingInfo,
  inputs: TrainingInputs,
): Promise<TrainingCheck> {
  const graph = exec.graph;
  exec.upload(scatterTrainingInputs(graph, info, inputs));
  await exec.runUntimed();
  const got = await exec.download();
  const ref = trainingReference(info, inputs);
  let wrong = 0;
  let max_abs_err = 0;
  let bound = 0;
  const part = (t: { v: Float64Array; e: Float64Array }, { offset, count }: Run) => ({
    v: t.v.subarray(offset, offset + count),
    e: t.e.subarray(offset, offset + count),
  });
  const at = (a: unknown, { offset, count }: Run) =>
    (a as Float32Array).subarray(offset, offset + count);
  got.forEach((own, r) => {
    // Each rank is held to what it holds after the step: all of the model, its ZeRO shards,
    // or its pipeline stage's layers (TrainingInfo.owns).
    const owns = info.owns[r];
    for (const run of owns?.grads ?? []) {
      wrong += checkBounded(at(own.grad, run), part(ref.grad, run)).wrong;
    }
    for (const run of owns?.params ?? []) {
      const params = checkBounded(at(own.params, run), part(ref.params, run));
      wrong += params.wrong;
      max_abs_err = Math.max(max_abs_err, params.max_abs_err);
      bound = Math.max(bound, params.max_bound);
    }
  });
  return { wrong, max_abs_err, bound, ok: wrong === 0, loss: ref.loss };
}

/** A fabric of real devices for the emulated faces (as the runner's EmulatedFabric). */
export interface TrainingFabric {
  readonly fabric: string;
  readonly built: Fabric;
  readonly link: AnalyticLink;
}

export interface TrainingMeasurement {
  readonly graph: Graph;
  readonly check: TrainingCheck;
  /** Median GPU seconds of the whole step, every rank on this GPU one after another. */
  readonly measured_s: number;
  /** Each kernel task alone on this GPU, by task id (NaN: a move): the median over the
   * repetitions and over the ranks that run the same kernel on the same shape. */
  readonly kernel_s: Float64Array;
  /** The step on the fabric, devices as fast as this GPU, buckets under the backward pass. */
  readonly emulated: {
    readonly time_s: number;
    readonly comm_s: number;
    readonly hidden_comm_s: number;
    /** hidden_comm_s / comm_s: the share of communication hidden under compute. */
    readonly overlap_fraction: number;
    readonly price: GraphPrice;
  };
  /** Data parallel: the same step with every bucket after the whole backward pass. */
  readonly emulated_no_overlap_s?: number;
  /** Pipeline parallel: the idle share of the stages' compute, 1 - sum(busy) / (p T), beside
   * (p - 1) / (p - 1 + m V). */
  readonly bubble_fraction?: { readonly emulated: number; readonly analytic: number };
  /** The layer-overlap model over the buckets (src/model/training.ts), where a closed form of
   * the AllReduce exists and the step is plain data parallel (not ZeRO): forward + the
   * backward/AllReduce pipeline + update. */
  readonly analytic?: { readonly time_s: number; readonly no_overlap_s: number };
}

/** What a training step is built from: a data-parallel or a pipeline-parallel spec. */
export type TrainingSpec =
  | ({ readonly mode: 'dp' } & DataParallelSpec)
  | ({ readonly mode: 'pp' } & PipelineSpec);

/** The step's graph, and for data parallelism the same step without overlap. */
export function trainingGraphs(spec: TrainingSpec): { graph: Graph; serial?: Graph } {
  if (spec.mode === 'pp') return { graph: pipelineGraph(spec) };
  return { graph: dataParallelGraph(spec), serial: dataParallelGraph({ ...spec, overlap: false }) };
}

/**
 * The step measured, checked and priced: run and checked once, timed `reps` times whole and
 * kernel by kernel, then priced on the fabric (data parallel: with and without overlap).
 */
export async function measureTraining(
  run: RunContext,
  spec: TrainingSpec,
  fabric: TrainingFabric,
  options: {
    readonly reps?: number;
    readonly seed?: number;
    readonly timer?: GpuTimer;
    /** Ranks slowed in the emulated face (their kernels and outgoing links). */
    readonly stragglers?: readonly Straggler[];
  } = {},
): Promise<TrainingMeasurement> {
  const reps = options.reps ?? 3;
  if (!Number.isInteger(reps) || reps < 1 || reps > 1000) {
    throw new RangeError(`reps ${reps} must be a whole number from 1 to 1000`);
  }
  const { graph, serial } = trainingGraphs(spec);
  const info = trainingInfo(graph);
  const inputs = trainingInputs(info, options.seed ?? 1);
  // One executor for the check and the timing: its pipelines and bind groups are built once.
  const exec = new GraphExecutor(run.ctx, run.shaders, graph, undefined, run.cache);
  const timer = options.timer ?? new GpuTimer(run.ctx);
  let measured_s: number;
  let check: TrainingCheck;
  const kernel_s = new Float64Array(graph.tasks.length);
  try {
    await exec.prepare();
    check = await checkOn(exec, info, inputs);
    exec.upload(scatterTrainingInputs(graph, info, inputs));
    const totals: number[] = [];
    const perTask: Float64Array[] = [];
    for (let i = 0; i < reps; i++) {
      totals.push((await exec.run(timer)).reduce((a, b) => a + b, 0));
      perTask.push(await exec.timeEachKernel(timer));
    }
    measured_s = median(totals);
    // Ranks that run the same kernel on the same shape are the same work: pool their samples
    // (every repetition, every such rank) and take the median, so the noise of a shared machine
    // does not make one emulated device a straggler the plan does not have.
    const pooled = new Map<string, number[]>();
    const keyOf = (t: Task) =>
      t.kind === 'kernel' ? `${t.label}|${t.kernel.kernel}|${JSON.stringify(t.kernel.params)}` : '';
    for (const t of graph.tasks) {
      if (t.kind !== 'kernel') continue;
      const samples = pooled.get(keyOf(t)) ?? [];
      for (const times of perTask) samples.push(times[t.id] as number);
      pooled.set(keyOf(t), samples);
    }
    for (const t of graph.tasks) {
      kernel_s[t.id] = t.kind === 'kernel' ? median(pooled.get(keyOf(t)) ?? []) : Number.NaN;
    }
  } finally {
    exec.destroy();
    if (!options.timer) timer.destroy();
  }
  // The two graphs list the same tasks in the same order; only the buckets' dependencies differ.
  const stragglers = options.stragglers ?? [];
  const kernelSeconds = slowKernels((task: Task) => {
    const s = kernel_s[task.id] as number;
    return Number.isFinite(s) ? s : 0;
  }, stragglers);
  const built = slowFabric(fabric.built, stragglers);
  const price = priceGraph(graph, built, { kernelSeconds });
  const serialPrice = serial ? priceGraph(serial, built, { kernelSeconds }) : undefined;
  const analytic =
    info.mode === 'dp' ? analyticStep(graph, info, kernel_s, fabric.link) : undefined;
  const pp = info.pipeline;
  const busy = price.compute_busy_s.reduce((a, b) => a + b, 0);
  return {
    graph,
    check,
    measured_s,
    kernel_s,
    emulated: {
      time_s: price.total_s,
      comm_s: price.comm_s,
      hidden_comm_s: price.hidden_comm_s,
      overlap_fraction: price.overlap,
      price,
    },
    ...(serialPrice ? { emulated_no_overlap_s: serialPrice.total_s } : {}),
    ...(pp
      ? {
          bubble_fraction: {
            emulated: price.total_s > 0 ? 1 - busy / (pp.stages * price.total_s) : 0,
            analytic: pipelineBubble(pp.stages, pp.microbatches, pp.virtual),
          },
        }
      : {}),
    ...(analytic ? { analytic } : {}),
  };
}

/**
 * The layer-overlap model over buckets, on the busiest rank's measured kernels: bucket k's
 * AllReduce (its closed form on the link) starts when its layers' backward is done and the
 * bucket before has been reduced; the step ends when both the backward and the last
 * AllReduce have, then updates. Undefined where the AllReduce has no closed form.
 */
function analyticStep(
  graph: Graph,
  info: TrainingInfo,
  kernel_s: Float64Array,
  link: AnalyticLink,
): { time_s: number; no_overlap_s: number } | undefined {
  // ZeRO's ReduceScatter, AllGathers and shard updates are not in the layer-overlap model.
  if (info.zero !== 0) return undefined;
  const ranks = info.rows.length;
  const seconds = (rank: number, match: (label: string) => boolean) =>
    graph.tasks.reduce(
      (sum, t) =>
        t.kind === 'kernel' && t.rank === rank && match(t.label)
          ? sum + (kernel_s[t.id] as number)
          : sum,
      0,
    );
  // The busiest rank sets the pace (ranks with more rows of the batch).
  let rank = 0;
  for (let r = 1; r < ranks; r++)
    if ((info.rows[r] as number) > (info.rows[rank] as number)) rank = r;
  const forward = seconds(rank, (l) => l.startsWith('forward') || l === 'loss');
  const update = seconds(rank, (l) => l === 'update');
  const backward = info.buckets.map((b) =>
    b.layers.reduce((s, layer) => s + seconds(rank, (l) => l === `backward ${layer}`), 0),
  );
  let comm: number[] = info.buckets.map(() => 0);
  if (info.comm) {
    const times = info.buckets.map((b) =>
      analyticSeconds('allreduce', info.comm?.algorithm ?? '', ranks, 4 * b.count, link),
    );
    if (times.some((t) => t === undefined)) return undefined;
    comm = times as number[];
  }
  let backwardEnd = 0;
  let commEnd = 0;
  backward.forEach((b, k) => {
    backwardEnd += b;
    commEnd = Math.max(commEnd, backwardEnd) + (comm[k] as number);
  });
  const allBackward = backward.reduce((a, b) => a + b, 0);
  const allComm = comm.reduce((a, b) => a + b, 0);
  return {
    time_s: forward + Math.max(allBackward, commEnd) + update,
    no_overlap_s: forward + allBackward + allComm + update,
  };
}
