// One row of `fleetlab bench` and of the bench suite: one size of one algorithm, out of place
// and in place, run by the runner (src/run/run-plan.ts): measured on the GPU, checked, and set
// beside the calibrated model of the executor (and a fabric's emulated and analytic times when
// one is chosen). Where no model could be fitted its time is NaN and `unavailable` says why.
import { measureCopyBuffer } from '../exec/calibration/microbench.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { PipelineCache } from '../gpu/pipelines.ts';
import { nodeShaders } from '../gpu/shaders-node.ts';
import type { GpuTimer } from '../gpu/timer.ts';
import { busBwFactor } from '../model/busbw.ts';
import type { ExecutorModel } from '../model/executor-model.ts';
import { DTYPE_INFO } from '../plans/dtype.ts';
import { allToAllv, skewedCounts } from '../plans/experts/alltoallv.ts';
import type { Plan } from '../plans/plan.ts';
import { builderFor } from '../plans/registry.ts';
import { type EmulatedFabric, type PlanRun, runPlan } from '../run/run-plan.ts';
import type { BenchArgs } from './bench-args.ts';

export interface ModelTime {
  readonly time: number; // us
  readonly unavailable?: string;
}

/** One placement (out of place or in place) of one size, as the JSON records it. */
export interface PlacementResult {
  readonly time: number; // us, as nccl-tests
  readonly alg_bw: number; // GB/s
  readonly bus_bw: number; // GB/s
  readonly nwrong: number;
  /** us; NaN (null in JSON) where the model is unavailable, and `unavailable` says why. */
  readonly model: ModelTime;
  /** Median GPU time of one call (us): what the model is compared with, robust to the odd
   * slow iteration of a busy machine; `time` is the mean, as nccl-tests prints. */
  readonly median_time: number;
  readonly model_error: number; // (model - median) / median
  readonly traffic_bytes: number;
  readonly roofline_fraction: number;
  readonly emulated?: {
    readonly time: number;
    readonly analytic_time: number;
    readonly fabric: string;
  };
}

export interface BenchResult {
  readonly collective: string;
  readonly algorithm: string;
  readonly ranks: number;
  readonly size: number;
  readonly count: number;
  readonly type: string;
  readonly redop: string;
  readonly root: number;
  readonly out_of_place: PlacementResult;
  /** Absent where the collective has no in-place form (alltoallv). */
  readonly in_place?: PlacementResult;
  /** As out_of_place's, at the level nccl-tests' readers look for them. */
  readonly model: ModelTime;
  readonly traffic_bytes: number;
  readonly roofline_fraction: number;
}

/** What every row of a run shares: the device, caches, and the fabrics to price plans on. */
export interface BenchSetup {
  readonly ctx: GpuContext;
  readonly cache: PipelineCache;
  readonly timer: GpuTimer;
  /** This GPU's executor model, calibrated: the model column (or why there is none). */
  readonly model: ExecutorModel;
  readonly emulated?: EmulatedFabric;
}

export type { EmulatedFabric } from '../run/run-plan.ts';

export function countOf(args: BenchArgs, bytes: number): number {
  return Math.floor(bytes / DTYPE_INFO[args.dtype].bytes);
}

const us = (s: number) => s * 1e6;

/**
 * The plan of one size, out of place or in place; undefined where there is no in-place form
 * (alltoallv: every rank sends `count` elements, split over the ranks by --skew).
 */
export function benchPlanOf(
  args: BenchArgs,
  algorithm: string,
  count: number,
  inPlace: boolean,
): Plan | undefined {
  if (args.collective === 'alltoallv') {
    if (inPlace) return undefined;
    const counts = skewedCounts(args.ranks, count, args.skew);
    return allToAllv({ ranks: args.ranks, counts, dtype: args.dtype }, algorithm);
  }
  return builderFor(
    args.collective,
    algorithm,
  )({ ranks: args.ranks, count, dtype: args.dtype, redop: args.redop, inPlace, root: args.root });
}

/**
 * Measures `size` bytes of `algorithm`, out of place then in place; `onRun` sees each run whole
 * (its measured steps, its emulated graph and price: what --trace draws).
 */
export async function measureSize(
  setup: BenchSetup,
  args: BenchArgs,
  algorithm: string,
  size: number,
  onRun?: (run: PlanRun, inPlace: boolean) => void,
): Promise<BenchResult> {
  const { ctx, timer, cache, model } = setup;
  const count = countOf(args, size);
  const bytes = count * DTYPE_INFO[args.dtype].bytes;
  const roofline = await measureCopyBuffer(ctx, timer, Math.max(bytes, 16));
  const placements: PlacementResult[] = [];
  for (const inPlace of [false, true]) {
    const plan = benchPlanOf(args, algorithm, count, inPlace);
    if (!plan) continue;
    const run = await runPlan({ ctx, shaders: nodeShaders, cache }, plan, {
      ...args,
      seed: size + (inPlace ? 1 : 0),
      model,
      ...(setup.emulated ? { emulated: setup.emulated } : {}),
    });
    onRun?.(run, inPlace);
    placements.push(placement(args, run, bytes, roofline));
  }
  const [oop, ip] = placements as [PlacementResult, PlacementResult | undefined];
  const result: BenchResult = {
    collective: args.collective,
    algorithm,
    ranks: args.ranks,
    size: bytes,
    count,
    type: args.dtype,
    redop: args.redop,
    // nccl-tests prints -1 where the collective has no root.
    root: args.collective === 'broadcast' || args.collective === 'reduce' ? args.root : -1,
    out_of_place: oop,
    ...(ip ? { in_place: ip } : {}),
    model: oop.model,
    traffic_bytes: oop.traffic_bytes,
    roofline_fraction: oop.roofline_fraction,
  };
  return result;
}

function placement(
  args: BenchArgs,
  run: PlanRun,
  bytes: number,
  rooflineBps: number,
): PlacementResult {
  const row = run.measured;
  const t = row.time_s;
  const algBw = t > 0 ? bytes / t / 1e9 : Number.NaN;
  const model = run.model.time_s;
  return {
    time: us(t),
    median_time: us(row.median_s),
    alg_bw: algBw,
    bus_bw: algBw * busBwFactor(args.collective, args.ranks),
    nwrong: row.wrong,
    model: run.model.unavailable
      ? { time: Number.NaN, unavailable: run.model.unavailable }
      : { time: us(model) },
    model_error: row.median_s > 0 ? (model - row.median_s) / row.median_s : Number.NaN,
    traffic_bytes: row.traffic_bytes,
    roofline_fraction: t > 0 ? row.traffic_bytes / t / rooflineBps : Number.NaN,
    ...(run.emulated
      ? {
          emulated: {
            fabric: run.emulated.fabric,
            time: us(run.emulated.time_s),
            analytic_time: us(run.analytic_s ?? Number.NaN),
          },
        }
      : {}),
  };
}
