import { describe, expect, it } from 'vitest';
import type { Calibration } from '../../src/exec/calibration/microbench.ts';
import {
  type CalibrationFigures,
  type CalibrationSample,
  calibratedLocalFabric,
  fitLocalCalibration,
} from '../../src/model/calibration.ts';
import { fitLine, fitSlope } from '../../src/model/least-squares.ts';
import { pricePlan } from '../../src/model/pricer.ts';

// What `fleetlab calibrate --json` writes is what the fit reads (checked by the compiler).
const asFigures = (c: Calibration): CalibrationFigures => c;

const alpha_s = 4e-6;
const beta_Bps = 180e9;
const gamma_s_per_B = 1.5e-12;

/** 4 KiB .. 64 MiB by 2, times from the model, each multiplied by noise(i). */
function synthetic(noise: (i: number) => number = () => 1): CalibrationSample[] {
  const rows: CalibrationSample[] = [];
  for (let bytes = 4096, i = 0; bytes <= 64 * 2 ** 20; bytes *= 2, i++) {
    const copy = alpha_s + bytes / beta_Bps;
    rows.push({
      bytes,
      copy_buffer_s: copy * 0.9 * noise(3 * i),
      copy_kernel_s: copy * noise(3 * i + 1),
      reduce_kernel_s: (copy + gamma_s_per_B * bytes) * noise(3 * i + 2),
    });
  }
  return rows;
}

/** A fixed pseudo-random factor in [1 - spread, 1 + spread] (a small LCG: repeatable). */
function noise(spread: number): (i: number) => number {
  const values: number[] = [];
  let x = 12345;
  for (let i = 0; i < 64; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    values.push(1 + spread * (2 * (x / 2 ** 31) - 1));
  }
  return (i) => values[i % values.length] as number;
}

const rel = (a: number, b: number) => Math.abs(a - b) / b;

describe('least squares with relative weights', () => {
  it('recovers an exact line and reports a perfect fit', () => {
    const xs = [1, 10, 100, 1000];
    const fit = fitLine(
      xs,
      xs.map((x) => 2 + 0.5 * x),
    );
    expect(fit.intercept).toBeCloseTo(2, 12);
    expect(fit.slope).toBeCloseTo(0.5, 12);
    expect(fit.r2).toBeCloseTo(1, 12);
    expect(fit.max_rel_residual).toBeLessThan(1e-12);
  });

  it('fits a slope on known offsets', () => {
    const xs = [1, 2, 4];
    const fit = fitSlope(
      xs,
      xs.map((x) => 3 + 2 * x),
      xs.map(() => 3),
    );
    expect(fit.slope).toBeCloseTo(2, 12);
  });

  it('needs two distinct sizes and positive times', () => {
    expect(() => fitLine([1, 1], [1, 2])).toThrow('a fit needs 2 distinct x values, got 1');
    expect(() => fitLine([1, 2], [1, 0])).toThrow('y 0 must be a finite number > 0');
  });
});

describe('calibrating the local fabric', () => {
  it('recovers alpha, beta and gamma from exact data to 1e-9', () => {
    const c = fitLocalCalibration({ sizes: synthetic(), dispatch_latency_s: 3e-6 });
    expect(rel(c.alpha_s, alpha_s)).toBeLessThan(1e-9);
    expect(rel(c.beta_Bps, beta_Bps)).toBeLessThan(1e-9);
    expect(rel(c.gamma_s_per_B, gamma_s_per_B)).toBeLessThan(1e-9);
    expect(c.copy_fit.r2).toBeCloseTo(1, 9);
    expect(c.reduce_fit.max_rel_residual).toBeLessThan(1e-9);
    expect(c).toMatchObject({ source: 'copy_kernel_s', points: 15, dispatch_latency_s: 3e-6 });
    expect(c.notes).toEqual([]);
  });

  it('stays close with 3 % noise and says how well it fits', () => {
    const c = fitLocalCalibration({ sizes: synthetic(noise(0.03)) });
    expect(rel(c.alpha_s, alpha_s)).toBeLessThan(0.02);
    expect(rel(c.beta_Bps, beta_Bps)).toBeLessThan(0.02);
    expect(rel(c.gamma_s_per_B, gamma_s_per_B)).toBeLessThan(0.1);
    expect(c.copy_fit.r2).toBeGreaterThan(0.999);
    expect(c.copy_fit.max_rel_residual).toBeGreaterThan(0.005);
    expect(c.copy_fit.max_rel_residual).toBeLessThan(0.04);
  });

  it('fits copyBufferToBuffer instead when asked', () => {
    const c = fitLocalCalibration({ sizes: synthetic() }, 'copy_buffer_s');
    expect(rel(c.alpha_s, alpha_s * 0.9)).toBeLessThan(1e-9);
    expect(rel(c.beta_Bps, beta_Bps / 0.9)).toBeLessThan(1e-9);
  });

  it('leaves out unusable rows and keeps alpha and gamma physical', () => {
    const rows = synthetic().map((r) => ({ ...r, copy_kernel_s: r.bytes / beta_Bps }));
    const bent = [
      { ...(rows[0] as CalibrationSample), copy_kernel_s: 0.5 * (rows[0]?.copy_kernel_s ?? 0) },
      ...rows.slice(1),
      { bytes: 2 ** 30, copy_buffer_s: 1, copy_kernel_s: Number.NaN, reduce_kernel_s: 1 },
    ];
    const c = fitLocalCalibration({ sizes: bent });
    expect(c.points).toBe(rows.length);
    expect(c.alpha_s).toBe(0);
    expect(c.notes[0]).toMatch(/^alpha fitted -.* s < 0: refitted through the origin$/);
    const cheap = synthetic().map((r) => ({ ...r, reduce_kernel_s: r.copy_kernel_s * 0.95 }));
    const g = fitLocalCalibration({ sizes: cheap });
    expect(g.gamma_s_per_B).toBe(0);
    expect(g.notes[0]).toMatch(/gamma fitted .* < 0/);
  });

  it('refuses a calibration with too few sizes', () => {
    expect(() => fitLocalCalibration({ sizes: synthetic().slice(0, 1) })).toThrow(RangeError);
  });

  it('gives a local fabric whose one-copy step prices as the fitted line', () => {
    const c = fitLocalCalibration({ sizes: synthetic() });
    const f = calibratedLocalFabric(2, c);
    const count = 2 ** 20;
    const price = pricePlan(
      {
        collective: 'allreduce',
        algorithm: 'test',
        ranks: 2,
        count,
        dtype: 'float',
        redop: 'sum',
        root: 0,
        inPlace: true,
        sizes: { send: [0, 0], recv: [count, count] },
        input: [
          { buffer: 'recv', offset: 0, count },
          { buffer: 'recv', offset: 0, count },
        ],
        output: [
          { buffer: 'recv', offset: 0, count },
          { buffer: 'recv', offset: 0, count },
        ],
        steps: [
          {
            phase: 'x',
            ops: [
              {
                kind: 'reduce',
                src: { rank: 0, buffer: 'recv', offset: 0 },
                dst: { rank: 1, buffer: 'recv', offset: 0 },
                count,
                chunk: 0,
              },
            ],
          },
        ],
      },
      f,
    );
    const bytes = count * 4;
    expect(rel(price.total_s, alpha_s + bytes / beta_Bps + gamma_s_per_B * bytes)).toBeLessThan(
      1e-9,
    );
    expect(asFigures).toBeTypeOf('function');
  });
});
