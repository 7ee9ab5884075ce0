// A tensor-parallel layer over several rank counts: each measured (src/run/tp-measure.ts),
// N = 1 giving T_1, and set beside the Fleet Law (src/model/fleet-law.ts). The CLI, the bench
// and the page print or draw these rows.

import type { Fabric } from '../fabric/fabric.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { PipelineCache } from '../gpu/pipelines.ts';
import type { ShaderLibrary } from '../gpu/shader-library.ts';
import type { GpuTimer } from '../gpu/timer.ts';
import { fleetLaw, type LawPoint, scalingEfficiency } from '../model/fleet-law.ts';
import type { LayerInfo } from '../plans/plan.ts';
import type { TensorParallelSpec } from '../plans/tensor-parallel.ts';
import { measureTensorParallel, type TpMeasurement, type TpMeasureOptions } from './tp-measure.ts';

export interface TpRow {
  readonly ranks: number;
  readonly max_abs_error: number;
  readonly wrong: number;
  /** Each rank's kernel seconds, the rank alone on this GPU. */
  readonly rank_compute_s: readonly number[];
  /** Emulated: slowest rank's kernels + the collective priced on the fabric. */
  readonly compute_s: number;
  readonly comm_s: number;
  readonly emulated_s: number;
  /** Every rank on this one GPU, one after another in each step. */
  readonly measured_s: number;
  readonly analytic: LawPoint;
  readonly eta_emulated: number;
  readonly tax_emulated: number;
  /** FLOPs of the slowest rank / its kernel seconds. */
  readonly rank_flops_per_s: number;
  readonly steps: readonly {
    readonly phase: string;
    readonly measured_s: number;
    readonly emulated_s: number;
    readonly compute_s: number;
    readonly transfer_s: number;
  }[];
}

export function rowOf(m: TpMeasurement, t1_s: number, analytic: LawPoint): TpRow {
  const slowest = Math.max(...m.rank_compute_s);
  const eta = scalingEfficiency(t1_s, m.plan.ranks, m.emulated.total_s);
  return {
    ranks: m.plan.ranks,
    max_abs_error: m.max_abs_error,
    wrong: m.wrong,
    rank_compute_s: m.rank_compute_s,
    compute_s: m.compute_s,
    comm_s: m.comm_s,
    emulated_s: m.emulated.total_s,
    measured_s: m.measured_s,
    analytic,
    eta_emulated: eta,
    tax_emulated: 1 - eta,
    rank_flops_per_s: m.flops / m.plan.ranks / slowest,
    steps: m.plan.steps.map((s, i) => ({
      phase: s.phase,
      measured_s: m.measured_steps_s[i] as number,
      emulated_s: m.emulated.steps[i]?.time_s as number,
      compute_s: m.emulated.steps[i]?.compute_s as number,
      transfer_s: m.emulated.steps[i]?.transfer_s as number,
    })),
  };
}

/**
 * Measures `specs` in order (the first must have 1 rank: it is T_1) on the fabric `fabricFor`
 * builds for each rank count; the analytic column prices the collective on `link`.
 */
export async function tpSweep(
  ctx: GpuContext,
  shaders: ShaderLibrary,
  cache: PipelineCache,
  timer: GpuTimer,
  specs: readonly TensorParallelSpec[],
  fabricFor: (ranks: number) => Fabric,
  link: { readonly alpha: number; readonly beta: number },
  options: TpMeasureOptions = {},
  progress?: (done: number, of: number) => void,
): Promise<{ rows: TpRow[]; measured: TpMeasurement[] }> {
  if (specs[0]?.ranks !== 1) throw new RangeError('a sweep starts at 1 rank: it is T_1');
  const measured: TpMeasurement[] = [];
  for (const spec of specs) {
    measured.push(
      await measureTensorParallel(ctx, shaders, cache, timer, spec, fabricFor(spec.ranks), options),
    );
    progress?.(measured.length, specs.length);
  }
  const base = measured[0] as TpMeasurement;
  // T_1: the unsharded layer (N = 1), whose plan has no communication.
  const t1 = base.emulated.total_s;
  const layer = base.plan.layer as LayerInfo;
  const [rows, cols] = layer.tensors[layer.result] as readonly [number, number];
  const comm = measured.at(-1)?.plan.layer?.comm ?? null;
  const law = fleetLaw(
    t1,
    comm ? { ...comm, bytes: 4 * rows * cols } : null,
    specs.map((s) => s.ranks),
    link,
  );
  return { rows: measured.map((m, i) => rowOf(m, t1, law[i] as LawPoint)), measured };
}
