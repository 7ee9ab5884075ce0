// The numbers of the page's scaling chart and roofline figure, from the sweep's rows
// (src/run/tp-sweep.ts) and one measurement (src/run/tp-measure.ts): plain data, no DOM.
//
// The Fleet Law: T_step(N) = T_compute / N + T_comm(N); eta = T_1 / (N T_N). Emulated: each
// rank's kernels timed alone on this GPU, the collective priced on the fabric; analytic: T_1 / N
// plus the collective's closed form on the fabric's bottleneck link.
import { fabricPreset } from '../../fabric/fabric-presets.ts';
import { paramsOf } from '../../kernels/kernel.ts';
import { matmulKernel } from '../../kernels/matmul.ts';
import type { TpMeasurement } from '../../run/tp-measure.ts';
import type { TpRow } from '../../run/tp-sweep.ts';
import { layerProblem, type TpState } from './state.ts';

/** The rank counts the sweep tries. */
export const SWEEP_RANKS = [1, 2, 4, 8] as const;

/** Of 1, 2, 4, 8: those the layer splits into and the fabric holds (1 always). */
export function sweepRanks(s: TpState): number[] {
  return SWEEP_RANKS.filter((ranks) => {
    if (layerProblem({ ...s, ranks }) !== undefined) return false;
    try {
      fabricPreset(s.fabric).build(ranks);
      return true;
    } catch {
      return false;
    }
  });
}

export interface ScalingSeries {
  readonly label: string;
  /** 'ms': times on the left axis; 'eta': efficiencies (0..1) on the right. */
  readonly scale: 'ms' | 'eta';
  readonly kind: 'emulated' | 'analytic';
  readonly values: readonly (number | null)[];
}

export interface ScalingData {
  readonly ranks: readonly number[];
  readonly series: readonly ScalingSeries[];
}

const finite = (x: number) => (Number.isFinite(x) ? x : null);

/** The chart's series: compute/N and communication falling or rising, eta two ways. */
export function scalingData(rows: readonly TpRow[]): ScalingData {
  const col = (f: (r: TpRow) => number) => rows.map((r) => f(r));
  return {
    ranks: rows.map((r) => r.ranks),
    series: [
      {
        label: 'compute (emulated)',
        scale: 'ms',
        kind: 'emulated',
        values: col((r) => r.compute_s * 1e3).map(finite),
      },
      {
        label: 'communication (emulated)',
        scale: 'ms',
        kind: 'emulated',
        values: col((r) => r.comm_s * 1e3).map(finite),
      },
      {
        label: 'step (emulated)',
        scale: 'ms',
        kind: 'emulated',
        values: col((r) => r.emulated_s * 1e3).map(finite),
      },
      {
        label: 'step (Fleet Law)',
        scale: 'ms',
        kind: 'analytic',
        values: col((r) => r.analytic.step_s * 1e3).map(finite),
      },
      {
        label: 'eta (emulated)',
        scale: 'eta',
        kind: 'emulated',
        values: col((r) => r.eta_emulated).map(finite),
      },
      {
        label: 'eta (Fleet Law)',
        scale: 'eta',
        kind: 'analytic',
        values: col((r) => r.analytic.eta).map(finite),
      },
    ],
  };
}

export interface RooflinePoint {
  /** The step's phase, e.g. 'matmul X W1'. */
  readonly phase: string;
  readonly rank: number;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly seconds: number;
  readonly flops_per_s: number;
  /** FLOPs per byte moved at least (A, B read once, C written once). */
  readonly intensity: number;
  /** Of the measured FMA peak; NaN without one. */
  readonly peak_fraction: number;
}

/** Each matmul of `rank` with its achieved rate and its share of the FMA peak. */
export function rooflinePoints(
  m: Pick<TpMeasurement, 'plan' | 'kernel_s'>,
  peak_flops_per_s: number,
  rank = 0,
): RooflinePoint[] {
  const out: RooflinePoint[] = [];
  m.plan.steps.forEach((st, i) => {
    const mine = (st.kernels ?? []).filter((k) => k.rank === rank);
    const op = mine[0];
    // A step's kernels on one rank are timed together: only a lone matmul has its own time.
    if (mine.length !== 1 || op?.kernel !== matmulKernel.name) return;
    const p = paramsOf(matmulKernel, op);
    const seconds = m.kernel_s[i]?.[rank] ?? Number.NaN;
    const flops = matmulKernel.flops(p);
    const flops_per_s = flops / seconds;
    out.push({
      phase: st.phase,
      rank,
      m: p.m,
      k: p.k,
      n: p.n,
      seconds,
      flops_per_s,
      intensity: flops / matmulKernel.bytes(p),
      peak_fraction: peak_flops_per_s > 0 ? flops_per_s / peak_flops_per_s : Number.NaN,
    });
  });
  return out;
}
