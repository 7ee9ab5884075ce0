// The executor model's calibration passes on the real API: the synthetic plans compute what the
// CPU interpreter does, the passes run and time every plan, and the fit gives finite,
// non-negative coefficients, or says why it could not (SwiftShader on a busy machine).
import { describe, expect, it } from 'vitest';
import { calibrateExecutor, syntheticStepPlan } from '../../src/exec/calibration/executor.ts';
import { stepFeatures } from '../../src/exec/executor/step-features.ts';
import { GpuExecutor } from '../../src/exec/executor/steps.ts';
import { cloneBuffers, interpret } from '../../src/exec/interpreter/steps.ts';
import { randomBuffers } from '../../src/exec/random/fill.ts';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { nodeShaders } from '../../src/gpu/shaders-node.ts';
import { GpuTimer } from '../../src/gpu/timer.ts';
import { EXECUTOR_TERMS, fitExecutorModel } from '../../src/model/executor-model.ts';
import { testContext } from './context.ts';

describe('executor calibration passes', async () => {
  const ctx = await testContext();
  const cache = new PipelineCache(ctx);

  it.each(['copy', 'reduce', 'mixed'] as const)(
    'a synthetic %s step equals the interpreter',
    async (kind) => {
      const plan = syntheticStepPlan(3, 4, 257, kind);
      const input = randomBuffers(plan, 5);
      const exec = new GpuExecutor(ctx, nodeShaders, plan, undefined, cache);
      try {
        await exec.prepare();
        exec.upload(input);
        await exec.run();
        const got = await exec.download();
        const want = interpret(plan, cloneBuffers(input));
        for (let r = 0; r < plan.ranks; r++) {
          expect(Array.from(got[r]?.recv ?? [])).toEqual(Array.from(want[r]?.recv ?? []));
        }
      } finally {
        exec.destroy();
      }
    },
  );

  it('time every plan and fit a model, or say why not', async () => {
    const timer = new GpuTimer(ctx);
    try {
      const samples = await calibrateExecutor(ctx, nodeShaders, cache, timer, {
        maxOpBytes: 32 * 1024,
        reps: 2,
      });
      expect(samples.length).toBeGreaterThanOrEqual(18);
      for (const s of samples) {
        expect(s.steps).toHaveLength(s.step_seconds.length);
        expect(s.reps).toBe(2);
        // A total is NaN only where the clock could not time a step.
        if (Number.isFinite(s.seconds)) expect(s.seconds).toBeGreaterThan(0);
      }
      const plan = syntheticStepPlan(2, 1, 4096, 'copy');
      expect(stepFeatures(plan, { limits: ctx.limits })[0]?.rows).toBe(2);
      const model = fitExecutorModel(samples);
      if (model.available) {
        for (const term of EXECUTOR_TERMS) {
          const c = model.coefficients[term];
          expect(Number.isFinite(c) && c >= 0).toBe(true);
        }
        const c = model.coefficients;
        expect(c.copy_s_per_B + c.reduce_s_per_B + c.spill_s_per_B).toBeGreaterThan(0);
      } else {
        expect(model.reason.length).toBeGreaterThan(0);
      }
    } finally {
      timer.destroy();
    }
  });
});
