// One row of `fleetlab bench`: a plan run on the GPU, timed over iterations, and checked against
// the CPU interpreter (the count of wrong elements, as nccl-tests' #wrong).
import type { GpuContext } from '../../gpu/device.ts';
import type { PipelineCache } from '../../gpu/pipelines.ts';
import type { ShaderLibrary } from '../../gpu/shader-library.ts';
import { GpuTimer } from '../../gpu/timer.ts';
import type { Plan } from '../../plans/plan.ts';
import type { KernelConfig } from '../executor/kernel-config.ts';
import { GpuExecutor } from '../executor/steps.ts';
import { cloneBuffers, interpret, type RankBuffers } from '../interpreter/steps.ts';
import { randomBuffers } from '../random/fill.ts';
import { median } from './median.ts';
import { type Trace, traceOf, trafficBytes } from './trace.ts';

export interface BenchOptions {
  /** Timed iterations (nccl-tests -n). */
  readonly iters: number;
  /** Untimed iterations first (nccl-tests -w). */
  readonly warmup: number;
  /** Check the result against the interpreter (nccl-tests -c). */
  readonly check: boolean;
  readonly config?: KernelConfig;
}

export interface BenchRow {
  readonly plan: Plan;
  /** Mean GPU seconds of one run of the whole plan (nccl-tests reports the mean). */
  readonly time_s: number;
  readonly median_s: number;
  /** Per-step GPU seconds, medians over the iterations. */
  readonly step_s: readonly number[];
  /** Output elements that differ from the interpreter's bits; -1 when not checked. */
  readonly wrong: number;
  readonly traffic_bytes: number;
  readonly trace: Trace;
}

/** Elements of the output regions whose bits differ between two runs of the plan. */
export function countWrong(plan: Plan, got: RankBuffers, want: RankBuffers): number {
  let wrong = 0;
  plan.output.forEach((g, r) => {
    const a = (got[r] as RankBuffers[number])[g.buffer];
    const b = (want[r] as RankBuffers[number])[g.buffer];
    const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
    const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
    for (let i = g.offset; i < g.offset + g.count; i++) if (ua[i] !== ub[i]) wrong++;
  });
  return wrong;
}

export async function benchPlan(
  ctx: GpuContext,
  shaders: ShaderLibrary,
  cache: PipelineCache,
  plan: Plan,
  options: BenchOptions,
  seed = 1,
): Promise<BenchRow> {
  const exec = new GpuExecutor(ctx, shaders, plan, options.config, cache);
  const timer = new GpuTimer(ctx);
  try {
    await exec.prepare();
    const input = randomBuffers(plan, seed);
    exec.upload(input);
    let wrong = -1;
    if (options.check) {
      await exec.runUntimed();
      wrong = countWrong(plan, await exec.download(), interpret(plan, cloneBuffers(input)));
    }
    for (let i = 0; i < options.warmup; i++) await exec.runUntimed();
    const totals: number[] = [];
    const perStep: number[][] = plan.steps.map(() => []);
    for (let i = 0; i < options.iters; i++) {
      const steps = await exec.run(timer);
      steps.forEach((s, k) => {
        perStep[k]?.push(s);
      });
      totals.push(steps.reduce((t, s) => t + s, 0));
    }
    const finite = totals.filter(Number.isFinite);
    const step_s = perStep.map(median);
    return {
      plan,
      time_s: finite.reduce((t, s) => t + s, 0) / finite.length,
      median_s: median(totals),
      step_s,
      wrong,
      traffic_bytes: trafficBytes(plan),
      trace: traceOf(plan, step_s),
    };
  } finally {
    timer.destroy();
    exec.destroy();
  }
}
