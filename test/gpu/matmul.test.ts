// The matmul kernels (shaders/matmul-naive.wgsl, shaders/matmul-tiled.wgsl) against the CPU
// oracle on odd shapes: bit for bit on small integers (every partial sum exact in f32), within
// 2 gamma_K sum_k |a_ik b_kj| on random floats (src/kernels/matmul.ts derives it).
import { describe, expect, it } from 'vitest';
import { matmul, measureFmaPeak } from '../../src/exec/kernels/matmul.ts';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { nodeShaders } from '../../src/gpu/shaders-node.ts';
import { GpuTimer } from '../../src/gpu/timer.ts';
import {
  compareMatmul,
  MATMUL_KERNELS,
  matmulCpu,
  matmulTolerance,
} from '../../src/kernels/matmul.ts';
import { prng as rng } from '../prng.ts';
import { testContext } from './context.ts';

const SHAPES: readonly [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [64, 64, 64],
  [127, 129, 131],
  [33, 17, 65],
];

function integers(count: number, seed: number): Float32Array<ArrayBuffer> {
  const r = rng(seed);
  return Float32Array.from({ length: count }, () => Math.floor(r() * 9) - 4);
}

function floats(count: number, seed: number): Float32Array<ArrayBuffer> {
  const r = rng(seed);
  return Float32Array.from({ length: count }, () => 2 * r() - 1);
}

describe('matmul kernels against the CPU', async () => {
  const ctx = await testContext();
  const cache = new PipelineCache(ctx);
  for (const kernel of MATMUL_KERNELS) {
    it.each(SHAPES)(`${kernel} %ix%ix%i, small integers: bit for bit`, async (m, k, n) => {
      const a = integers(m * k, m + 7 * k);
      const b = integers(k * n, n + 11 * k);
      const got = await matmul(ctx, nodeShaders, cache, a, b, m, k, n, kernel);
      const want = matmulCpu(a, b, m, k, n);
      expect(got.length).toBe(m * n);
      expect(Buffer.compare(Buffer.from(got.buffer), Buffer.from(want.buffer))).toBe(0);
    });

    it.each(SHAPES)(`${kernel} %ix%ix%i, random floats: within 2 gamma_K S`, async (m, k, n) => {
      const a = floats(m * k, 3 * m + k);
      const b = floats(k * n, 5 * n + k);
      const got = await matmul(ctx, nodeShaders, cache, a, b, m, k, n, kernel);
      const want = matmulCpu(a, b, m, k, n);
      const { wrong, maxAbsError } = compareMatmul(got, want, matmulTolerance(a, b, m, k, n));
      expect(wrong).toBe(0);
      expect(maxAbsError).toBeLessThan(1e-3);
    });
  }

  it('rejects a shape with a zero dimension before any GPU work', async () => {
    await expect(
      matmul(ctx, nodeShaders, cache, new Float32Array(0), new Float32Array(0), 0, 1, 1, 'tiled'),
    ).rejects.toThrow(/m=0/);
  });

  it('measures a positive FMA peak', async () => {
    const timer = new GpuTimer(ctx);
    try {
      const peak = await measureFmaPeak(ctx, nodeShaders, cache, timer, 3);
      expect(peak.flops).toBeGreaterThan(0);
      expect(peak.flops_per_s).toBeGreaterThan(0);
    } finally {
      timer.destroy();
    }
  });
});
