import { describe, expect, it } from 'vitest';
import { applyElementwise } from '../../src/plans/elementwise.ts';

describe('applyElementwise (the CPU oracle)', () => {
  it('wraps int32 sum and prod as WGSL i32 arithmetic does', () => {
    const dst = Int32Array.of(2 ** 31 - 1, 65536, -5);
    applyElementwise('sum', dst, Int32Array.of(1, 0, 2), 3);
    expect([...dst]).toEqual([-(2 ** 31), 65536, -3]);
    applyElementwise('prod', dst, Int32Array.of(1, 65536, 3), 3);
    expect([...dst]).toEqual([-(2 ** 31), 0, -9]);
  });

  it('rounds float results to f32', () => {
    const dst = Float32Array.of(1);
    applyElementwise('sum', dst, Float32Array.of(2 ** -24), 1);
    expect(dst[0]).toBe(1); // 1 + 2^-24 is a tie, rounds to even
    applyElementwise('sum', dst, Float32Array.of(2 ** -23), 1);
    expect(dst[0]).toBe(1 + 2 ** -23);
  });

  it('applies max, min and copy within offsets and count only', () => {
    const dst = Float32Array.of(0, 5, -1, 9);
    applyElementwise('max', dst, Float32Array.of(7, 2, 3), 2, 1, 1);
    expect([...dst]).toEqual([0, 5, 3, 9]);
    applyElementwise('min', dst, Float32Array.of(4, 4), 2, 0, 0);
    expect([...dst]).toEqual([0, 4, 3, 9]);
    applyElementwise('copy', dst, Float32Array.of(8), 1, 3);
    expect([...dst]).toEqual([0, 4, 3, 8]);
  });
});
