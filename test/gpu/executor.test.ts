// The GPU executor against the CPU interpreter, bit for bit: every plan builder, rank counts
// from 1 to 64, even and uneven counts, in and out of place, random floats (so the order of
// additions matters and must be the plan's).
import { describe, expect, it } from 'vitest';
import { GpuExecutor } from '../../src/exec/executor/steps.ts';
import { allocateBuffers, cloneBuffers, interpret } from '../../src/exec/interpreter/steps.ts';
import { randomBuffers } from '../../src/exec/random/fill.ts';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { nodeShaders } from '../../src/gpu/shaders-node.ts';
import type { Dtype, RedOp } from '../../src/plans/dtype.ts';
import type { Collective, Plan } from '../../src/plans/plan.ts';
import { TEXTBOOK_RING } from '../../src/plans/presets.ts';
import { ALGORITHMS } from '../../src/plans/registry.ts';
import { ringAllReduce } from '../../src/plans/ring.ts';
import { firstDifference } from '../bits.ts';
import { testContext } from './context.ts';

const RANKS = [1, 2, 3, 4, 5, 7, 8, 16, 31, 64];

describe('GPU executor equals the CPU interpreter bit for bit', async () => {
  const ctx = await testContext();
  const cache = new PipelineCache(ctx);

  async function check(plan: Plan, seed: number) {
    const input = randomBuffers(plan, seed);
    const exec = new GpuExecutor(ctx, nodeShaders, plan, undefined, cache);
    try {
      await exec.prepare();
      exec.upload(input);
      const seconds = await exec.run();
      expect(seconds).toHaveLength(plan.steps.length);
      const got = await exec.download();
      const want = interpret(plan, cloneBuffers(input));
      expect(firstDifference(got, want)).toBeUndefined();
    } finally {
      exec.destroy();
    }
  }

  for (const [collective, algorithms] of Object.entries(ALGORITHMS) as [
    Collective,
    Record<string, unknown>,
  ][]) {
    for (const algorithm of Object.keys(algorithms)) {
      it.each(RANKS)(`${collective} ${algorithm}, %i ranks`, async (ranks) => {
        const build = ALGORITHMS[collective][algorithm];
        if (!build) throw new Error('unreachable');
        for (const count of [0, 1, ranks + 1, 64 * ranks, 64 * ranks + 5]) {
          for (const inPlace of [true, false]) {
            await check(
              build({ ranks, count, dtype: 'float', redop: 'sum', inPlace, root: ranks - 1 }),
              ranks * 131 + count,
            );
          }
        }
      });
      it(`${collective} ${algorithm}, every dtype and redop`, async () => {
        const build = ALGORITHMS[collective][algorithm];
        if (!build) throw new Error('unreachable');
        for (const dtype of ['float', 'int32'] as Dtype[]) {
          for (const redop of ['sum', 'prod', 'max', 'min'] as RedOp[]) {
            await check(build({ ranks: 5, count: 1003, dtype, redop, inPlace: false, root: 3 }), 7);
          }
        }
      });
    }
  }
});

describe('plans larger than one storage binding spread over several arenas', async () => {
  const ctx = await testContext();
  // A device whose storage bindings hold 4 KiB: 1,000 floats a rank make one arena a rank or
  // so, and every step's ops cross arenas (arena-two.wgsl) as well as stay in one.
  const narrow = { ...ctx, limits: { ...ctx.limits, maxStorageBufferBindingSize: 4096 } };
  const cases: [Collective, string][] = [
    ['allreduce', 'ring'],
    ['allreduce', 'rhd'],
    ['allgather', 'ring'],
    ['alltoall', 'pairwise'],
  ];
  it.each(cases)('%s %s, 5 ranks x 1000 elements, out of place', async (collective, algorithm) => {
    const build = ALGORITHMS[collective][algorithm];
    if (!build) throw new Error('unreachable');
    const plan = build({
      ranks: 5,
      count: 1000,
      dtype: 'float',
      redop: 'sum',
      inPlace: false,
      root: 0,
    });
    const exec = new GpuExecutor(narrow, nodeShaders, plan);
    expect(exec.layout.arenas.length).toBeGreaterThan(2);
    try {
      await exec.prepare();
      const input = randomBuffers(plan, 99);
      exec.upload(input);
      await exec.run();
      expect(
        firstDifference(await exec.download(), interpret(plan, cloneBuffers(input))),
      ).toBeUndefined();
    } finally {
      exec.destroy();
    }
  });

  it('a single rank buffer beyond one binding is refused, naming the limit', () => {
    const plan = ringAllReduce({
      ranks: 2,
      count: 2048,
      dtype: 'float',
      redop: 'sum',
      inPlace: true,
    });
    expect(() => new GpuExecutor(narrow, nodeShaders, plan)).toThrow(
      "one rank's recv buffer (2048 float) is 8192 B, beyond this device's maxStorageBufferBindingSize of 4096 B",
    );
  });
});

describe('the textbook ring AllReduce on the GPU', async () => {
  const ctx = await testContext();
  const plan = ringAllReduce(TEXTBOOK_RING.spec);

  async function runSteps(steps: number) {
    const partial = { ...plan, steps: plan.steps.slice(0, steps) };
    const exec = new GpuExecutor(ctx, nodeShaders, partial);
    await exec.prepare();
    const buffers = allocateBuffers(plan);
    TEXTBOOK_RING.inputs.forEach((v, r) => {
      buffers[r]?.recv.set(v);
    });
    exec.upload(buffers);
    await exec.run();
    const out = (await exec.download()).map((b) => [...b.recv]);
    exec.destroy();
    return out;
  }

  it('after step 1: rank 0 chunk 3 = 17, rank 1 chunk 0 = 3, rank 2 chunk 1 = 13, rank 3 chunk 2 = 11', async () => {
    const r = await runSteps(1);
    expect([r[0]?.[3], r[1]?.[0], r[2]?.[1], r[3]?.[2]]).toEqual([17, 3, 13, 11]);
  });

  it('after all 6 steps every rank holds [10, 26, 18, 34]', async () => {
    expect(plan.steps).toHaveLength(6);
    expect(await runSteps(6)).toEqual([
      [10, 26, 18, 34],
      [10, 26, 18, 34],
      [10, 26, 18, 34],
      [10, 26, 18, 34],
    ]);
  });
});
