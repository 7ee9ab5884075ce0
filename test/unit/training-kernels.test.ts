// The CPU oracles of the training step's kernels (src/kernels/): each against an independent
// f64 computation, and the tolerances against the f32 oracle's own distance from it. The GPU
// side is test/gpu/kernels.test.ts (every registry kernel against its oracle).
import { describe, expect, it } from 'vitest';
import { geluF32 } from '../../src/kernels/bias-gelu.ts';
import { columnSumCpu } from '../../src/kernels/column-sum.ts';
import {
  geluBackwardCpu,
  geluBackwardTolerance,
  geluGradF32,
} from '../../src/kernels/gelu-backward.ts';
import { matmulCpu } from '../../src/kernels/matmul.ts';
import { matmulNtKernel, matmulTnKernel, transpose } from '../../src/kernels/matmul-transposed.ts';
import { mseGradKernel, mseLoss, mseScale } from '../../src/kernels/mse-grad.ts';
import { kernelFor } from '../../src/kernels/registry.ts';
import { sgdCpu, sgdKernel } from '../../src/kernels/sgd.ts';
import { prng } from '../prng.ts';

const random = (n: number, seed: number, r = 1) => {
  const next = prng(seed);
  return Float32Array.from({ length: n }, () => (next() * 2 - 1) * r);
};

/** The tanh form of GeLU in f64 (the function the f32 kernels approximate). */
const gelu64 = (z: number) =>
  0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3)));

describe('GeLU backward', () => {
  it('is the derivative of the forward kernel’s function (central differences in f64)', () => {
    for (const z of [-6, -3, -1.5, -0.4, 0, 0.3, 1, 2.5, 7]) {
      const h = 1e-5;
      const fd = (gelu64(z + h) - gelu64(z - h)) / (2 * h);
      expect(Math.abs(geluGradF32(z) - fd), `z = ${z}`).toBeLessThan(1e-5);
    }
  });

  it('agrees with the f32 forward kernel’s slope where it is steep enough to measure', () => {
    // A difference quotient of f32 values over a wide step: checks sign and size, not ulps.
    for (const z of [-2, -0.5, 0.5, 2]) {
      const h = 2 ** -8;
      const fd = (geluF32(z + h) - geluF32(z - h)) / (2 * h);
      expect(Math.abs(geluGradF32(z) - fd), `z = ${z}`).toBeLessThan(1e-3);
    }
  });

  it('its tolerance covers the f32 oracle’s distance from f64 at every z, clamp included', () => {
    // Not the GPU's distance (that is the GPU test's), but a sanity floor: a bound tighter than
    // the oracle's own error from the exact function would be a bound no GPU could meet.
    const z = random(4000, 3, 9);
    const dy = random(4000, 4, 2);
    // One column, a zero bias: z is c itself.
    const x = { c: z, bias: [0], dy };
    const got = geluBackwardCpu(x, 4000, 1);
    const tol = geluBackwardTolerance(x, 4000, 1);
    let within = 0;
    for (let i = 0; i < z.length; i++) {
      const h = 1e-6;
      const exact =
        (dy[i] as number) *
        ((gelu64((z[i] as number) + h) - gelu64((z[i] as number) - h)) / (2 * h));
      if (Math.abs((got[i] as number) - exact) <= (tol[i] as number) + 1e-9) within++;
    }
    expect(within).toBe(z.length);
  });

  it('adds the bias to c as the forward kernel does, column by column', () => {
    const c = Float32Array.from([0.5, -1, 2, 0.25]); // 2 x 2
    const bias = Float32Array.from([0.5, 1]);
    const dy = Float32Array.from([1, 2, 3, 4]);
    const want = [
      1 * geluGradF32(1),
      2 * geluGradF32(0),
      3 * geluGradF32(2.5),
      4 * geluGradF32(1.25),
    ];
    expect([...geluBackwardCpu({ c, bias, dy }, 2, 2)]).toEqual(want.map(Math.fround));
    expect(() => geluBackwardCpu({ c, bias: [1], dy }, 2, 2)).toThrow(/bias 1 values/);
  });

  it('is 0 where the forward kernel clamps (t is +-1 in f32)', () => {
    expect(geluGradF32(20)).toBe(1);
    expect(geluGradF32(-20)).toBe(0);
  });
});

describe('the transposed matmuls', () => {
  it('read their stored operand transposed: A^T B and A B^T equal matmul on the copies', () => {
    const [m, k, n] = [3, 5, 4];
    const aT = random(k * m, 5); // A stored k x m
    const b = random(k * n, 6);
    const tn = matmulTnKernel.oracle({ m, k, n }, { a: aT, b }).c;
    expect(tn).toEqual(matmulCpu(transpose(aT, k, m), b, m, k, n));
    const a = random(m * k, 7);
    const bT = random(n * k, 8); // B stored n x k
    const nt = matmulNtKernel.oracle({ m, k, n }, { a, b: bT }).c;
    expect(nt).toEqual(matmulCpu(a, transpose(bT, n, k), m, k, n));
  });

  it('transpose refuses a length that is not rows x cols', () => {
    expect(() => transpose(new Float32Array(5), 2, 3)).toThrow(/5 values are not 2x3/);
  });
});

describe('loss, bias gradient and update', () => {
  it('mse-grad is the gradient of mseLoss (the global mean over total elements)', () => {
    const y = random(12, 9);
    const t = random(12, 10);
    const total = 48; // this slice is a quarter of the batch
    const dy = mseGradKernel.oracle({ count: 12, total }, { y, target: t }).dy;
    for (let i = 0; i < 12; i++) {
      const h = 1e-6;
      const yp = Float64Array.from(y);
      yp[i] = (yp[i] as number) + h;
      const ym = Float64Array.from(y);
      ym[i] = (ym[i] as number) - h;
      const fd = (mseLoss(yp, t, total) - mseLoss(ym, t, total)) / (2 * h);
      expect(Math.abs((dy[i] as number) - fd)).toBeLessThan(1e-6);
    }
    expect(mseScale(48)).toBe(Math.fround(2 / 48));
    expect(kernelFor('mse-grad').check?.({ count: 12, total: 6 })).toMatch(/at least count 12/);
  });

  it('column-sum adds rows in order, in f32', () => {
    const x = Float32Array.from([1, 2, 3, 4, 5, 6]); // 3 x 2
    expect([...columnSumCpu(x, 3, 2)]).toEqual([9, 12]);
    // Order matters in f32: 2^24 + 1 + 1 in row order rounds each 1 away.
    expect([...columnSumCpu(Float32Array.from([2 ** 24, 1, 1]), 3, 1)]).toEqual([2 ** 24]);
  });

  it('sgd steps against the gradient, lr from its operand', () => {
    const w = Float32Array.from([1, -2, 0.5]);
    const g = Float32Array.from([0.5, -1, 4]);
    expect([...sgdCpu(w, g, 0.25, 3)]).toEqual([0.875, -1.75, -0.5]);
    const lr = Float32Array.from([0.25]);
    expect([...sgdKernel.oracle({ count: 3 }, { w, g, lr }).w_out]).toEqual([0.875, -1.75, -0.5]);
  });
});
