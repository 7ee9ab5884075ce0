// Every kernel of the registry that runs inside a plan, run alone as a one-rank plan by the GPU
// executor (inside its error scopes) and held to its own oracle and tolerance: a kernel added
// to the registry is checked here once it has a sample shape below.
import { describe, expect, it } from 'vitest';
import { GpuExecutor } from '../../src/exec/executor/steps.ts';
import { allocateBuffers } from '../../src/exec/interpreter/steps.ts';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { nodeShaders } from '../../src/gpu/shaders-node.ts';
import type { KernelParams } from '../../src/kernels/kernel.ts';
import { KERNELS, kernelFor } from '../../src/kernels/registry.ts';
import { region } from '../../src/plans/build.ts';
import type { Plan, Region } from '../../src/plans/plan.ts';
import { prng } from '../prng.ts';
import { testContext } from './context.ts';

/** Shapes each kernel runs at here: odd sizes, partial tiles, scalar and vec4 lanes. */
const SAMPLES: Readonly<Record<string, readonly KernelParams[]>> = {
  matmul: [
    { m: 5, k: 7, n: 33 },
    { m: 40, k: 16, n: 8 },
  ],
  'bias-gelu': [
    { m: 3, n: 8 },
    { m: 2, n: 7 },
  ],
  attention: [
    { tokens: 5, heads: 2, headDim: 4 },
    { tokens: 9, heads: 1, headDim: 3 },
  ],
  'matmul-tn': [
    { m: 5, k: 7, n: 33 },
    { m: 40, k: 16, n: 8 },
  ],
  'matmul-nt': [
    { m: 5, k: 7, n: 33 },
    { m: 40, k: 16, n: 8 },
  ],
  'gelu-backward': [
    { m: 1, n: 1 },
    { m: 29, n: 7 },
  ],
  'mse-grad': [
    { count: 1, total: 1 },
    { count: 203, total: 812 },
  ],
  'column-sum': [
    { m: 1, n: 1 },
    { m: 37, n: 70 },
  ],
  sgd: [{ count: 1 }, { count: 203 }],
  'scale-rows': [
    { m: 1, n: 1 },
    { m: 37, n: 13 },
  ],
};

/** Inputs are uniform in [-r, r]: wide enough for GeLU's backward to reach its clamp (|z| > 5). */
const RANGE: Readonly<Record<string, number>> = { 'gelu-backward': 8 };

/**
 * `name` at `params` as a plan of one rank: every operand a region of 'recv', each `skew`
 * elements past a 64-element boundary (skew 1 forces scalar lanes where a kernel has vec4 ones).
 */
function kernelPlan(name: string, params: KernelParams, skew: number): Plan {
  const operands: Record<string, Region> = {};
  let end = 0;
  for (const o of kernelFor(name).operands(params)) {
    const offset = Math.ceil(end / 64) * 64 + skew;
    operands[o.name] = region('recv', offset, o.count);
    end = offset + o.count;
  }
  return {
    collective: 'tensor-parallel',
    algorithm: name,
    ranks: 1,
    count: 0,
    dtype: 'float',
    redop: 'sum',
    root: 0,
    inPlace: true,
    sizes: { send: [0], recv: [end] },
    input: [region('recv', 0, 0)],
    output: [region('recv', 0, 0)],
    steps: [
      {
        phase: name,
        ops: [],
        kernels: [{ kind: 'kernel', kernel: name, rank: 0, operands, params }],
      },
    ],
  };
}

describe('the registry kernels on the GPU, against their oracles', async () => {
  const ctx = await testContext();
  const cache = new PipelineCache(ctx);

  it('has a sample for every kernel that runs in a plan', () => {
    const inPlans = Object.values(KERNELS).filter((k) => k.arena);
    expect(inPlans.map((k) => k.name).filter((n) => !SAMPLES[n])).toEqual([]);
  });

  const cases = Object.entries(SAMPLES).flatMap(([name, shapes]) =>
    shapes.flatMap((params) =>
      [0, 1].map(
        (skew) =>
          [`${name} ${Object.values(params).join('x')} skew ${skew}`, name, params, skew] as const,
      ),
    ),
  );

  it.each(cases)('%s', async (_, name, params, skew) => {
    const kernel = kernelFor(name);
    const plan = kernelPlan(name, params, skew);
    const op = plan.steps[0]?.kernels?.[0] as NonNullable<Plan['steps'][number]['kernels']>[number];
    const input = allocateBuffers(plan);
    const recv = (input[0] as (typeof input)[number]).recv;
    const next = prng(7);
    const inputs: Record<string, Float32Array> = {};
    for (const o of kernel.operands(params)) {
      const g = op.operands[o.name] as Region;
      const view = recv.subarray(g.offset, g.offset + g.count) as Float32Array;
      const r = RANGE[name] ?? 1;
      if (o.access === 'read') for (let i = 0; i < view.length; i++) view[i] = (next() * 2 - 1) * r;
      inputs[o.name] = view;
    }
    const want = kernel.oracle(params, inputs);
    const tolerance = kernel.tolerance(params, inputs);
    const exec = new GpuExecutor(ctx, nodeShaders, plan, undefined, cache);
    try {
      await exec.prepare();
      exec.upload(input);
      await exec.runUntimed();
      const got = (await exec.download())[0]?.recv as Float32Array;
      for (const [out, values] of Object.entries(want)) {
        const g = op.operands[out] as Region;
        const tol = tolerance[out] as Float64Array;
        let wrong = 0;
        values.forEach((v, i) => {
          if (!(Math.abs((got[g.offset + i] as number) - v) <= (tol[i] as number))) wrong++;
        });
        expect(wrong, `${out} outside the tolerance`).toBe(0);
      }
    } finally {
      exec.destroy();
    }
  });
});
