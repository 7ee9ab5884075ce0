// A model of what the GPU executor pays per step, fitted on calibration passes that ran real
// plans through it (exec/calibration/executor.ts). A step is one timed compute pass; its ops go
// out as dispatches (one per kind and pair of arenas), each an op table of rows with workgroups
// along every op. So a step costs
//
//   t = submit_s x submits + pass_s + dispatch_s x dispatches + row_s x rows + idle_s x idle workgroups
//       + copy_s_per_B x copy bytes + reduce_s_per_B x reduce bytes + scalar_s_per_B x scalar bytes
//
// - submit_s: once a run, on its first step: the executor submits all of a run's passes at once,
//   and the first pays for waking the device (on SwiftShader, its idle worker threads: about a
//   millisecond or more, the largest fixed cost there, and what made small sizes run slow);
// - pass_s: the fixed cost of a timed pass (submission, timestamps, the driver's wake-up);
// - dispatch_s: each dispatch's pipeline and bind group switch and its grid's launch;
// - row_s: each op read from the table (one row of workgroups);
// - idle_s: each workgroup launched past a short op's end, that returns at once (the grid is
//   sized by the group's largest op, so unequal ops waste workgroups; the busy ones are priced
//   by their bytes, with which their count grows in step, so a term of their own would only
//   trade places with the bytes' in a noisy fit);
// - copy_s_per_B, reduce_s_per_B: message bytes (count x element size) copied, reduced (a
//   reduction reads its destination too, so it costs more per byte);
// - scalar_s_per_B: the extra of bytes moved on scalar lanes where a group is not vec4-aligned;
// - spill_s_per_B: the extra of each byte of a step past knee_B (copy + reduce bytes): a step
//   whose data outgrows the caches (SwiftShader's are the CPU's) runs slower per byte. knee_B
//   is chosen among powers of two by the best fit; without a knee that helps, the term is 0.
//
// The fit reads whole calibration plans (each a list of step features, and the median of its
// total GPU time over repeated runs): the model is linear, so a plan costs its steps' sum, and
// the median of totals is the very figure `bench` compares the model with (a step the OS
// preempts now and then adds to every total, where a per-step median would hide it).
//
// Every coefficient is >= 0 (fitNonNegative): a term the data cannot support is dropped, not
// made negative. The fit weighs relative error, so 20 us and 100 ms steps count alike. Features
// are plain numbers (exec/executor/step-features.ts computes them from a plan): model/ does not
// import exec/. A fit that cannot be made returns { available: false, reason }: callers print
// the reason in their model columns and go on.
import { type CalibrationFigures, fitLocalCalibration } from './calibration.ts';
import type { FitQuality } from './least-squares.ts';
import { fitNonNegative } from './least-squares.ts';

/** What the executor does in one step (exec/executor/step-features.ts's StepFeatures has these). */
export interface StepCostFeatures {
  /** 1 for the first step of a run (one submission), else 0. */
  readonly submits: number;
  readonly dispatches: number;
  readonly rows: number;
  readonly idle_workgroups: number;
  readonly copy_bytes: number;
  readonly reduce_bytes: number;
  readonly scalar_bytes: number;
}

/** One calibration plan: its steps' features and the median of its measured total seconds. */
export interface PlanCostSample {
  readonly steps: readonly StepCostFeatures[];
  readonly seconds: number;
}

export interface ExecutorCoefficients {
  readonly submit_s: number;
  readonly pass_s: number;
  readonly dispatch_s: number;
  readonly row_s: number;
  readonly idle_s: number;
  readonly copy_s_per_B: number;
  readonly reduce_s_per_B: number;
  readonly scalar_s_per_B: number;
  readonly spill_s_per_B: number;
  /** Bytes of a step past which spill_s_per_B applies (Infinity: no knee). */
  readonly knee_B: number;
}

type Term = Exclude<keyof ExecutorCoefficients, 'knee_B'>;

/** The terms in the order they are dropped last to first when the data cannot tell them apart. */
const TERMS: readonly {
  readonly name: Term;
  readonly of: (f: StepCostFeatures, knee_B: number) => number;
}[] = [
  { name: 'pass_s', of: () => 1 },
  { name: 'submit_s', of: (f) => f.submits },
  { name: 'copy_s_per_B', of: (f) => f.copy_bytes },
  { name: 'reduce_s_per_B', of: (f) => f.reduce_bytes },
  { name: 'row_s', of: (f) => f.rows },
  { name: 'dispatch_s', of: (f) => f.dispatches },
  { name: 'idle_s', of: (f) => f.idle_workgroups },
  { name: 'scalar_s_per_B', of: (f) => f.scalar_bytes },
  { name: 'spill_s_per_B', of: (f, knee) => Math.max(0, f.copy_bytes + f.reduce_bytes - knee) },
];

/** The knees tried: powers of two from 256 KiB to 256 MiB. */
const KNEES_B = Array.from({ length: 11 }, (_, k) => 2 ** (18 + k));

export const EXECUTOR_TERMS: readonly Term[] = TERMS.map((t) => t.name);

export interface AvailableModel {
  readonly available: true;
  /** 'executor': fitted on executor passes; 'alpha-beta-gamma': from an older calibration's
   * single-op sweep (pass_s = alpha, copy = 1 / beta, reduce = 1 / beta + gamma). */
  readonly form: 'executor' | 'alpha-beta-gamma';
  readonly coefficients: ExecutorCoefficients;
  /** Samples the fit used (after outliers were set aside). */
  readonly points: number;
  /** Samples set aside as outliers (a step more than OUTLIER_FACTOR off the first fit). */
  readonly outliers: number;
  readonly fit: FitQuality;
  /** Median |fit - measured| / measured over the points. */
  readonly median_rel_residual: number;
  readonly notes: readonly string[];
}

export interface UnavailableModel {
  readonly available: false;
  /** Why no model could be fitted, for the model columns: "model unavailable: <reason>". */
  readonly reason: string;
  readonly notes: readonly string[];
}

export type ExecutorModel = AvailableModel | UnavailableModel;

/**
 * A plan this far off the first fit (either way) is an outlier: a run the OS stopped for long,
 * not physics. Only gross ones: the odd preempted pass is one-sided (always slower) and part of
 * what every measured total pays, so setting aside the merely slow would bias the model fast.
 */
export const OUTLIER_FACTOR = 3;
/** At most this share of the samples is ever set aside. */
const MAX_OUTLIER_SHARE = 0.2;
/** A fit whose median miss on its own points is past this is noise, not a model. */
const MAX_MEDIAN_RESIDUAL = 0.5;

const ZERO: ExecutorCoefficients = {
  submit_s: 0,
  pass_s: 0,
  dispatch_s: 0,
  row_s: 0,
  idle_s: 0,
  copy_s_per_B: 0,
  reduce_s_per_B: 0,
  scalar_s_per_B: 0,
  spill_s_per_B: 0,
  knee_B: Number.POSITIVE_INFINITY,
};

/** Seconds the model gives one step. */
export function executorStepSeconds(c: ExecutorCoefficients, f: StepCostFeatures): number {
  // A zero coefficient adds nothing, even where its feature is Infinity - Infinity's NaN.
  return TERMS.reduce(
    (t, term) => (c[term.name] === 0 ? t : t + c[term.name] * term.of(f, c.knee_B)),
    0,
  );
}

/** Seconds the model gives a list of steps run one after another. */
function planSeconds(c: ExecutorCoefficients, steps: readonly StepCostFeatures[]): number {
  return steps.reduce((t, f) => t + executorStepSeconds(c, f), 0);
}

/** Seconds of every step of a plan, or NaN each where the model is unavailable. */
export function executorStepTimes(
  model: ExecutorModel,
  steps: readonly StepCostFeatures[],
): number[] {
  return steps.map((f) =>
    model.available ? executorStepSeconds(model.coefficients, f) : Number.NaN,
  );
}

/** Seconds of a whole plan (its steps run one after another), NaN where unavailable. */
export function executorPlanSeconds(
  model: ExecutorModel,
  steps: readonly StepCostFeatures[],
): number {
  return executorStepTimes(model, steps).reduce((t, s) => t + s, 0);
}

/** A model that says why there is none (a caller that skips calibration, a fit that failed). */
export const unavailable = (reason: string, notes: readonly string[] = []): UnavailableModel => ({
  available: false,
  reason,
  notes,
});

function medianOf(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? (s[m] as number)
      : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

interface RawFit {
  readonly coefficients: ExecutorCoefficients;
  readonly fit: FitQuality;
}

/** A term's column: its feature summed over each plan's steps. */
const column = (samples: readonly PlanCostSample[], term: (typeof TERMS)[number], knee: number) =>
  samples.map((s) => s.steps.reduce((t, f) => t + term.of(f, knee), 0));

/**
 * Fits the terms that vary in `samples` at one knee: a term whose column is the same multiple
 * of the plans' step counts everywhere cannot be told from pass_s and is dropped; on a singular
 * system the last terms go first.
 */
function fitAtKnee(samples: readonly PlanCostSample[], knee: number, notes: string[]): RawFit {
  const passes = column(samples, TERMS[0] as (typeof TERMS)[number], knee);
  const terms = TERMS.filter((t, k) => {
    if (k === 0) return true;
    const values = column(samples, t, knee);
    const ratio = (values[0] as number) / (passes[0] as number);
    const same = values.every(
      (v, i) => Math.abs(v - ratio * (passes[i] as number)) <= 1e-12 * Math.abs(v),
    );
    if (same && ratio !== 0)
      notes.push(`${t.name}: its feature does not vary from pass to pass, not told from pass_s`);
    return !same;
  });
  // The non-negative least squares optimum over every subset of the terms (pass_s always in):
  // fitNonNegative drops a term that comes out negative for good, which on correlated columns
  // can drop one the data needs (the submit cost did, on noisy passes); each subset's result
  // is non-negative and achievable, and the best of them is the optimum. 2^8 small solves.
  const ys = samples.map((s) => s.seconds);
  const columns = terms.map((t) => column(samples, t, knee));
  let best: { fit: ReturnType<typeof fitNonNegative>; subset: number[] } | undefined;
  let failure: Error | undefined;
  for (let mask = 0; mask < 2 ** (terms.length - 1); mask++) {
    const subset = [0, ...terms.slice(1).flatMap((_, j) => ((mask >> j) & 1 ? [j + 1] : []))];
    try {
      const fit = fitNonNegative(
        subset.map((j) => columns[j] as number[]),
        ys,
      );
      if (!best || fit.r2 > best.fit.r2) best = { fit, subset };
    } catch (e) {
      failure = e as Error; // a singular subset: its terms do not vary apart
    }
  }
  if (!best) throw failure ?? new Error('no subset of the terms could be fitted');
  const c: Record<Term, number> & { knee_B: number } = { ...ZERO };
  best.subset.forEach((j, k) => {
    c[(terms[j] as (typeof TERMS)[number]).name] = best.fit.coefficients[k] as number;
  });
  if (c.spill_s_per_B > 0) c.knee_B = knee;
  return { coefficients: c, fit: { r2: best.fit.r2, max_rel_residual: best.fit.max_rel_residual } };
}

/** The best fit over the knees (by weighted R^2), and the knee it used. */
function fitTerms(samples: readonly PlanCostSample[], notes: string[]): RawFit {
  let best: RawFit | undefined;
  let bestNotes: string[] = [];
  for (const knee of KNEES_B) {
    const mine: string[] = [];
    const f = fitAtKnee(samples, knee, mine);
    if (!best || f.fit.r2 > best.fit.r2) [best, bestNotes] = [f, mine];
  }
  notes.push(...bestNotes);
  return best as RawFit;
}

const relMiss = (c: ExecutorCoefficients, s: PlanCostSample) =>
  Math.abs(planSeconds(c, s.steps) - s.seconds) / s.seconds;

/**
 * Fits the executor model on calibration plans (medians of repeated runs). Never throws: too
 * few or unusable samples, times that do not grow with bytes, or a fit that misses its own
 * plans by more than half (median) give { available: false, reason }.
 */
export function fitExecutorModel(samples: readonly PlanCostSample[]): ExecutorModel {
  const usable = samples.filter(
    (s) =>
      Number.isFinite(s.seconds) &&
      s.seconds > 0 &&
      s.steps.length > 0 &&
      s.steps.every((f) => TERMS.every((t) => Number.isFinite(t.of(f, 0)) && t.of(f, 0) >= 0)),
  );
  const notes: string[] = [];
  if (usable.length < samples.length) {
    notes.push(`${samples.length - usable.length} passes with no finite positive time left out`);
  }
  if (usable.length < 2 * TERMS.length) {
    return unavailable(
      `${usable.length} usable calibration passes, the fit needs at least ${2 * TERMS.length}`,
      notes,
    );
  }
  try {
    let kept = usable;
    let raw = fitTerms(kept, notes);
    // Set aside the plans far off the first fit (a run the OS preempted costs milliseconds the
    // model cannot know of), at most a fifth of them, and fit again on the rest.
    const far = kept
      .map((s) => ({ s, ratio: planSeconds(raw.coefficients, s.steps) / s.seconds }))
      .filter(({ ratio }) => !(ratio <= OUTLIER_FACTOR && ratio >= 1 / OUTLIER_FACTOR))
      .sort((a, b) => Math.abs(Math.log(b.ratio)) - Math.abs(Math.log(a.ratio)))
      .slice(0, Math.floor(MAX_OUTLIER_SHARE * kept.length));
    if (far.length > 0) {
      const out = new Set(far.map((m) => m.s));
      kept = kept.filter((s) => !out.has(s));
      raw = fitTerms(kept, []);
    }
    const c = raw.coefficients;
    if (!(c.copy_s_per_B > 0 || c.reduce_s_per_B > 0 || c.spill_s_per_B > 0)) {
      return unavailable(
        'calibration times do not grow with bytes (the machine is too noisy)',
        notes,
      );
    }
    const median_rel_residual = medianOf(kept.map((s) => relMiss(c, s)));
    if (!(median_rel_residual <= MAX_MEDIAN_RESIDUAL)) {
      return unavailable(
        `the fit misses its own calibration passes by ${(100 * median_rel_residual).toFixed(0)} % (median): too noisy`,
        notes,
      );
    }
    return {
      available: true,
      form: 'executor',
      coefficients: c,
      points: kept.length,
      outliers: usable.length - kept.length,
      fit: raw.fit,
      median_rel_residual,
      notes,
    };
  } catch (e) {
    return unavailable(`the fit failed: ${(e as Error).message}`, notes);
  }
}

/** The older local fabric's figures (model/calibration.ts's LocalCalibration has them). */
export interface AlphaBetaGamma {
  readonly alpha_s: number;
  readonly beta_Bps: number;
  readonly gamma_s_per_B: number;
  readonly copy_fit: FitQuality;
  readonly points: number;
  readonly notes: readonly string[];
}

/**
 * The alpha-beta-gamma fit as an executor model: what the pricer charges on the local fabric
 * (alpha once a step, every byte at 1 / beta, reduced bytes gamma more), for calibrations that
 * predate the executor passes.
 */
export function executorModelFromLocal(local: AlphaBetaGamma): AvailableModel {
  return {
    available: true,
    form: 'alpha-beta-gamma',
    coefficients: {
      ...ZERO,
      pass_s: local.alpha_s,
      copy_s_per_B: 1 / local.beta_Bps,
      reduce_s_per_B: 1 / local.beta_Bps + local.gamma_s_per_B,
    },
    points: local.points,
    outliers: 0,
    fit: local.copy_fit,
    median_rel_residual: Number.NaN,
    notes: local.notes,
  };
}

/** One line for a header: the form and its coefficients, or why there is none. */
export function describeExecutorModel(model: ExecutorModel): string {
  if (!model.available) return `model unavailable: ${model.reason}`;
  const c = model.coefficients;
  const us = (s: number) => `${(s * 1e6).toFixed(2)} us`;
  const gbps = (sPerB: number) => (sPerB > 0 ? `${(1 / sPerB / 1e9).toFixed(3)} GB/s` : 'free');
  const head =
    model.form === 'executor'
      ? `executor model fitted on ${model.points} plans (${model.outliers} outliers set aside, median miss ${(100 * model.median_rel_residual).toFixed(1)} %)`
      : `alpha-beta-gamma model of the single-op sweep${model.notes[0]?.startsWith('executor fit:') ? ` (${model.notes[0]})` : ''}`;
  return (
    `${head}: submit ${us(c.submit_s)}, pass ${us(c.pass_s)}, dispatch ${us(c.dispatch_s)}, row ${us(c.row_s)}, ` +
    `idle workgroup ${(c.idle_s * 1e9).toFixed(1)} ns, copy ${gbps(c.copy_s_per_B)}, ` +
    `reduce ${gbps(c.reduce_s_per_B)}, scalar extra ${gbps(c.scalar_s_per_B)}, ` +
    `past ${Number.isFinite(c.knee_B) ? `${c.knee_B / 2 ** 20} MiB a step` : 'no knee'} extra ${gbps(c.spill_s_per_B)} (message bytes)`
  );
}

/** A calibration as `fleetlab calibrate --json` writes it; executor_plans only in newer ones. */
export interface ModelCalibration extends CalibrationFigures {
  readonly executor_plans?: readonly PlanCostSample[];
}

/**
 * This GPU's model from a calibration, never a throw: the executor fit where the calibration
 * has executor passes and they fit; else the alpha-beta-gamma fit of its single-op sweep (an
 * older file, or executor passes too noisy to fit, with a note saying so); else unavailable,
 * with the reasons.
 */
export function localExecutorModel(calibration: ModelCalibration): ExecutorModel {
  const why: string[] = [];
  if (calibration.executor_plans && calibration.executor_plans.length > 0) {
    const m = fitExecutorModel(calibration.executor_plans);
    if (m.available) return m;
    why.push(`executor fit: ${m.reason}`);
  } else {
    why.push('no executor passes in this calibration');
  }
  try {
    const local = executorModelFromLocal(fitLocalCalibration(calibration));
    return { ...local, notes: [...why, ...local.notes] };
  } catch (e) {
    return unavailable(`${why.join('; ')}; alpha-beta-gamma fit: ${(e as Error).message}`);
  }
}
