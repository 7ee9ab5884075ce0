// The CPU oracle of the bias + GeLU kernel: hand values of the tanh GeLU, saturation at both
// ends, bias by column, the modes, the tolerance's shape, and bad input.
import { describe, expect, it } from 'vitest';
import {
  biasGeluCpu,
  biasGeluTolerance,
  F32_MIN_NORMAL,
  geluF32,
  TANH_ABS_TOLERANCE,
} from '../../src/kernels/bias-gelu.ts';

describe('geluF32 (tanh approximation)', () => {
  it('hand values', () => {
    expect(geluF32(0)).toBe(0);
    // 0.5 (1 + tanh(sqrt(2/pi) 1.044715)) = 0.841192 (the exact erf GeLU is 0.841345).
    expect(geluF32(1)).toBeCloseTo(0.841192, 6);
    expect(geluF32(-1)).toBeCloseTo(-0.158808, 6);
    expect(geluF32(2)).toBeCloseTo(1.954598, 6);
  });

  it('is x for large x and 0 for large -x, without NaN where x^3 overflows', () => {
    expect(geluF32(10)).toBe(10);
    expect(geluF32(1e4)).toBe(1e4);
    expect(geluF32(Math.fround(1e30))).toBe(Math.fround(1e30));
    expect(Math.abs(geluF32(-10))).toBeLessThan(1e-20);
    expect(geluF32(-1e4)).toBe(-0);
    expect(geluF32(-1e30)).toBe(-0);
  });

  it('rounds to f32', () => {
    const y = geluF32(0.3);
    expect(Math.fround(y)).toBe(y);
  });
});

describe('biasGeluCpu', () => {
  it('adds the bias by column, then applies GeLU', () => {
    const x = [0, 1, 2, -1, 0, 5];
    const bias = [1, -1, -2];
    const z = [1, 0, 0, 0, -1, 3];
    expect(Array.from(biasGeluCpu(x, bias, 2, 3, 'bias'))).toEqual(z);
    expect(Array.from(biasGeluCpu(x, bias, 2, 3))).toEqual(z.map(geluF32));
    expect(Array.from(biasGeluCpu(x, null, 2, 3, 'gelu'))).toEqual(x.map(geluF32));
  });

  it('rounds the add to f32', () => {
    expect(biasGeluCpu([2 ** 24], [1], 1, 1, 'bias')[0]).toBe(2 ** 24);
  });

  it('rejects bad shapes and a missing bias', () => {
    expect(() => biasGeluCpu([], null, 0, 1, 'gelu')).toThrow(/m=0/);
    expect(() => biasGeluCpu([1, 2], null, 1, 2)).toThrow(/needs a bias/);
    expect(() => biasGeluCpu([1, 2], [1], 1, 2)).toThrow(/bias has 1 values/);
    expect(() => biasGeluCpu([1, 2, 3], [1, 2], 1, 2)).toThrow(/x has 3 values/);
  });
});

describe('biasGeluTolerance', () => {
  it('is the subnormal flush only for bias only, and grows with |z| under GeLU', () => {
    expect(Array.from(biasGeluTolerance([5, -5], [0, 0], 1, 2, 'bias'))).toEqual([
      F32_MIN_NORMAL,
      F32_MIN_NORMAL,
    ]);
    const [pos, neg] = biasGeluTolerance([5, -5], null, 1, 2, 'gelu');
    expect(neg).toBeGreaterThanOrEqual(2.5 * TANH_ABS_TOLERANCE);
    expect(pos).toBeGreaterThan(neg as number);
    expect(pos).toBeLessThan(5 * 2 ** -19);
  });
});
