// The runner's faces of time (src/run/faces.ts): the model face of a plan is its steps' sum
// and says why where no model could be fitted; the emulated face is the event-driven pricer's,
// its steps adding up to the whole; the analytic face is the closed form where the book has
// one, and absent where it has none.
import { describe, expect, it } from 'vitest';
import { switchFabric } from '../../src/fabric/topologies.ts';
import { allReduceRing } from '../../src/model/closed-forms.ts';
import { executorModelFromLocal } from '../../src/model/executor-model.ts';
import type { Plan } from '../../src/plans/plan.ts';
import { ALGORITHMS } from '../../src/plans/registry.ts';
import { tensorParallel } from '../../src/plans/tensor-parallel.ts';
import {
  analyticFace,
  emulatedFace,
  emulatedStepFaces,
  modelFace,
  modelStepFaces,
} from '../../src/run/faces.ts';

const ring = (n: number, count: number) =>
  ALGORITHMS.allreduce.ring?.({
    ranks: n,
    count,
    dtype: 'float',
    redop: 'sum',
    inPlace: true,
  }) as Plan;

const link = { alpha_s: 2e-6, beta_Bps: 50e9 };
const model = executorModelFromLocal({
  alpha_s: 1e-5,
  beta_Bps: 2e9,
  gamma_s_per_B: 1e-10,
  copy_fit: { r2: 1, max_rel_residual: 0 },
  points: 4,
  notes: [],
});

describe('faces', () => {
  it('model: the steps add up to the whole; unavailable says why', () => {
    const plan = ring(4, 4096);
    const whole = modelFace(plan, model);
    const steps = modelStepFaces(plan, model);
    expect(steps).toHaveLength(plan.steps.length);
    expect(whole.time_s).toBeCloseTo(
      steps.reduce((a, b) => a + b, 0),
      15,
    );
    const none = modelFace(plan, { available: false, reason: 'times do not grow', notes: [] });
    expect(none.unavailable).toBe('times do not grow');
    expect(none.time_s).toBeNaN();
  });

  it('emulated: the pricer on the fabric, equal to the closed form on a switch, steps adding up', () => {
    const plan = ring(8, 8 * 1024);
    const face = emulatedFace(plan, switchFabric(8, link));
    const want = allReduceRing(8, 8 * 1024 * 4, { alpha: link.alpha_s, beta: link.beta_Bps }).time;
    expect(Math.abs(face.time_s - want) / want).toBeLessThan(1e-12);
    const steps = emulatedStepFaces(plan, face);
    expect(steps).toHaveLength(plan.steps.length);
    expect(steps.every((s) => s >= 0)).toBe(true);
    expect(steps.reduce((a, b) => a + b, 0)).toBeCloseTo(face.time_s, 15);
    expect(face.price.critical_path.length).toBe(2 * 7);
  });

  it('analytic: the closed form where the book has one, nothing for a layer', () => {
    const plan = ring(8, 8 * 1024);
    const want = allReduceRing(8, 8 * 1024 * 4, { alpha: link.alpha_s, beta: link.beta_Bps }).time;
    expect(analyticFace(plan, link)).toBeCloseTo(want, 15);
    expect(analyticFace(tensorParallel({ layout: 'row', ranks: 2, m: 4, k: 8, n: 8 }), link)).toBe(
      undefined,
    );
  });
});
