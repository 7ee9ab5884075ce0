// A rank that fails mid-AllReduce, on the GPU: what ran, then the survivors' re-forming and
// rerun from the state it left, against the interpreter bit for bit on random floats, with the
// survivors agreeing on who is left; and the same on the CPU against the collective's
// definition over the survivors (small integers).
import { describe, expect, it } from 'vitest';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { nodeShaders } from '../../src/gpu/shaders-node.ts';
import { failedAllReduce } from '../../src/plans/failure.ts';
import type { CollectiveSpec } from '../../src/plans/plan.ts';
import { checkFailure, measureFailure } from '../../src/run/failure.ts';
import { testContext } from './context.ts';

const spec = (ranks: number, count: number): CollectiveSpec => ({
  ranks,
  count,
  dtype: 'float',
  redop: 'sum',
  inPlace: false,
});

describe('a failed AllReduce on the GPU', async () => {
  const ctx = await testContext();
  const run = { ctx, shaders: nodeShaders, cache: new PipelineCache(ctx) };
  const cases = [
    ['ring', 4, 1000, 2, 3],
    ['ring', 5, 37, 0, 0],
    ['tree', 4, 1000, 0, 1],
    ['tree', 6, 333, 3, 2],
    ['rhd', 4, 1000, 1, 1],
    ['rhd', 6, 500, 5, 2],
  ] as const;
  for (const [algorithm, ranks, count, rank, wave] of cases) {
    it(`${algorithm}, ${ranks} ranks, rank ${rank} fails before wave ${wave}`, async () => {
      const failed = failedAllReduce(algorithm, spec(ranks, count), { rank, wave });
      expect(checkFailure(failed)).toEqual({ wrong: 0 });
      ctx.device.pushErrorScope('validation');
      const m = await measureFailure(run, failed, {
        iters: 1,
        warmup: 0,
        detect_timeout_s: 1e-3,
        seed: 5,
      });
      expect(await ctx.device.popErrorScope()).toBeNull();
      expect(m.wrong).toBe(0);
      expect(m.members).toBeUndefined();
      // The timeout is in the measured face as declared: waiting, not work.
      expect(m.time_s).toBeCloseTo(m.before_s + 1e-3 + m.after_s, 12);
      expect(m.model.unavailable).toBe('not calibrated');
    });
  }
});
