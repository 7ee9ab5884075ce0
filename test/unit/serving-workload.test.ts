import { describe, expect, it } from 'vitest';
import { gamma, mulberry32 } from '../../src/exec/random/rng.ts';
import { generateWorkload, type WorkloadOptions } from '../../src/serving/workload.ts';

const BASE: WorkloadOptions = {
  requests: 20_000,
  rate_per_s: 10,
  promptMean: 200,
  promptCv: 0.5,
  outputMean: 64,
  outputCv: 1,
  seed: 3,
};

/** Sample mean and coefficient of variation (sample standard deviation / mean). */
function meanCv(xs: readonly number[]): { mean: number; cv: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, cv: Math.sqrt(variance) / mean };
}

describe('generateWorkload', () => {
  it.each([0.5, 1, 2])('draws output lengths of mean 64 and CV %d (20 000 requests)', (cv) => {
    const w = generateWorkload({ ...BASE, outputCv: cv });
    const out = meanCv(w.map((r) => r.output_tokens));
    expect(Math.abs(out.mean / 64 - 1)).toBeLessThan(0.03);
    expect(Math.abs(out.cv / cv - 1)).toBeLessThan(0.04);
    const prompt = meanCv(w.map((r) => r.prompt_tokens));
    expect(Math.abs(prompt.mean / 200 - 1)).toBeLessThan(0.02);
    expect(Math.abs(prompt.cv / 0.5 - 1)).toBeLessThan(0.03);
    expect(w.every((r) => Number.isInteger(r.output_tokens) && r.output_tokens >= 1)).toBe(true);
  });

  it('arrives as a Poisson process: exponential gaps of mean 1 / lambda, CV 1', () => {
    const w = generateWorkload(BASE);
    const gaps = w.map((r, i) => r.arrival_s - (i === 0 ? 0 : (w[i - 1]?.arrival_s as number)));
    expect(gaps.every((g) => g >= 0)).toBe(true);
    const g = meanCv(gaps);
    expect(Math.abs(g.mean / 0.1 - 1)).toBeLessThan(0.03);
    expect(Math.abs(g.cv - 1)).toBeLessThan(0.03);
  });

  it('gives a constant for CV 0 and everything at time 0 for rate Infinity', () => {
    const w = generateWorkload({
      ...BASE,
      requests: 50,
      outputCv: 0,
      promptCv: 0,
      promptMean: 7.4,
      rate_per_s: Infinity,
    });
    expect(new Set(w.map((r) => r.output_tokens))).toEqual(new Set([64]));
    expect(new Set(w.map((r) => r.prompt_tokens))).toEqual(new Set([7]));
    expect(new Set(w.map((r) => r.arrival_s))).toEqual(new Set([0]));
    expect(w.map((r) => r.id)).toEqual([...Array(50).keys()]);
  });

  it('gives the same workload for the same seed, another for another', () => {
    const a = generateWorkload({ ...BASE, requests: 100 });
    expect(generateWorkload({ ...BASE, requests: 100 })).toEqual(a);
    const b = generateWorkload({ ...BASE, requests: 100, seed: 4 });
    expect(b.map((r) => r.output_tokens)).not.toEqual(a.map((r) => r.output_tokens));
    // A new rate moves only the arrivals; the lengths stay each request's own.
    const c = generateWorkload({ ...BASE, requests: 100, rate_per_s: 99 });
    expect(c.map((r) => r.output_tokens)).toEqual(a.map((r) => r.output_tokens));
    expect(c[99]?.arrival_s).toBeCloseTo(((a[99]?.arrival_s as number) * 10) / 99, 12);
  });

  it('clamps lengths to the caps', () => {
    const w = generateWorkload({
      ...BASE,
      requests: 2000,
      outputCv: 2,
      maxOutputTokens: 100,
      maxPromptTokens: 250,
    });
    expect(Math.max(...w.map((r) => r.output_tokens))).toBe(100);
    expect(Math.max(...w.map((r) => r.prompt_tokens))).toBe(250);
  });

  it.each([
    [{ requests: 0 }, 'requests 0 must be a whole number from 1'],
    [{ rate_per_s: 0 }, 'rate 0 requests/s must be > 0'],
    [{ rate_per_s: Number.NaN }, 'rate NaN requests/s'],
    [{ outputMean: 0.5 }, 'output mean 0.5 tokens must be a number >= 1'],
    [{ promptCv: -1 }, 'prompt CV -1 must be a number from 0 to 10'],
    [{ maxOutputTokens: 0 }, 'output cap 0 tokens must be a whole number >= 1'],
    [{ seed: 1.5 }, 'seed 1.5 must be a whole number'],
  ])('refuses %j', (bad, message) => {
    expect(() => generateWorkload({ ...BASE, ...bad })).toThrow(RangeError);
    expect(() => generateWorkload({ ...BASE, ...bad })).toThrow(message);
  });
});

describe('gamma sampler', () => {
  it.each([0.25, 1, 4])('has mean k and variance k for shape %d', (k) => {
    const u = mulberry32(9);
    const xs = Array.from({ length: 20_000 }, () => gamma(u, k));
    const { mean, cv } = meanCv(xs);
    expect(Math.abs(mean / k - 1)).toBeLessThan(0.04);
    expect(Math.abs(cv / Math.sqrt(1 / k) - 1)).toBeLessThan(0.04);
  });
});
