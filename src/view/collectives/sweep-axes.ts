// The sweep plot's axes, apart from the DOM so they can be tested: binary size labels, tick
// positions on log axes, compact tick values.

const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** '1 KiB', '64 KiB', '1 MiB', '1.5 MiB', '768 B': binary units, as message sizes are chosen. */
export function formatSize(bytes: number): string {
  let k = 0;
  while (k < BINARY.length - 1 && bytes >= 1024 ** (k + 1)) k++;
  const x = bytes / 1024 ** k;
  const text = Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(x < 10 ? 2 : 3)));
  return `${text} ${BINARY[k]}`;
}

/** Tick labels of a log axis: 0.01, 0.5, 20, 3k, 40k, 1M. */
export function formatTick(v: number): string {
  if (v >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (v >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(3)));
}

/**
 * Powers of two from lo to hi, every `stride`-th so that ticks stand at least `minPx` apart on
 * an axis `widthPx` wide (strides keep 1 KiB, 1 MiB among the ticks where they can).
 */
export function sizeTicks(lo: number, hi: number, widthPx: number, minPx: number): number[] {
  const first = Math.ceil(Math.log2(lo) - 1e-9);
  const last = Math.floor(Math.log2(hi) + 1e-9);
  const octaves = Math.max(Math.log2(hi / lo), 1e-9);
  const perOctave = widthPx / octaves;
  const stride = [1, 2, 5, 10, 20].find((s) => s * perOctave >= minPx) ?? 20;
  const ticks: number[] = [];
  for (let j = first; j <= last; j++) if (j % stride === 0) ticks.push(2 ** j);
  // Too few aligned ticks in a narrow range: keep the ends' powers of two.
  if (ticks.length < 2 && last > first) return [2 ** first, 2 ** last];
  if (ticks.length === 0 && last >= first) return [2 ** first];
  return ticks;
}

/** Decades from lo to hi, with 2 and 5 between them when fewer than three decades show. */
export function decadeTicks(lo: number, hi: number): number[] {
  const first = Math.floor(Math.log10(lo) + 1e-9);
  const last = Math.ceil(Math.log10(hi) - 1e-9);
  const within = (v: number) => v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9);
  const decades: number[] = [];
  for (let k = first; k <= last; k++) decades.push(10 ** k);
  const fine = decades.filter(within).length < 3;
  const ticks: number[] = [];
  for (const d of decades) for (const m of fine ? [1, 2, 5] : [1]) ticks.push(m * d);
  return ticks.filter(within).map((v) => Number(v.toPrecision(6)));
}
