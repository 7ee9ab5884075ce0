// The sweep's measuring side on Dawn: every algorithm at every size runs on the GPU, matches the
// CPU interpreter (#wrong 0) and comes back as one point, sizes outer, reported as it goes.
import { describe, expect, it } from 'vitest';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { nodeShaders } from '../../src/gpu/shaders-node.ts';
import { type MeasuredPoint, measureSweep } from '../../src/view/collectives/sweep.ts';
import { testContext } from './context.ts';

describe('measureSweep', async () => {
  const ctx = await testContext();

  it('measures ring and tree AllReduce at two sizes, all correct', async () => {
    const seen: string[] = [];
    const points = await measureSweep(
      ctx,
      nodeShaders,
      {
        collective: 'allreduce',
        algorithms: ['ring', 'tree'],
        ranks: 4,
        sizes: [1024, 4098], // 4098 B rounds down to 1024 floats
        dtype: 'float',
        redop: 'sum',
        iters: 2,
        cache: new PipelineCache(ctx),
      },
      (p, i, total) => seen.push(`${i}/${total} ${p.algorithm} ${p.bytes}`),
    );
    expect(points.map((p) => `${p.algorithm} ${p.bytes}`)).toEqual([
      'ring 1024',
      'tree 1024',
      'ring 4096',
      'tree 4096',
    ]);
    expect(seen).toEqual(['0/4 ring 1024', '1/4 tree 1024', '2/4 ring 4096', '3/4 tree 4096']);
    for (const p of points) {
      expect(p.wrong).toBe(0);
      expect(Number.isFinite(p.time_s)).toBe(true);
      expect(p.time_s).toBeGreaterThan(0);
      // busbw = S / t x 2(N-1)/N
      expect(p.busbw_Bps).toBeCloseTo((p.bytes / p.time_s) * 1.5, 6);
    }
  });

  it('measures a Broadcast with a root, and stops when aborted', async () => {
    const controller = new AbortController();
    const got: MeasuredPoint[] = [];
    const run = measureSweep(
      ctx,
      nodeShaders,
      {
        collective: 'broadcast',
        algorithms: ['tree', 'ring'],
        ranks: 3,
        root: 2,
        sizes: [256, 512],
        dtype: 'int32',
        redop: 'sum',
        iters: 1,
        signal: controller.signal,
      },
      (p) => {
        got.push(p);
        if (got.length === 3) controller.abort(new Error('stopped by the test'));
      },
    );
    await expect(run).rejects.toThrow('stopped by the test');
    expect(got).toHaveLength(3);
    for (const p of got) expect(p.wrong).toBe(0);
  });
});
