// The fused bias + GeLU kernel (shaders/bias-gelu.wgsl) against the CPU oracle on odd shapes,
// scalar and vec4 lanes: bias only bit for bit (one correctly rounded add), GeLU within
// 0.5 |z| 2^-20 + 2^-21 |y| + 2^-126 (src/kernels/bias-gelu.ts derives it), on values from
// -1e30 to 1e30 so tanh saturates at both ends.
import { describe, expect, it } from 'vitest';
import { biasGelu } from '../../src/exec/kernels/bias-gelu.ts';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { nodeShaders } from '../../src/gpu/shaders-node.ts';
import {
  BIAS_GELU_MODES,
  biasGeluCpu,
  biasGeluTolerance,
  biasGeluWidth,
} from '../../src/kernels/bias-gelu.ts';
import { compareMatmul } from '../../src/kernels/matmul.ts';
import { prng as rng } from '../prng.ts';
import { testContext } from './context.ts';

const SHAPES: readonly [number, number][] = [
  [1, 1],
  [3, 5],
  [3, 8],
  [64, 64],
  [127, 129],
];

// Saturating and near-zero values mixed into the activations.
const SPECIALS = [0, -0, 1, -1, 3, -3, 6, -6, 12, -12, 1e4, -1e4, 1e15, -1e15, 1e30, -1e30, 1e-3];

/** Activations in [-8, 8] (where GeLU bends), with every fifth value taken from SPECIALS. */
function activations(count: number, seed: number): Float32Array<ArrayBuffer> {
  const r = rng(seed);
  return Float32Array.from({ length: count }, (_, i) =>
    i % 5 === 2 ? (SPECIALS[i % SPECIALS.length] as number) : 16 * r() - 8,
  );
}

function biases(count: number, seed: number): Float32Array<ArrayBuffer> {
  const r = rng(seed);
  return Float32Array.from({ length: count }, () => 2 * r() - 1);
}

function bits(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

describe('bias-gelu kernel against the CPU', async () => {
  const ctx = await testContext();
  const cache = new PipelineCache(ctx);

  it.each(SHAPES)('%ix%i, bias only: bit for bit', async (m, n) => {
    const x = activations(m * n, 7 * m + n);
    const bias = biases(n, 3 * n);
    const got = await biasGelu(ctx, nodeShaders, cache, x, bias, m, n, 'bias');
    const want = biasGeluCpu(x, bias, m, n, 'bias');
    expect(got.length).toBe(m * n);
    expect(bits(got).equals(bits(want))).toBe(true);
  });

  for (const mode of ['bias-gelu', 'gelu'] as const) {
    it.each(SHAPES)(`%ix%i, ${mode}: within the tolerance`, async (m, n) => {
      const x = activations(m * n, 11 * m + n);
      const bias = mode === 'gelu' ? null : biases(n, 5 * n);
      const got = await biasGelu(ctx, nodeShaders, cache, x, bias, m, n, mode);
      const want = biasGeluCpu(x, bias, m, n, mode);
      const tol = biasGeluTolerance(x, bias, m, n, mode);
      const { wrong } = compareMatmul(got, want, tol);
      expect(got.length).toBe(m * n);
      expect(wrong).toBe(0);
    });
  }

  it('saturates: gelu(+-1e30) is +-1e30 and 0, gelu(0) is 0, no NaN anywhere', async () => {
    const x = new Float32Array([1e30, -1e30, 0, 1e15, -1e15, 12, -12, 3]);
    const got = await biasGelu(ctx, nodeShaders, cache, x, null, 2, 4, 'gelu');
    expect(got.some(Number.isNaN)).toBe(false);
    expect(got[0]).toBeCloseTo(Math.fround(1e30) as number, -24);
    expect(Math.abs(got[0] as number) / Math.fround(1e30)).toBeCloseTo(1, 5);
    expect(Math.abs(got[1] as number)).toBeLessThan(1e30 * 2 ** -20);
    expect(got[2]).toBe(0);
    expect((got[5] as number) / 12).toBeCloseTo(1, 6);
    expect(Math.abs(got[6] as number)).toBeLessThan(1e-5);
  });

  it('uses vec4 lanes exactly when N % 4 == 0', () => {
    expect(biasGeluWidth(64)).toBe(4);
    expect(biasGeluWidth(129)).toBe(1);
    expect(BIAS_GELU_MODES).toEqual(['bias-gelu', 'bias', 'gelu']);
  });

  it('rejects bad shapes and a missing bias before any GPU work', async () => {
    await expect(
      biasGelu(ctx, nodeShaders, cache, new Float32Array(0), null, 0, 1, 'gelu'),
    ).rejects.toThrow(/m=0/);
    await expect(
      biasGelu(ctx, nodeShaders, cache, new Float32Array(6), null, 2, 3, 'bias-gelu'),
    ).rejects.toThrow(/needs a bias/);
    await expect(
      biasGelu(ctx, nodeShaders, cache, new Float32Array(5), new Float32Array(3), 2, 3),
    ).rejects.toThrow(/x has 5 values/);
  });
});
