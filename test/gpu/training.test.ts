// The training step on the GPU (src/run/training.ts): every rank's gradient after the
// AllReduce and its updated parameters within the derived bound of the f64 reference step, on
// 1, 2, 3 and 4 ranks, with a bucket per layer and one bucket for the model, with and without
// overlap, over several AllReduce algorithms. The CPU side: test/unit/training.test.ts.
import { describe, expect, it } from 'vitest';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { nodeShaders } from '../../src/gpu/shaders-node.ts';
import { dataParallelGraph } from '../../src/plans/training/data-parallel.ts';
import { checkTrainingStep } from '../../src/run/training.ts';
import { testContext } from './context.ts';

describe('a data-parallel training step on the GPU equals the reference within its bound', async () => {
  const ctx = await testContext();
  const run = { ctx, shaders: nodeShaders, cache: new PipelineCache(ctx) };

  it.each([
    [1, 'ring', 1, true],
    [2, 'ring', 1, true],
    [3, 'ring', 1e9, true],
    [4, 'tree', 1, true],
    [4, 'rhd', 1, false],
    [3, 'direct', 600, true],
  ] as const)(
    '%i ranks, %s, bucket %d B, overlap %s',
    async (ranks, algorithm, bucketBytes, overlap) => {
      const graph = dataParallelGraph({
        layers: 3,
        d: 8,
        batch: 12,
        ranks,
        algorithm,
        bucketBytes,
        overlap,
      });
      const check = await checkTrainingStep(run, graph, { seed: 11 });
      expect(check.wrong).toBe(0);
      expect(check.ok).toBe(true);
      expect(check.max_abs_err).toBeLessThanOrEqual(check.bound);
    },
  );

  it('a wider layer with partial matmul tiles (d = 36, 7 rows a rank)', async () => {
    const graph = dataParallelGraph({ layers: 2, d: 36, batch: 14, ranks: 2 });
    const check = await checkTrainingStep(run, graph, { seed: 2 });
    expect(check.wrong).toBe(0);
  });
});
