// Calibration passes for the executor's cost model: real plans run through the GPU executor,
// each step timed as the executor times it (one timed pass), and paired with that step's
// features (executor/step-features.ts). Two families, so the fit sees many small ops as well as
// few large ones and copies as well as reductions:
// - synthetic one-step plans: `ops` equal ops of `count` elements from each rank's send to the
//   next rank's recv, all copies or all reductions, over a grid of (ranks, ops per rank, bytes);
// - the real AllReduce builders (ring, tree, rhd) at small sizes, whose steps mix ops of unequal
//   sizes in one dispatch (the grid is sized by the largest) and fold odd rank counts.
// Every pass is repeated and its median kept; a pass whose median is not finite is dropped.
import type { GpuContext } from '../../gpu/device.ts';
import type { PipelineCache } from '../../gpu/pipelines.ts';
import type { ShaderLibrary } from '../../gpu/shader-library.ts';
import type { GpuTimer } from '../../gpu/timer.ts';
import type { Op, Plan } from '../../plans/plan.ts';
import { ALGORITHMS, type PlanBuilder } from '../../plans/registry.ts';
import { DEFAULT_KERNEL_CONFIG, type KernelConfig } from '../executor/kernel-config.ts';
import { type StepFeatures, stepFeatures } from '../executor/step-features.ts';
import { GpuExecutor } from '../executor/steps.ts';
import { median } from '../measure/median.ts';

/** One calibration plan as run: its steps' features and the medians of its GPU seconds. */
export interface ExecutorPlanSample {
  /** Which plan, for a reader of the JSON. */
  readonly what: string;
  /** Median over the runs of the plan's total GPU seconds (what the model is fitted on). */
  readonly seconds: number;
  /** Timed runs the medians are over. */
  readonly reps: number;
  readonly steps: readonly StepFeatures[];
  /** Median GPU seconds of each step. */
  readonly step_seconds: readonly number[];
}

/**
 * A plan of `steps` equal steps on `ranks` ranks: in each, rank i sends `opsPerRank` ops of
 * `count` elements from its send buffer to rank i + 1's recv buffer (rank 0 to itself when
 * alone), copying or reducing (mixed: alternately). Several equal steps make a total that
 * carries the odd preempted pass at the rate the real plans' totals do, where the median of
 * single passes would drop it.
 */
export function syntheticStepPlan(
  ranks: number,
  opsPerRank: number,
  count: number,
  kind: Op['kind'] | 'mixed',
  steps = 1,
): Plan {
  const total = opsPerRank * count;
  const ops: Op[] = [];
  for (let r = 0; r < ranks; r++) {
    for (let j = 0; j < opsPerRank; j++) {
      ops.push({
        // Mixed: alternate copies and reductions, two dispatches in one pass.
        kind: kind === 'mixed' ? (j % 2 === 0 ? 'copy' : 'reduce') : kind,
        src: { rank: r, buffer: 'send', offset: j * count },
        dst: { rank: (r + 1) % ranks, buffer: 'recv', offset: j * count },
        count,
        chunk: j,
      });
    }
  }
  const all = Array.from({ length: ranks }, () => total);
  const whole = (buffer: 'send' | 'recv') =>
    Array.from({ length: ranks }, () => ({ buffer, offset: 0, count: total }));
  return {
    collective: 'allreduce',
    algorithm: `synthetic ${kind}`,
    ranks,
    count: total,
    dtype: 'float',
    redop: 'sum',
    root: 0,
    inPlace: false,
    sizes: { send: all, recv: all },
    input: whole('send'),
    output: whole('recv'),
    steps: Array.from({ length: steps }, () => ({ phase: `${kind} x ${ops.length}`, ops })),
  };
}

export interface ExecutorCalibrationOptions {
  /** Timed runs of each plan (default 7); the median of each step is kept. */
  readonly reps?: number;
  /** Largest bytes of one synthetic op (default 16 MiB). */
  readonly maxOpBytes?: number;
  readonly config?: KernelConfig;
  /** Called after each plan, e.g. for progress. */
  readonly onPlan?: (sample: ExecutorPlanSample) => void;
}

/**
 * The plans the passes run: the synthetic grid up to `maxOpBytes` an op (at most 64 MiB a
 * plan), then the real builders at two sizes up to `maxOpBytes` a rank.
 */
export function calibrationPlans(maxOpBytes = 16 * 2 ** 20): { what: string; plan: Plan }[] {
  const plans: { what: string; plan: Plan }[] = [];
  // Down from the largest power of two <= maxOpBytes by factors of 8, to 4 KiB.
  const sizes: number[] = [];
  for (let b = 2 ** Math.floor(Math.log2(Math.max(4096, maxOpBytes))); b >= 4096; b /= 8) {
    sizes.unshift(b);
  }
  // Few large ops and many small ones, at the same total bytes and across it: rows and bytes
  // vary independently, so the fit can tell a row's cost from a byte's. Mixed steps hold two
  // dispatches, so a dispatch's cost is told from a pass's.
  for (const kind of ['copy', 'reduce', 'mixed'] as const) {
    for (const [ranks, opsPerRank] of [
      [2, 1],
      [8, 1],
      [4, 8],
      [8, 16],
    ] as const) {
      if (kind === 'mixed' && opsPerRank === 1) continue;
      for (const bytes of sizes) {
        if (ranks * opsPerRank * bytes > 64 * 2 ** 20) continue;
        // Steps of up to 1 MiB eight times over, larger ones twice: a few 10 ms a plan.
        const steps = ranks * opsPerRank * bytes <= 2 ** 20 ? 8 : 2;
        plans.push({
          what: `${kind} ${ranks}x${opsPerRank} ops of ${bytes} B, ${steps} steps`,
          plan: syntheticStepPlan(ranks, opsPerRank, bytes / 4, kind, steps),
        });
      }
    }
  }
  // The real builders: unequal ops in one dispatch, odd rank counts, reduce-then-copy steps.
  const top = sizes[sizes.length - 1] as number;
  const real = [...new Set([Math.max(4096, top / 64), Math.max(4096, top / 8)])];
  for (const algorithm of ['ring', 'tree', 'rhd'] as const) {
    for (const ranks of [3, 8]) {
      for (const bytes of real) {
        const build = ALGORITHMS.allreduce[algorithm] as PlanBuilder;
        plans.push({
          what: `allreduce ${algorithm} ${ranks} ranks ${bytes} B`,
          plan: build({ ranks, count: bytes / 4, dtype: 'float', redop: 'sum', inPlace: false }),
        });
      }
    }
  }
  return plans;
}

/** Runs every calibration plan `reps` times and keeps the medians. */
export async function calibrateExecutor(
  ctx: GpuContext,
  shaders: ShaderLibrary,
  cache: PipelineCache,
  timer: GpuTimer,
  options: ExecutorCalibrationOptions = {},
): Promise<ExecutorPlanSample[]> {
  const reps = options.reps ?? 7;
  const config = options.config ?? DEFAULT_KERNEL_CONFIG;
  const samples: ExecutorPlanSample[] = [];
  for (const { what, plan } of calibrationPlans(options.maxOpBytes)) {
    const exec = new GpuExecutor(ctx, shaders, plan, config, cache);
    try {
      await exec.prepare();
      await exec.runUntimed();
      const totals: number[] = [];
      const times: number[][] = plan.steps.map(() => []);
      for (let i = 0; i < reps; i++) {
        const steps = await exec.run(timer);
        steps.forEach((s, k) => {
          times[k]?.push(s);
        });
        // A run with a step the clock could not time has no total.
        totals.push(steps.every(Number.isFinite) ? steps.reduce((t, s) => t + s, 0) : Number.NaN);
      }
      const sample: ExecutorPlanSample = {
        what,
        seconds: median(totals),
        reps,
        steps: stepFeatures(plan, { config, limits: ctx.limits }),
        step_seconds: times.map(median),
      };
      samples.push(sample);
      options.onPlan?.(sample);
    } finally {
      exec.destroy();
    }
  }
  return samples;
}
