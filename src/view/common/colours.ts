// Colours of the fabric view, for a dark background (the projector theme): buffer values on a
// diverging blue - grey - orange map, and chunks in a qualitative palette. Blue against orange
// is the pair that stays apart for every common colour-vision deficiency. Maps are built in
// OKLab (Ottosson 2020), where equal steps look equal, so a value twice as large looks it.
//
// Every colour is [r, g, b] in 0..1, sRGB-encoded as CSS takes it; for three.js, which works in
// linear sRGB, pass SRGBColorSpace: color.setRGB(r, g, b, SRGBColorSpace).

export type Rgb = readonly [number, number, number];
type Lab = readonly [number, number, number];

const encode = (c: number) =>
  c <= 0.0031308 ? 12.92 * c : 1.055 * Math.max(0, c) ** (1 / 2.4) - 0.055;
const decode = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
const clamp01 = (c: number) => Math.min(1, Math.max(0, c));

/** OKLab to sRGB, clipped to the gamut. */
function labToRgb([L, a, b]: Lab): Rgb {
  const l = (L + 0.3963377774 * a + 0.2158037573 * b) ** 3;
  const m = (L - 0.1055613458 * a - 0.0638541728 * b) ** 3;
  const s = (L - 0.0894841775 * a - 1.291485548 * b) ** 3;
  return [
    clamp01(encode(4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s)),
    clamp01(encode(-1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s)),
    clamp01(encode(-0.0041960863 * l - 0.7034186147 * m + 1.707614701 * s)),
  ];
}

/** sRGB to OKLab, for distances between colours that match what the eye sees. */
export function rgbToLab(rgb: Rgb): Lab {
  const [r, g, b] = rgb.map(decode) as [number, number, number];
  const l = Math.cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b);
  const m = Math.cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b);
  const s = Math.cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b);
  return [
    0.2104542553 * l + 0.793617785 * m - 0.0040720468 * s,
    1.9779984951 * l - 2.428592205 * m + 0.4505937099 * s,
    0.0259040371 * l + 0.7827717662 * m - 0.808675766 * s,
  ];
}

/** OKLCh (lightness, chroma, hue in degrees) as OKLab. */
const lch = (L: number, C: number, hueDeg: number): Lab => {
  const h = (hueDeg * Math.PI) / 180;
  return [L, C * Math.cos(h), C * Math.sin(h)];
};

/** Zero: a light grey that reads on a dark background as "nothing here yet". */
const NEUTRAL = lch(0.86, 0, 0);
/** The ends of the diverging map: -max |value| and +max |value|. */
const NEGATIVE = lch(0.62, 0.17, 255);
const POSITIVE = lch(0.74, 0.17, 58);

/** A cell with no value (NaN: an empty share of a strip): dark grey, apart from zero's. */
export const NO_VALUE: Rgb = labToRgb(lch(0.38, 0, 0));
export const ZERO: Rgb = labToRgb(NEUTRAL);

/**
 * The colour of `value` on a scale whose ends are -maxAbs and +maxAbs: blue below zero, light
 * grey at zero, orange above, more saturated as |value| nears maxAbs (clamped beyond it).
 * maxAbs <= 0 or not finite: every non-zero value takes its end colour. NaN: NO_VALUE.
 */
export function valueColour(value: number, maxAbs: number): Rgb {
  if (Number.isNaN(value)) return NO_VALUE;
  const scale = Number.isFinite(maxAbs) && maxAbs > 0 ? maxAbs : Math.abs(value) || 1;
  const t = Math.max(-1, Math.min(1, value / scale));
  const end = t < 0 ? NEGATIVE : POSITIVE;
  const w = Math.abs(t);
  return labToRgb(
    [0, 1, 2].map(
      (i) => (NEUTRAL[i] as number) * (1 - w) + (end[i] as number) * w,
    ) as unknown as Lab,
  );
}

/** The largest finite |value| in some strips of values: the scale for valueColour. 0 if none. */
export function valueScale(strips: Iterable<ArrayLike<number>>): number {
  let max = 0;
  for (const strip of strips) {
    for (let i = 0; i < strip.length; i++) {
      const a = Math.abs(strip[i] as number);
      if (Number.isFinite(a) && a > max) max = a;
    }
  }
  return max;
}

const hex = (h: number): Rgb => [((h >> 16) & 255) / 255, ((h >> 8) & 255) / 255, (h & 255) / 255];

/**
 * The first chunks' colours: Okabe and Ito's colour-blind-safe set (its black left out, being
 * the background), then white, lime, pink, lavender and pale blue, all at least 3.6:1 against
 * a #0d1117 background and at least 0.13 apart in OKLab.
 */
const PALETTE: readonly Rgb[] = [
  0xe69f00, 0x56b4e9, 0x009e73, 0xf0e442, 0x0072b2, 0xd55e00, 0xcc79a7, 0xffffff, 0x88cc44,
  0xffaabb, 0xaa88ff, 0x99ddff,
].map(hex);

export const PALETTE_SIZE = PALETTE.length;

/** Squared OKLab distance: how different two colours look. */
function distance2(a: Lab, b: Lab): number {
  return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 + (a[2] - b[2]) ** 2;
}

/**
 * Past the palette, up to 64 chunks: each next colour is the candidate farthest (in OKLab)
 * from every colour before it, so consecutive chunks differ most and none repeats. Candidates
 * are 24 hues at 4 lightnesses and 2 chroma levels, all light enough for a dark background.
 */
const EXTENDED: readonly Rgb[] = (() => {
  const candidates: Rgb[] = [];
  for (const L of [0.62, 0.72, 0.82, 0.92]) {
    for (const C of [0.08, 0.15]) {
      for (let h = 0; h < 24; h++) candidates.push(labToRgb(lch(L, C, h * 15)));
    }
  }
  const labs = candidates.map(rgbToLab);
  const nearest = labs.map((c) => Math.min(...PALETTE.map((p) => distance2(c, rgbToLab(p)))));
  const chosen: Rgb[] = [];
  while (chosen.length < 64 - PALETTE.length) {
    let best = 0;
    for (let i = 1; i < labs.length; i++)
      if ((nearest[i] as number) > (nearest[best] as number)) best = i;
    chosen.push(candidates[best] as Rgb);
    const lab = labs[best] as Lab;
    labs.forEach((c, i) => {
      nearest[i] = Math.min(nearest[i] as number, distance2(c, lab));
    });
  }
  return chosen;
})();

/**
 * The colour of chunk `index` (0, 1, ...): the palette, then the farthest-first colours; past
 * 64 chunks the sequence repeats (a view of 64 ranks has at most 64 chunks a step).
 */
export function chunkColour(index: number): Rgb {
  const i = Math.max(0, Math.floor(index)) % (PALETTE.length + EXTENDED.length);
  return (PALETTE[i] ?? EXTENDED[i - PALETTE.length]) as Rgb;
}

/** '#rrggbb' for CSS, canvas and uPlot. */
export function css(rgb: Rgb): string {
  return `#${rgb
    .map((c) =>
      Math.round(clamp01(c) * 255)
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

export const valueCss = (value: number, maxAbs: number) => css(valueColour(value, maxAbs));
export const chunkCss = (index: number) => css(chunkColour(index));
