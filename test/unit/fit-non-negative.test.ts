// The multi-term fit the decode model uses beside the book's: exact on data of its own form,
// every coefficient >= 0 (a negative term is dropped and the rest refitted), clear errors.
import { describe, expect, it } from 'vitest';
import { fitNonNegative } from '../../src/model/least-squares.ts';

const ones = [1, 1, 1, 1, 1, 1];
const bytes = [1e6, 2e6, 3e6, 1e6, 2e6, 3e6];
const rows = [1, 1, 1, 8, 8, 8];

describe('fitNonNegative', () => {
  it('recovers latency, seconds per byte and per row from exact data', () => {
    const ys = ones.map((_, i) => 2e-3 + (bytes[i] as number) / 1e9 + (rows[i] as number) * 1e-3);
    const fit = fitNonNegative([ones, bytes, rows], ys);
    expect(fit.coefficients[0]).toBeCloseTo(2e-3, 12);
    expect(fit.coefficients[1]).toBeCloseTo(1e-9, 18);
    expect(fit.coefficients[2]).toBeCloseTo(1e-3, 12);
    expect(fit.r2).toBeCloseTo(1, 12);
  });

  it('drops a term that would come out negative and refits the rest', () => {
    // Time falls with bytes: the per-byte term would be negative.
    const ys = ones.map((_, i) => 5e-3 - (bytes[i] as number) / 1e10 + (rows[i] as number) * 1e-3);
    const fit = fitNonNegative([ones, bytes, rows], ys);
    expect(fit.coefficients[1]).toBe(0);
    expect(fit.coefficients.every((c) => c >= 0)).toBe(true);
    expect(fit.coefficients[2]).toBeGreaterThan(0);
  });

  it('rejects times that are not positive and columns of the wrong length', () => {
    expect(() => fitNonNegative([ones], [1, 1, 1, 1, 1, 0])).toThrow(
      /y 0 must be a finite number > 0/,
    );
    expect(() => fitNonNegative([[1, 2]], [1, 1, 1])).toThrow(/every column needs 3 values/);
  });
});
