// A failed AllReduce (src/plans/failure.ts) checked and set beside its faces of time:
//
//   check      on the CPU, the interpreter runs what ran, then the re-forming and the rerun, on
//              small integers (so the order of additions cannot matter): every survivor's
//              result must be the reduction over the survivors' inputs, by the collective's
//              definition on N - 1 ranks, and every survivor must list the same members;
//   measured   on the GPU, both graphs run (what ran, then the recovery, from the state the
//              first left), timed wave by wave, and compared bit for bit with the interpreter
//              on random floats; the detection timeout is added, not measured: it is waiting;
//   model      this GPU's executor model on both graphs, plus the timeout;
//   emulated   src/model/failure.ts on a fabric;
//   analytic   the closed forms: the share of the plan's waves that ran, the timeout, a ring
//              AllGather of one element per survivor, the AllReduce on the survivors.
import { GraphExecutor } from '../exec/executor/graph.ts';
import {
  allocateGraphBuffers,
  type GraphBuffers,
  interpretGraph,
} from '../exec/interpreter/graph.ts';
import { median } from '../exec/measure/median.ts';
import { fill } from '../exec/random/fill.ts';
import { GpuTimer } from '../gpu/timer.ts';
import { type ExecutorModel, unavailable } from '../model/executor-model.ts';
import { DTYPE_INFO, type ElementArray } from '../plans/dtype.ts';
import { applyElementwise } from '../plans/elementwise.ts';
import { type FailedRun, membersDisagree, writeVotes } from '../plans/failure.ts';
import { type GraphRegion, waveOf } from '../plans/graph.ts';
import { type AnalyticLink, analyticSeconds, type ModelFace, modelFace } from './faces.ts';
import type { RunContext } from './run-plan.ts';

export interface FailureCheck {
  /** Survivors' result elements that differ from what they must be. */
  readonly wrong: number;
  /** Why the survivors do not agree on the members; absent when they do. */
  readonly members?: string;
}

const copyOf = (buffers: GraphBuffers): GraphBuffers =>
  buffers.map((own) => Object.fromEntries(Object.entries(own).map(([k, v]) => [k, v.slice()])));

/** Rank r's region `g` of `buffers` (a view, not a copy). */
function valuesOf(buffers: GraphBuffers, r: number, g: GraphRegion): ElementArray {
  const a = buffers[r]?.[g.buffer];
  if (!a) throw new RangeError(`rank ${r} has no buffer '${g.buffer}'`);
  return a.subarray(g.offset, g.offset + g.count);
}

const bitsOf = (a: ElementArray) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** Elements of the survivors' output regions whose bits differ between `got` and `want`. */
function wrongOutputs(run: FailedRun, got: GraphBuffers, want: readonly ElementArray[]): number {
  let wrong = 0;
  for (const r of run.survivors) {
    const a = bitsOf(valuesOf(got, r, run.after.output[r] as GraphRegion));
    const b = bitsOf(want[r] as ElementArray);
    for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) wrong++;
  }
  return wrong;
}

/** Every buffer random (`integers`: small whole numbers), then the votes. */
function inputsOf(run: FailedRun, seed: number, integers: boolean): GraphBuffers {
  const buffers = allocateGraphBuffers(run.before);
  buffers.forEach((own, r) => {
    for (const [name, a] of Object.entries(own)) {
      const values = fill(run.before.dtype, a.length, seed + 7919 * r + name.length);
      // fill's floats are uniform in [-1, 1): 1 + floor(2 (x + 1)) is a whole 1..4, exact
      // under every reduction of up to 8 ranks (4^8 < 2^24).
      if (integers)
        for (let i = 0; i < a.length; i++) a[i] = 1 + Math.floor(2 * ((values[i] as number) + 1));
      else a.set(values);
    }
  });
  writeVotes(run, buffers);
  return buffers;
}

/** The reduction over the survivors' inputs, as each survivor's result must be. */
function definition(run: FailedRun, inputs: GraphBuffers): ElementArray[] {
  const input = (r: number) => valuesOf(inputs, r, run.original.input[r] as GraphRegion);
  const acc = input(run.survivors[0] as number).slice();
  for (const r of run.survivors.slice(1)) {
    applyElementwise(run.original.redop, acc, input(r), acc.length);
  }
  return run.original.input.map(() => acc);
}

/** The CPU check: the interpreter on small integers against the definition over the survivors. */
export function checkFailure(run: FailedRun, seed = 1): FailureCheck {
  const buffers = inputsOf(run, seed, true);
  const want = definition(run, buffers);
  interpretGraph(run.before, buffers);
  interpretGraph(run.after, buffers);
  const members = membersDisagree(run, buffers);
  return { wrong: wrongOutputs(run, buffers, want), ...(members ? { members } : {}) };
}

export interface FailureMeasurement extends FailureCheck {
  /** Medians over the timed iterations of the GPU seconds of each graph (its waves summed). */
  readonly before_s: number;
  readonly after_s: number;
  /** before + the timeout + after. */
  readonly time_s: number;
  readonly model: ModelFace;
}

export interface FailureRunOptions {
  readonly iters: number;
  readonly warmup: number;
  readonly detect_timeout_s: number;
  readonly seed?: number;
  readonly model?: ExecutorModel;
}

const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);

/**
 * Both graphs on the GPU, the second from the state the first left, timed; the result compared
 * bit for bit with the interpreter's (random floats: the rerun's order of additions is the
 * plan's, so the bits must be equal), and the members checked.
 */
export async function measureFailure(
  ctx: RunContext,
  run: FailedRun,
  options: FailureRunOptions,
): Promise<FailureMeasurement> {
  const first = new GraphExecutor(ctx.ctx, ctx.shaders, run.before, undefined, ctx.cache);
  const second = new GraphExecutor(ctx.ctx, ctx.shaders, run.after, undefined, ctx.cache);
  const timer = new GpuTimer(ctx.ctx);
  try {
    await first.prepare();
    await second.prepare();
    const input = inputsOf(run, options.seed ?? 1, false);
    const once = async () => {
      first.upload(input);
      const a = await first.run(timer);
      second.upload(await first.download());
      const b = await second.run(timer);
      return [sum(a), sum(b)] as const;
    };
    for (let i = 0; i < options.warmup; i++) await once();
    const before: number[] = [];
    const after: number[] = [];
    for (let i = 0; i < Math.max(1, options.iters); i++) {
      const [a, b] = await once();
      before.push(a);
      after.push(b);
    }
    const got = await second.download();
    const want = interpretGraph(run.after, interpretGraph(run.before, copyOf(input)));
    const survivorsWant = run.after.output.map((g, r) => valuesOf(want, r, g));
    const members = membersDisagree(run, got);
    const before_s = median(before);
    const after_s = median(after);
    const limits = ctx.ctx.limits;
    const m = options.model ?? unavailable('not calibrated');
    const a = modelFace(first.plan, m, limits);
    const b = modelFace(second.plan, m, limits);
    const model: ModelFace = a.unavailable
      ? a
      : b.unavailable
        ? b
        : { time_s: a.time_s + options.detect_timeout_s + b.time_s };
    return {
      wrong: wrongOutputs(run, got, survivorsWant),
      ...(members ? { members } : {}),
      before_s,
      after_s,
      time_s: before_s + options.detect_timeout_s + after_s,
      model,
    };
  } finally {
    first.destroy();
    second.destroy();
    timer.destroy();
  }
}

/**
 * The closed forms' prediction: the share of the plan's waves that ran of its closed form on
 * N ranks (a lock-step schedule's progress), the timeout, a ring AllGather of one element per
 * survivor, and the closed form on the survivors. Undefined where the book has no closed form.
 */
export function analyticFailure(
  run: FailedRun,
  algorithm: string,
  detect_timeout_s: number,
  link: AnalyticLink,
): number | undefined {
  const n = run.original.ranks;
  const s = run.survivors.length;
  const { count } = run.original.info.kind === 'collective' ? run.original.info : { count: 0 };
  const bytes = count * DTYPE_INFO[run.original.dtype].bytes;
  const whole = analyticSeconds('allreduce', algorithm, n, bytes, link);
  const rerun = analyticSeconds('allreduce', algorithm, s, bytes, link);
  const reform = analyticSeconds(
    'allgather',
    'ring',
    s,
    s * DTYPE_INFO[run.original.dtype].bytes,
    link,
  );
  if (whole === undefined || rerun === undefined || reform === undefined) return undefined;
  const waves = Math.max(0, ...waveOf(run.original)) + 1;
  return (run.failure.wave / waves) * whole + detect_timeout_s + reform + rerun;
}
