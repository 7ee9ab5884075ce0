// The sweep's local curves priced by the executor model: each point is the model's time of the
// very plan the sweep would run, and an unavailable model gives NaN points, not a throw.
import { describe, expect, it } from 'vitest';
import { stepFeatures } from '../../src/exec/executor/step-features.ts';
import {
  type AvailableModel,
  type ExecutorModel,
  executorPlanSeconds,
} from '../../src/model/executor-model.ts';
import { ringAllReduce } from '../../src/plans/ring.ts';
import { modelCurves } from '../../src/view/collectives/sweep.ts';

const model: AvailableModel = {
  available: true,
  form: 'executor',
  coefficients: {
    submit_s: 1e-3,
    pass_s: 30e-6,
    dispatch_s: 2e-6,
    row_s: 1e-6,
    idle_s: 20e-9,
    copy_s_per_B: 1 / 1e9,
    reduce_s_per_B: 1 / 0.7e9,
    scalar_s_per_B: 0,
    spill_s_per_B: 1 / 2e9,
    knee_B: 2 ** 20,
  },
  points: 40,
  outliers: 0,
  fit: { r2: 1, max_rel_residual: 0 },
  median_rel_residual: 0,
  notes: [],
};

const base = {
  collective: 'allreduce',
  algorithms: ['ring', 'tree'],
  ranks: 4,
  sizes: [4096, 65536, 4 * 2 ** 20],
} as const;

describe('modelCurves on the executor model', () => {
  it('prices each point as the executor model prices its plan', () => {
    const curves = modelCurves({ ...base, executor: model });
    const ring = curves.find((c) => c.algorithm === 'ring' && c.kind === 'priced');
    ring?.points.forEach((p) => {
      const plan = ringAllReduce({
        ranks: 4,
        count: p.bytes / 4,
        dtype: 'float',
        redop: 'sum',
        inPlace: false,
      });
      expect(p.time_s).toBe(executorPlanSeconds(model, stepFeatures(plan)));
    });
    expect(ring?.points).toHaveLength(3);
  });

  it('gives NaN times where the model is unavailable', () => {
    const none: ExecutorModel = { available: false, reason: 'too noisy', notes: [] };
    const curves = modelCurves({ ...base, executor: none });
    expect(curves.every((c) => c.points.every((p) => Number.isNaN(p.time_s)))).toBe(true);
  });

  it('needs a fabric or a model', () => {
    expect(() => modelCurves(base)).toThrow(/a fabric or an executor model/);
  });
});
