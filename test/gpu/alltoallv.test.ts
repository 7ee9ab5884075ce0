// AllToAllv on the GPU: the executor against the CPU interpreter bit for bit (random floats),
// and the interpreter against the definition, for even, skewed, sparse and one-sided count
// matrices on 1 to 8 ranks; and the runner's faces for a skewed dispatch on a fabric.
import { describe, expect, it } from 'vitest';
import { GpuExecutor } from '../../src/exec/executor/steps.ts';
import { cloneBuffers, interpret } from '../../src/exec/interpreter/steps.ts';
import { randomBuffers } from '../../src/exec/random/fill.ts';
import { fabricPreset } from '../../src/fabric/fabric-presets.ts';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { nodeShaders } from '../../src/gpu/shaders-node.ts';
import {
  ALLTOALLV_ALGORITHMS,
  allToAllv,
  skewedCounts,
} from '../../src/plans/experts/alltoallv.ts';
import type { Plan } from '../../src/plans/plan.ts';
import { expectedOutputs } from '../../src/plans/semantics.ts';
import { runPlan } from '../../src/run/run-plan.ts';
import { firstDifference } from '../bits.ts';
import { readOutputs } from '../plan-check.ts';
import { testContext } from './context.ts';

/** Count matrices a MoE dispatch gives: even, hot first ranks, sparse, all to one rank. */
function matrices(n: number): [string, number[][]][] {
  const sparse = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => ((i * 7 + j * 3) % 4 === 0 ? 0 : 17 * (i + 1) + j)),
  );
  const toOne = Array.from({ length: n }, () =>
    Array.from({ length: n }, (_, j) => (j === n - 1 ? 301 : 0)),
  );
  return [
    ['even', skewedCounts(n, 256, 0)],
    ['skew 1.5', skewedCounts(n, 1001, 1.5)],
    ['sparse', sparse],
    ['all to the last rank', toOne],
  ];
}

describe('AllToAllv: GPU executor equals the CPU interpreter bit for bit', async () => {
  const ctx = await testContext();
  const cache = new PipelineCache(ctx);

  async function check(plan: Plan, seed: number) {
    const input = randomBuffers(plan, seed);
    const exec = new GpuExecutor(ctx, nodeShaders, plan, undefined, cache);
    try {
      await exec.prepare();
      exec.upload(input);
      await exec.run();
      const got = await exec.download();
      const want = interpret(plan, cloneBuffers(input));
      expect(firstDifference(got, want)).toBeUndefined();
      // And the interpreter meets the definition (each rank's blocks, in sender order).
      const inputs = plan.input.map((g, r) =>
        input[r]?.send.slice(g.offset, g.offset + g.count),
      ) as Float32Array[];
      expect(readOutputs(plan, got)).toEqual(expectedOutputs(plan, inputs));
    } finally {
      exec.destroy();
    }
  }

  for (const algo of ALLTOALLV_ALGORITHMS) {
    it.each([1, 2, 3, 4, 8])(`${algo}, %i ranks`, async (n) => {
      for (const [, counts] of matrices(n)) {
        await check(allToAllv({ ranks: n, counts, dtype: 'float' }, algo), 31 * n + 1);
      }
    });
  }
});

describe('AllToAllv through the runner', async () => {
  const ctx = await testContext();
  const run = { ctx, shaders: nodeShaders, cache: new PipelineCache(ctx) };
  const preset = fabricPreset('nvswitch');

  it('a skewed dispatch is checked (0 wrong) and has an emulated and an analytic time', async () => {
    const counts = skewedCounts(4, 4096, 1);
    const plan = allToAllv({ ranks: 4, counts, dtype: 'float' }, 'pairwise');
    const r = await runPlan(run, plan, {
      iters: 2,
      warmup: 0,
      check: true,
      emulated: { fabric: preset.name, built: preset.build(4), link: preset.link },
    });
    expect(r.measured.wrong).toBe(0);
    expect(r.measured.step_s).toHaveLength(plan.steps.length);
    expect(r.emulated?.time_s).toBeGreaterThan(0);
    expect(r.analytic_s).toBeGreaterThan(0);
  });
});
