// The training step on the GPU (src/run/training.ts): every rank's gradient after the
// AllReduce and its updated parameters within the derived bound of the f64 reference step, on
// 1, 2, 3 and 4 ranks, with a bucket per layer and one bucket for the model, with and without
// overlap, over several AllReduce algorithms. The CPU side: test/unit/training.test.ts.
import { describe, expect, it } from 'vitest';
import { fabricPreset } from '../../src/fabric/fabric-presets.ts';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { nodeShaders } from '../../src/gpu/shaders-node.ts';
import { dataParallelGraph } from '../../src/plans/training/data-parallel.ts';
import { pipelineGraph } from '../../src/plans/training/pipeline.ts';
import { checkTrainingStep, measureTraining } from '../../src/run/training.ts';
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

  it.each(['nvswitch', '100gbe'])(
    'measured and priced on %s: the pricer’s timeline is the layer-overlap model’s',
    async (name) => {
      const preset = fabricPreset(name);
      const ranks = 3;
      const fabric = { fabric: name, built: preset.build(ranks), link: preset.link };
      const spec = { mode: 'dp', layers: 3, d: 8, batch: 12, ranks, bucketBytes: 1 } as const;
      const m = await measureTraining(run, spec, fabric, { reps: 1 });
      expect(m.check.ok).toBe(true);
      for (const t of m.graph.tasks) {
        const s = m.kernel_s[t.id] as number;
        expect(t.kind === 'kernel' ? s >= 0 : Number.isNaN(s), `task ${t.id}`).toBe(true);
      }
      // Every bucket but the last hides under the backward of the layers below it.
      expect(m.emulated.overlap_fraction).toBeGreaterThan(0);
      expect(m.emulated.overlap_fraction).toBeLessThanOrEqual(1);
      expect(m.emulated_no_overlap_s as number).toBeGreaterThanOrEqual(m.emulated.time_s);
      // Same kernel times, ring's closed form on the same link, buckets one at a time: the two
      // must agree, whatever this GPU measured.
      const analytic = m.analytic as NonNullable<typeof m.analytic>;
      expect(Math.abs(analytic.time_s - m.emulated.time_s) / m.emulated.time_s).toBeLessThan(1e-9);
      expect(
        Math.abs(analytic.no_overlap_s - (m.emulated_no_overlap_s as number)) /
          analytic.no_overlap_s,
      ).toBeLessThan(1e-9);
      // One bucket for the model waits for the whole backward pass: nothing to hide under.
      const one = await measureTraining(run, { ...spec, bucketBytes: 1e9 }, fabric, { reps: 1 });
      expect(one.emulated.overlap_fraction).toBe(0);
    },
  );

  it.each([
    ['gpipe', 2, 1, 1],
    ['1f1b', 2, 4, 1],
    ['1f1b', 4, 8, 1],
    ['gpipe', 4, 4, 1],
    ['interleaved', 2, 4, 2],
  ] as const)(
    'pipeline %s, %i stages, %i micro-batches, V = %i: every stage’s layers within the bound',
    async (schedule, stages, microbatches, virtual) => {
      const graph = pipelineGraph({
        layers: 4,
        d: 8,
        batch: 16,
        stages,
        microbatches,
        schedule,
        virtual,
      });
      const check = await checkTrainingStep(run, graph, { seed: 5 });
      expect(check.wrong).toBe(0);
      expect(check.ok).toBe(true);
    },
  );

  it('a pipeline measured and priced: its bubble beside the formula', async () => {
    const preset = fabricPreset('nvswitch');
    const spec = {
      mode: 'pp',
      layers: 4,
      d: 8,
      batch: 16,
      stages: 2,
      microbatches: 4,
      schedule: '1f1b',
    } as const;
    const m = await measureTraining(
      run,
      spec,
      { fabric: 'nvswitch', built: preset.build(2), link: preset.link },
      { reps: 1 },
    );
    expect(m.check.ok).toBe(true);
    const bubble = m.bubble_fraction as NonNullable<typeof m.bubble_fraction>;
    expect(bubble.analytic).toBeCloseTo(1 / 5, 12);
    expect(bubble.emulated).toBeGreaterThan(0);
    expect(bubble.emulated).toBeLessThan(1);
    expect(m.emulated_no_overlap_s).toBeUndefined();
  });

  it.each([
    [1, 2, 'ring'],
    [2, 3, 'rhd'],
    [3, 4, 'ring'],
    [3, 2, 'rhd'],
  ] as const)(
    'ZeRO %i on %i ranks (%s): every rank’s shards and model within the bound',
    async (zero, ranks, algorithm) => {
      const graph = dataParallelGraph({
        layers: 3,
        d: 8,
        batch: 12,
        ranks,
        algorithm,
        zero,
        bucketBytes: 300,
      });
      const check = await checkTrainingStep(run, graph, { seed: 9 });
      expect(check.wrong).toBe(0);
      expect(check.ok).toBe(true);
    },
  );
});
