// The CPU matmul oracle: known products, f32 rounding in k order, the tolerance's size, and
// bad shapes.
import { describe, expect, it } from 'vitest';
import {
  compareMatmul,
  F32_UNIT_ROUNDOFF,
  matmulCpu,
  matmulTolerance,
} from '../../src/kernels/matmul.ts';

describe('matmulCpu', () => {
  it('multiplies a 2x3 by a 3x2', () => {
    const a = [1, 2, 3, 4, 5, 6];
    const b = [7, 8, 9, 10, 11, 12];
    expect(Array.from(matmulCpu(a, b, 2, 3, 2))).toEqual([58, 64, 139, 154]);
  });

  it('1x1x1 and the identity', () => {
    expect(Array.from(matmulCpu([3], [-2], 1, 1, 1))).toEqual([-6]);
    const id = [1, 0, 0, 0, 1, 0, 0, 0, 1];
    const x = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    expect(Array.from(matmulCpu(x, id, 2, 3, 3))).toEqual(Array.from(Float32Array.from(x)));
  });

  it('accumulates in f32, in k order', () => {
    // 2^24 + 1 + 1: in f32 each +1 is lost (ties to even); in f64 the sum would be 2^24 + 2.
    const a = [2 ** 24, 1, 1];
    const b = [1, 1, 1];
    expect(matmulCpu(a, b, 1, 3, 1)[0]).toBe(2 ** 24);
    // The other order keeps both ones: the order is part of the oracle's meaning.
    expect(matmulCpu([1, 1, 2 ** 24], b, 1, 3, 1)[0]).toBe(2 ** 24 + 2);
  });

  it('rounds each product to f32', () => {
    const x = Math.fround(0.1);
    expect(matmulCpu([x], [x], 1, 1, 1)[0]).toBe(Math.fround(x * x));
  });

  it('rejects bad shapes', () => {
    expect(() => matmulCpu([], [], 0, 1, 1)).toThrow(RangeError);
    expect(() => matmulCpu([1, 2], [1], 1, 1, 1)).toThrow(/A has 2 values/);
    expect(() => matmulCpu([1], [1, 2], 1, 1, 1)).toThrow(/B has 2 values/);
  });
});

describe('matmulTolerance', () => {
  it('is 2 gamma_K sum |a b| (+ the smallest normal)', () => {
    const k = 4;
    const a = [1, -2, 3, -4];
    const b = [1, 1, 1, 1];
    const ku = k * F32_UNIT_ROUNDOFF;
    const want = ((2 * ku) / (1 - ku)) * 10 + 2 ** -126;
    expect(matmulTolerance(a, b, 1, k, 1)[0]).toBeCloseTo(want, 20);
  });

  it('covers a reordered f32 sum', () => {
    // Summing in reverse order is another valid GPU order: within the bound.
    const n = 1000;
    const a = Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i) * 0.9));
    const b = Array.from({ length: n }, (_, i) => Math.fround(Math.cos(i * 0.7)));
    const want = matmulCpu(a, b, 1, n, 1);
    const rev = matmulCpu([...a].reverse(), [...b].reverse(), 1, n, 1);
    const tol = matmulTolerance(a, b, 1, n, 1);
    expect(compareMatmul(rev, want, tol).wrong).toBe(0);
  });

  it('compareMatmul counts values outside the tolerance and NaN', () => {
    const want = Float32Array.from([1, 2, 3]);
    const got = Float32Array.from([1, 2.5, Number.NaN]);
    const tol = Float64Array.from([0, 0.1, 1]);
    expect(compareMatmul(got, want, tol).wrong).toBe(2);
  });
});
