// How much larger than the normal view the page's type is now: the root font size over the
// normal 20 px (1.3 in presenter mode, whose CSS sets 26 px). Text drawn on a canvas scales by
// it, so canvas labels grow with the HTML around them.
const NORMAL_PX = 20;

export function typeScale(): number {
  const px = Number.parseFloat(getComputedStyle(document.documentElement).fontSize);
  return Number.isFinite(px) && px > 0 ? px / NORMAL_PX : 1;
}

/**
 * The first of `texts` (longest first) that fits `maxWidth` at the context's font, else the
 * last one squeezed to fit: a caption drawn on a canvas is never cut at its edge.
 */
export function fitText(
  g: CanvasRenderingContext2D,
  texts: readonly string[],
  maxWidth: number,
): { readonly text: string; readonly width: number } {
  for (const text of texts) {
    const width = g.measureText(text).width;
    if (width <= maxWidth) return { text, width };
  }
  const text = texts.at(-1) ?? '';
  return { text, width: Math.min(maxWidth, g.measureText(text).width) };
}
