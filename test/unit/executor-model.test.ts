// The executor's cost model: exact on data of its own form (every term, and a knee past which
// bytes cost more), robust to a few preempted runs, and unavailable with a reason, never a
// throw, on data it cannot fit. Its alpha-beta-gamma form prices as the local fabric does.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stepFeatures } from '../../src/exec/executor/step-features.ts';
import { calibratedLocalFabric, fitLocalCalibration } from '../../src/model/calibration.ts';
import {
  describeExecutorModel,
  type ExecutorCoefficients,
  executorModelFromLocal,
  executorPlanSeconds,
  executorStepSeconds,
  fitExecutorModel,
  localExecutorModel,
  type PlanCostSample,
  type StepCostFeatures,
} from '../../src/model/executor-model.ts';
import { pricePlan } from '../../src/model/pricer.ts';
import { ringAllReduce } from '../../src/plans/ring.ts';
import { treeAllReduce } from '../../src/plans/tree.ts';

const TRUE: ExecutorCoefficients = {
  submit_s: 1.5e-3,
  pass_s: 20e-6,
  dispatch_s: 5e-6,
  row_s: 1e-6,
  idle_s: 50e-9,
  copy_s_per_B: 1 / 1e9,
  reduce_s_per_B: 1 / 0.6e9,
  scalar_s_per_B: 1 / 2e9,
  spill_s_per_B: 0,
  knee_B: Number.POSITIVE_INFINITY,
};

/** A grid of one- and two-step plans whose features vary independently. */
function grid(): StepCostFeatures[][] {
  const plans: StepCostFeatures[][] = [];
  let k = 0;
  for (const bytes of [4096, 65536, 1 << 20, 1 << 23]) {
    for (const rows of [1, 4, 32]) {
      for (const dispatches of [1, 2]) {
        k++;
        const step: StepCostFeatures = {
          submits: 1,
          dispatches,
          rows: rows * dispatches,
          idle_workgroups: rows * (k % 3) * Math.ceil(bytes / 65536),
          copy_bytes: k % 2 === 0 ? bytes : bytes / 4,
          reduce_bytes: dispatches === 2 || k % 3 === 0 ? bytes : 0,
          scalar_bytes: k % 5 === 0 ? bytes / 4 : 0,
        };
        plans.push(k % 4 === 0 ? [step, { ...step, submits: 0 }] : [step]);
      }
    }
  }
  return plans;
}

const samplesOf = (c: ExecutorCoefficients, factor: (i: number) => number = () => 1) =>
  grid().map(
    (steps, i): PlanCostSample => ({
      steps,
      seconds: steps.reduce((t, f) => t + executorStepSeconds(c, f), 0) * factor(i),
    }),
  );

const rel = (a: number, b: number) => Math.abs(a - b) / b;

describe('fitExecutorModel', () => {
  it('recovers every coefficient from exact data', () => {
    const m = fitExecutorModel(samplesOf(TRUE));
    if (!m.available) throw new Error(m.reason);
    expect(m.form).toBe('executor');
    expect(m.outliers).toBe(0);
    for (const key of [
      'submit_s',
      'pass_s',
      'dispatch_s',
      'row_s',
      'idle_s',
      'copy_s_per_B',
      'reduce_s_per_B',
      'scalar_s_per_B',
    ] as const) {
      expect(rel(m.coefficients[key], TRUE[key])).toBeLessThan(1e-6);
    }
    expect(m.coefficients.spill_s_per_B).toBeLessThan(1e-6 * TRUE.copy_s_per_B);
    expect(m.median_rel_residual).toBeLessThan(1e-9);
  });

  it('finds the knee past which a step costs more per byte', () => {
    const truth = { ...TRUE, spill_s_per_B: 1 / 1.5e9, knee_B: 2 ** 21 };
    const m = fitExecutorModel(samplesOf(truth));
    if (!m.available) throw new Error(m.reason);
    expect(m.coefficients.knee_B).toBe(2 ** 21);
    expect(rel(m.coefficients.spill_s_per_B, truth.spill_s_per_B)).toBeLessThan(1e-6);
    expect(rel(m.coefficients.copy_s_per_B, truth.copy_s_per_B)).toBeLessThan(1e-6);
  });

  it('sets a few preempted runs aside and still recovers the bytes terms', () => {
    // Every 9th plan ran 10x slow: the OS took the CPU away, not a cost of the plan.
    const m = fitExecutorModel(samplesOf(TRUE, (i) => (i % 9 === 4 ? 10 : 1)));
    if (!m.available) throw new Error(m.reason);
    expect(m.outliers).toBe(3);
    expect(rel(m.coefficients.copy_s_per_B, TRUE.copy_s_per_B)).toBeLessThan(1e-6);
    expect(rel(m.coefficients.reduce_s_per_B, TRUE.reduce_s_per_B)).toBeLessThan(1e-6);
  });

  it('says why, and does not throw, when there are too few passes', () => {
    const m = fitExecutorModel(samplesOf(TRUE).slice(0, 5));
    expect(m.available).toBe(false);
    if (m.available) return;
    expect(m.reason).toMatch(/^5 usable calibration passes, the fit needs at least 18$/);
  });

  it('says the times do not grow with bytes when they do not', () => {
    // A busy machine: the more a plan moved, the less time it took (other work went away).
    const moved = (steps: readonly StepCostFeatures[]) =>
      steps.reduce((t, f) => t + f.copy_bytes + f.reduce_bytes, 0);
    const m = fitExecutorModel(
      grid().map((steps) => ({ steps, seconds: 3e-3 / (1 + moved(steps) / 1e6) })),
    );
    expect(m).toMatchObject({ available: false });
    if (m.available) return;
    expect(m.reason).toMatch(/do not grow with bytes/);
  });

  it('says the fit is too noisy when it misses its own passes by more than half', () => {
    let x = 7;
    const wild = () => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return 10 ** (4 * (x / 2 ** 31) - 2);
    };
    const m = fitExecutorModel(samplesOf(TRUE, wild));
    if (m.available) throw new Error(`fitted, median miss ${m.median_rel_residual}`);
    expect(m.reason).toMatch(/too noisy|do not grow/);
  });

  it('leaves out passes with no finite time and says so', () => {
    const samples = [...samplesOf(TRUE), { steps: grid()[0] ?? [], seconds: Number.NaN }];
    const m = fitExecutorModel(samples);
    expect(m.available).toBe(true);
    expect(m.notes).toContain('1 passes with no finite positive time left out');
  });
});

describe('the alpha-beta-gamma form', () => {
  it('prices a plan as the calibrated local fabric does', () => {
    const sizes = [4096, 65536, 1 << 20, 1 << 24].map((bytes) => {
      const copy = 30e-6 + bytes / 0.5e9;
      return {
        bytes,
        copy_buffer_s: copy / 10,
        copy_kernel_s: copy,
        reduce_kernel_s: copy + bytes * 1e-9,
      };
    });
    const local = fitLocalCalibration({ sizes });
    const model = executorModelFromLocal(local);
    for (const build of [ringAllReduce, treeAllReduce]) {
      for (const ranks of [2, 5, 8]) {
        const plan = build({ ranks, count: 65536, dtype: 'float', redop: 'sum', inPlace: false });
        const want = pricePlan(plan, calibratedLocalFabric(ranks, local)).total_s;
        expect(rel(executorPlanSeconds(model, stepFeatures(plan)), want)).toBeLessThan(1e-12);
      }
    }
  });
});

describe('localExecutorModel', () => {
  it('reads an older calibration file as the alpha-beta-gamma form', () => {
    const old = JSON.parse(
      readFileSync(new URL('../../bench/reports/calibrate.json', import.meta.url), 'utf8'),
    );
    const m = localExecutorModel(old);
    if (!m.available) throw new Error(m.reason);
    expect(m.form).toBe('alpha-beta-gamma');
    expect(m.notes[0]).toBe('no executor passes in this calibration');
    expect(m.coefficients.copy_s_per_B).toBeGreaterThan(0);
  });

  it('says why, and does not throw, when neither fit can be made', () => {
    // A busy machine: copy times that fall as sizes grow.
    const sizes = [4096, 65536, 1 << 20].map((bytes, i) => ({
      bytes,
      copy_buffer_s: 1e-4,
      copy_kernel_s: 3e-3 / (i + 1),
      reduce_kernel_s: 3e-3,
    }));
    const m = localExecutorModel({ sizes, executor_plans: samplesOf(TRUE).slice(0, 3) });
    expect(m.available).toBe(false);
    if (m.available) return;
    expect(m.reason).toMatch(
      /^executor fit: 3 usable calibration passes, the fit needs at least 18; alpha-beta-gamma fit: copy_kernel_s times do not grow with size/,
    );
  });

  it('falls back to alpha-beta-gamma, saying why, where the executor passes do not fit', () => {
    const sizes = [4096, 65536, 1 << 20].map((bytes) => ({
      bytes,
      copy_buffer_s: 1e-4,
      copy_kernel_s: 20e-6 + bytes / 1e9,
      reduce_kernel_s: 20e-6 + bytes / 0.5e9,
    }));
    const m = localExecutorModel({ sizes, executor_plans: samplesOf(TRUE).slice(0, 3) });
    expect(m).toMatchObject({ available: true, form: 'alpha-beta-gamma' });
    expect(describeExecutorModel(m)).toMatch(
      /^alpha-beta-gamma model of the single-op sweep \(executor fit: 3 usable calibration passes/,
    );
  });

  it('prefers the executor fit where the calibration has its passes', () => {
    const m = localExecutorModel({ sizes: [], executor_plans: samplesOf(TRUE) });
    expect(m).toMatchObject({ available: true, form: 'executor' });
  });
});
