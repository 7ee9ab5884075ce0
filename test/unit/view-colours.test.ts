// Colour maps of the fabric view: zero neutral, sign as hue, NaN apart, chunk colours distinct,
// every colour readable on the dark projector background.
import { describe, expect, it } from 'vitest';
import {
  chunkColour,
  chunkCss,
  css,
  NO_VALUE,
  PALETTE_SIZE,
  type Rgb,
  rgbToLab,
  valueColour,
  valueCss,
  valueScale,
  ZERO,
} from '../../src/view/common/colours.ts';

const distance = (a: Rgb, b: Rgb) => {
  const [p, q] = [rgbToLab(a), rgbToLab(b)];
  return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
};

/** WCAG contrast ratio against the page's dark background, #0d1117. */
function contrast(rgb: Rgb): number {
  const lin = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  const lum = ([r, g, b]: Rgb) => 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  return (lum(rgb) + 0.05) / (lum([0x0d / 255, 0x11 / 255, 0x17 / 255]) + 0.05);
}

const inRange = (rgb: Rgb) => rgb.every((c) => c >= 0 && c <= 1);

describe('valueColour', () => {
  it('maps zero to the neutral light grey, whatever the scale', () => {
    for (const scale of [1, 34, 1e-6, 0, Number.NaN]) expect(valueColour(0, scale)).toEqual(ZERO);
    expect(css(ZERO)).toBe('#d1d1d1');
  });

  it('maps negative values to blue and positive ones to orange', () => {
    const [r, , b] = valueColour(-5, 10);
    expect(b).toBeGreaterThan(r);
    const [r2, , b2] = valueColour(5, 10);
    expect(r2).toBeGreaterThan(b2);
  });

  it('grows more saturated with |value| and clamps at the scale', () => {
    const steps = [0, 2, 5, 8, 10].map((v) => distance(valueColour(v, 10), ZERO));
    for (let i = 1; i < steps.length; i++) expect(steps[i]).toBeGreaterThan(steps[i - 1] as number);
    expect(valueColour(50, 10)).toEqual(valueColour(10, 10));
    expect(valueColour(-50, 10)).toEqual(valueColour(-10, 10));
    expect(valueColour(Number.POSITIVE_INFINITY, 10)).toEqual(valueColour(10, 10));
  });

  it('handles NaN with its own dark grey, apart from zero', () => {
    expect(valueColour(Number.NaN, 10)).toEqual(NO_VALUE);
    expect(distance(NO_VALUE, ZERO)).toBeGreaterThan(0.3);
  });

  it('gives non-zero values their end colour when the scale is 0 or not finite', () => {
    expect(valueColour(3, 0)).toEqual(valueColour(1, 1));
    expect(valueColour(-3, Number.NaN)).toEqual(valueColour(-1, 1));
  });

  it('keeps the two ends far apart and readable on the dark background', () => {
    const [lo, hi] = [valueColour(-1, 1), valueColour(1, 1)];
    expect(distance(lo, hi)).toBeGreaterThan(0.25);
    for (const c of [lo, hi, ZERO, valueColour(0.3, 1), valueColour(-0.3, 1)]) {
      expect(inRange(c)).toBe(true);
      expect(contrast(c)).toBeGreaterThan(4.5);
    }
    expect(valueCss(-1, 1)).toMatch(/^#[0-9a-f]{6}$/);
  });

  it('valueScale is the largest finite |value|', () => {
    expect(
      valueScale([new Float32Array([1, -34, Number.NaN]), [Number.POSITIVE_INFINITY, 2]]),
    ).toBe(34);
    expect(valueScale([])).toBe(0);
  });
});

describe('chunkColour', () => {
  const first64 = Array.from({ length: 64 }, (_, i) => chunkColour(i));

  it('keeps the first 12 far apart (OKLab distance > 0.12)', () => {
    expect(PALETTE_SIZE).toBe(12);
    for (let i = 0; i < 12; i++) {
      for (let j = i + 1; j < 12; j++) {
        expect(distance(first64[i] as Rgb, first64[j] as Rgb)).toBeGreaterThan(0.12);
      }
    }
  });

  it('keeps all 64 distinct (OKLab distance > 0.05), readable and in range', () => {
    for (let i = 0; i < 64; i++) {
      const c = first64[i] as Rgb;
      expect(inRange(c)).toBe(true);
      expect(contrast(c)).toBeGreaterThan(3);
      for (let j = i + 1; j < 64; j++) expect(distance(c, first64[j] as Rgb)).toBeGreaterThan(0.05);
    }
  });

  it('is deterministic, starts with Okabe-Ito, and wraps past 64', () => {
    expect(chunkColour(7)).toEqual(first64[7]);
    expect([0, 1, 2, 3].map(chunkCss)).toEqual(['#e69f00', '#56b4e9', '#009e73', '#f0e442']);
    expect(chunkColour(64)).toEqual(chunkColour(0));
    expect(chunkColour(-1)).toEqual(chunkColour(0));
  });
});
