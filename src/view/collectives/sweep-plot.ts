// The sweep plot: busbw (or time) against message size on log-log axes, drawn by uPlot. Each
// algorithm has one colour: its measured points as dots, its model curve as a solid line, its
// closed form (when given) as a dashed line; the ring/tree crossover is a labelled vertical
// line. Text takes the container's colour and scales from `fontPx`, for dark projector pages.
//
// For tests and recordings: the legend names the series ('measured ring', 'model ring'), and
// the container's data-series lists the measured series, data-points counts the dots drawn.
// Results loaded from files (sweep-import.ts) are hollow markers, a colour each, after the
// algorithms in the legend; data-loaded counts those series, data-loaded-points their markers.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import '../common/charts.css';
import type { Crossover, MeasuredPoint, ModelCurve } from './sweep.ts';
import { decadeTicks, formatSize, formatTick, sizeTicks } from './sweep-axes.ts';

export type SweepMetric = 'busbw' | 'time';

export interface SweepPlotData {
  readonly measured: readonly MeasuredPoint[];
  readonly models: readonly ModelCurve[];
  readonly crossover?: Crossover | null;
  readonly metric: SweepMetric;
  readonly title?: string;
  /**
   * The algorithms that get a measured series, in legend order, even before they have points
   * (a sweep in progress); absent: those of `measured` and then of `models`.
   */
  readonly algorithms?: readonly string[];
  /** CSS colours by algorithm, over the defaults. */
  readonly colours?: Readonly<Record<string, string>>;
  /** Results read from files, each its own series of markers (no line: a run's own sizes). */
  readonly loaded?: readonly LoadedSeries[];
}

/** A series of points from a results file: drawn as hollow markers in `colour`. */
export interface LoadedSeries {
  readonly label: string;
  /** A CSS #rrggbb colour; LOADED_COLOURS are apart from every algorithm's. */
  readonly colour: string;
  readonly points: readonly {
    readonly bytes: number;
    readonly time_s: number;
    readonly busbw_Bps: number;
  }[];
}

export interface SweepPlotOptions {
  /** Height of the plotting area and axes in CSS px; absent: half the width, 260 to 620. */
  readonly height?: number;
  /** Axis text size in CSS px (default 18: readable on a projector). */
  readonly fontPx?: number;
}

export interface SweepPlot {
  update(data: SweepPlotData): void;
  destroy(): void;
}

/** Okabe-Ito hues (colour-blind safe), fixed per algorithm so a colour keeps its meaning. */
const DEFAULT_COLOURS: Readonly<Record<string, string>> = {
  ring: '#E69F00',
  tree: '#56B4E9',
  dbtree: '#009E73',
  rhd: '#CC79A7',
  direct: '#D55E00',
  hierarchical: '#C9B400',
  pairwise: '#5D9CEC',
};
const SPARE_COLOURS = ['#F0E442', '#0072B2', '#999999', '#AA4499', '#44AA99'];
/**
 * Loaded results' colours, in the order files are loaded: none is an algorithm's hue or one of
 * its lighter or darker kinds, so a loaded run never reads as a measured or modelled series.
 */
export const LOADED_COLOURS: readonly string[] = [
  '#FFFFFF',
  '#FF6E6E',
  '#9BE36B',
  '#B69CFF',
  '#FF9ED8',
  '#7FE0D8',
];

function colourOf(algorithm: string, data: SweepPlotData, spare: Map<string, string>): string {
  const own = data.colours?.[algorithm] ?? DEFAULT_COLOURS[algorithm];
  if (own) return own;
  let c = spare.get(algorithm);
  if (!c) {
    c = SPARE_COLOURS[spare.size % SPARE_COLOURS.length] as string;
    spare.set(algorithm, c);
  }
  return c;
}

/** A #rrggbb colour moved `f` (0..1) of the way to `to` (#ffffff or #000000). */
function mix(hex: string, to: 0 | 255, f: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return hex;
  const channel = (h: string) =>
    Math.round(Number.parseInt(h, 16) * (1 - f) + to * f)
      .toString(16)
      .padStart(2, '0');
  return `#${channel(m[1] as string)}${channel(m[2] as string)}${channel(m[3] as string)}`;
}

/**
 * A series' colour: its algorithm's hue for the model curve, lighter for the closed form and
 * darker for the measured dots, so the three series of one algorithm differ in colour as well
 * as in dash and marker (six algorithms drew 18 series in six colours).
 */
export function kindColour(hue: string, kind: SeriesPlan['kind']): string {
  return kind === 'closed-form' ? mix(hue, 255, 0.5) : kind === 'measured' ? mix(hue, 0, 0.3) : hue;
}

interface SeriesPlan {
  readonly label: string;
  readonly kind: 'measured' | 'priced' | 'closed-form' | 'loaded';
  readonly colour: string;
  readonly values: Map<number, number>; // bytes -> y
}

interface Marker {
  readonly bytes: number;
  readonly text: string;
  readonly dashed: boolean;
}

interface Built {
  readonly series: SeriesPlan[];
  readonly xs: number[];
  readonly markers: Marker[];
  readonly measuredLabels: string[];
  readonly points: number;
  /** Markers of loaded results drawn (points on the axes). */
  readonly loadedPoints: number;
  /** The range of every value shown, for the scales. */
  readonly x: readonly [number, number];
  readonly y: readonly [number, number];
}

function yOf(metric: SweepMetric, time_s: number, busbw_Bps: number): number | null {
  const y = metric === 'busbw' ? busbw_Bps / 1e9 : time_s * 1e6;
  return Number.isFinite(y) && y > 0 ? y : null;
}

function unique<T>(items: Iterable<T>): T[] {
  return [...new Set(items)];
}

function markersOf(c: Crossover | null | undefined): Marker[] {
  if (!c) return [];
  const [a, b] = c.pair;
  const out: Marker[] = [];
  const name = `${a} = ${b}`;
  if (c.model_bytes !== null) {
    const both = c.book_bytes !== null && Math.abs(Math.log(c.book_bytes / c.model_bytes)) < 0.05;
    out.push({
      bytes: c.model_bytes,
      text: `${name} at ${formatSize(c.model_bytes)} (${both ? 'model and book' : 'model'})`,
      dashed: false,
    });
    if (both) return out;
  }
  if (c.book_bytes !== null) {
    out.push({
      bytes: c.book_bytes,
      text: `${name} at ${formatSize(c.book_bytes)} (book)`,
      dashed: true,
    });
  }
  return out;
}

function build(data: SweepPlotData): Built {
  const spare = new Map<string, string>();
  const algorithms =
    data.algorithms ??
    unique([...data.measured.map((p) => p.algorithm), ...data.models.map((m) => m.algorithm)]);
  const series: SeriesPlan[] = [];
  const measuredLabels: string[] = [];
  let points = 0;
  const order = unique([...algorithms, ...data.models.map((m) => m.algorithm)]);
  for (const algorithm of order) {
    const colour = colourOf(algorithm, data, spare);
    for (const curve of data.models.filter((m) => m.algorithm === algorithm)) {
      const values = new Map<number, number>();
      for (const p of curve.points) {
        const y = yOf(data.metric, p.time_s, p.busbw_Bps);
        if (y !== null && p.bytes > 0) values.set(p.bytes, y);
      }
      const label =
        curve.label ?? `${curve.kind === 'priced' ? 'model' : 'closed form'} ${algorithm}`;
      series.push({ label, kind: curve.kind, colour: kindColour(colour, curve.kind), values });
    }
    if (algorithms.includes(algorithm)) {
      const values = new Map<number, number>();
      for (const p of data.measured.filter((m) => m.algorithm === algorithm)) {
        const y = yOf(data.metric, p.time_s, p.busbw_Bps);
        if (y !== null && p.bytes > 0) values.set(p.bytes, y);
      }
      points += values.size;
      const label = `measured ${algorithm}`;
      measuredLabels.push(label);
      series.push({ label, kind: 'measured', colour: kindColour(colour, 'measured'), values });
    }
  }
  // Loaded results last, so the algorithms keep their place in the legend as files come and go.
  let loadedPoints = 0;
  for (const run of data.loaded ?? []) {
    const values = new Map<number, number>();
    for (const p of run.points) {
      const y = yOf(data.metric, p.time_s, p.busbw_Bps);
      if (y !== null && p.bytes > 0) values.set(p.bytes, y);
    }
    loadedPoints += values.size;
    series.push({ label: run.label, kind: 'loaded', colour: run.colour, values });
  }
  const markers = markersOf(data.crossover);
  const xs = unique(series.flatMap((s) => [...s.values.keys()])).sort((a, b) => a - b);
  const ys = series.flatMap((s) => [...s.values.values()]);
  const xAll = [...xs, ...markers.map((m) => m.bytes)];
  const x: [number, number] =
    xAll.length > 0 ? [Math.min(...xAll), Math.max(...xAll)] : [1024, 1024 ** 2];
  const y: [number, number] =
    ys.length > 0
      ? [Math.min(...ys), Math.max(...ys)]
      : data.metric === 'busbw'
        ? [0.01, 100]
        : [1, 1e4];
  return { series, xs, markers, measuredLabels, points, loadedPoints, x, y };
}

/** Each series' label and colour, in legend order (for tests: no two share a colour). */
export function seriesColours(data: SweepPlotData): ReadonlyMap<string, string> {
  return new Map(build(data).series.map((s) => [s.label, s.colour]));
}

/** A colour with alpha, from a CSS colour of the form rgb(r, g, b) (others are kept). */
function withAlpha(css: string, alpha: number): string {
  const m = css.match(/^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/);
  return m ? `rgba(${m[1]}, ${m[2]}, ${m[3]}, ${alpha})` : css;
}

/** The first opaque background colour from `el` up, or undefined (the canvas shows through). */
function backgroundOf(el: Element | null): string | undefined {
  for (let e = el; e; e = e.parentElement) {
    const bg = getComputedStyle(e).backgroundColor;
    if (bg && bg !== 'transparent' && !/^rgba\(.*,\s*0\)$/.test(bg)) return bg;
  }
  return undefined;
}

/** A log range widened by `factor` each way (twice that around a single value). */
function padded(lo: number, hi: number, factor: number): [number, number] {
  if (hi <= lo) return [lo / factor ** 2, hi * factor ** 2];
  return [lo / factor, hi * factor];
}

/** What the uPlot instance is built from; when it changes, the plot is built again. */
function signature(data: SweepPlotData, built: Built, foreground: string): string {
  return JSON.stringify([
    data.metric,
    data.title ?? '',
    foreground,
    built.series.map((s) => [s.label, s.colour]),
  ]);
}

export function mountSweepPlot(
  container: HTMLElement,
  initial: SweepPlotData,
  options: SweepPlotOptions = {},
): SweepPlot {
  const fontPx = options.fontPx ?? 18;
  const host = document.createElement('div');
  host.className = 'fleetlab-sweep';
  container.append(host);

  let data = initial;
  let built = build(data);
  let plot: uPlot | undefined;
  let shape = '';
  let width = 0;

  const sizeNow = () => {
    const w = Math.max(320, Math.floor(host.clientWidth || container.clientWidth || 800));
    const h = options.height ?? Math.round(Math.min(620, Math.max(260, w * 0.5)));
    return { width: w, height: h };
  };

  const drawMarkers = (u: uPlot) => {
    const { ctx, bbox } = u;
    const px = uPlot.pxRatio;
    const fg = getComputedStyle(host).color || '#ddd';
    const scale = u.scales.x;
    const lineHeight = (fontPx + 8) * px;
    const bg = backgroundOf(host);
    const backing = bg ? withAlpha(bg, 0.85) : undefined;
    ctx.save();
    ctx.font = `600 ${fontPx * px}px system-ui, sans-serif`;
    ctx.textBaseline = 'top';
    ctx.textAlign = 'left'; // uPlot leaves the y axis's 'right' behind
    built.markers.forEach((m, i) => {
      const { min, max } = scale ?? {};
      if (min === undefined || max === undefined || m.bytes < min || m.bytes > max) return;
      const x = Math.round(u.valToPos(m.bytes, 'x', true));
      ctx.strokeStyle = fg;
      ctx.lineWidth = 2 * px;
      ctx.setLineDash(m.dashed ? [8 * px, 6 * px] : []);
      ctx.beginPath();
      ctx.moveTo(x, bbox.top);
      ctx.lineTo(x, bbox.top + bbox.height);
      ctx.stroke();
      const w = ctx.measureText(m.text).width;
      const pad = 6 * px;
      const right = x + pad + w + pad <= bbox.left + bbox.width;
      const tx = right ? x + pad : x - pad - w;
      const ty = bbox.top + pad + i * lineHeight;
      // A backing in the page's background, so the label reads over the curves.
      if (backing) {
        ctx.fillStyle = backing;
        ctx.fillRect(tx - 3 * px, ty - 2 * px, w + 6 * px, fontPx * px + 6 * px);
      }
      ctx.fillStyle = fg;
      ctx.fillText(m.text, tx, ty);
    });
    ctx.restore();
  };

  const aligned = (): uPlot.AlignedData => [
    built.xs,
    ...built.series.map((s) => built.xs.map((x) => s.values.get(x) ?? null)),
  ];

  const create = () => {
    plot?.destroy();
    const fg = getComputedStyle(host).color || '#ddd';
    const grid = withAlpha(fg, 0.18);
    const font = `${fontPx}px system-ui, sans-serif`;
    const labelFont = `600 ${fontPx + 2}px system-ui, sans-serif`;
    const { width: w, height: h } = sizeNow();
    width = w;
    const yLabel = data.metric === 'busbw' ? 'busbw (GB/s)' : 'time (µs)';
    const series: uPlot.Series[] = [
      { label: 'size' },
      ...built.series.map((s): uPlot.Series => {
        if (s.kind === 'loaded') {
          // Hollow, a size larger than the measured dots: another run's points, not this GPU's.
          // `fill` only colours the legend's marker (filled: points, as the measured series).
          return {
            label: s.label,
            stroke: s.colour,
            fill: s.colour,
            width: 0,
            paths: () => null,
            points: {
              show: true,
              size: fontPx * 0.9,
              width: 3,
              space: 0,
              stroke: s.colour,
              fill: backgroundOf(host) ?? 'transparent',
            },
          };
        }
        if (s.kind === 'measured') {
          return {
            label: s.label,
            stroke: s.colour,
            fill: s.colour,
            width: 0,
            paths: () => null,
            points: {
              show: true,
              size: fontPx * 0.75,
              width: 2,
              space: 0,
              stroke: fg,
              fill: s.colour,
            },
          };
        }
        return {
          label: s.label,
          stroke: s.colour,
          width: s.kind === 'priced' ? 3 : 2,
          spanGaps: true,
          points: { show: false },
          ...(s.kind === 'closed-form' ? { dash: [10, 6], alpha: 0.85 } : {}),
        };
      }),
    ];
    const axis = (label: string): uPlot.Axis => ({
      label,
      font,
      labelFont,
      stroke: fg,
      labelSize: fontPx + 14,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1, size: 8 },
    });
    const opts: uPlot.Options = {
      width: w,
      height: h,
      ...(data.title ? { title: data.title } : {}),
      series,
      legend: { live: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: {
        x: {
          time: false,
          distr: 3,
          log: 2,
          range: () => padded(built.x[0], built.x[1], 2 ** 0.35),
        },
        y: {
          distr: 3,
          log: 10,
          range: () => padded(built.y[0], built.y[1], 1.6),
        },
      },
      axes: [
        {
          ...axis('message size'),
          size: fontPx * 2 + 12,
          splits: (u, _i, min, max) =>
            sizeTicks(min, max, u.bbox.width / uPlot.pxRatio, fontPx * 5),
          // sizeTicks spaces the ticks already; uPlot's own filter for log-2 axes would blank
          // some of them (null, drawn '0 B') over a wide range such as 8 B to 256 MiB.
          filter: (_u, splits) => splits,
          values: (_u, splits) => splits.map((v) => (v == null ? '' : formatSize(v))),
        },
        {
          ...axis(yLabel),
          size: (_u, values) =>
            Math.ceil(Math.max(3, ...(values ?? []).map((v) => String(v).length)) * fontPx * 0.62) +
            20,
          splits: (_u, _i, min, max) => decadeTicks(min, max),
          // uPlot's log-10 filter leaves null where a tick is too close to draw a label.
          values: (_u, splits) => splits.map((v) => (v == null ? '' : formatTick(v))),
        },
      ],
      hooks: { draw: [drawMarkers] },
    };
    plot = new uPlot(opts, aligned(), host);
  };

  const publish = () => {
    container.dataset.series = built.measuredLabels.join(',');
    container.dataset.models = built.series
      .filter((s) => s.kind === 'priced' || s.kind === 'closed-form')
      .map((s) => s.label)
      .join(',');
    container.dataset.points = String(built.points);
    container.dataset.loaded = String(data.loaded?.length ?? 0);
    container.dataset.loadedPoints = String(built.loadedPoints);
    container.dataset.crossover = built.markers.map((m) => Math.round(m.bytes)).join(',');
  };

  const render = () => {
    // The text colour too: a page switching theme redraws with the new one.
    const next = signature(data, built, getComputedStyle(host).color);
    if (!plot || next !== shape) {
      shape = next;
      create();
    } else {
      plot.setData(aligned(), true);
    }
    publish();
  };

  render();

  let frame = 0;
  const observer = new ResizeObserver(() => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => {
      const size = sizeNow();
      if (plot && Math.abs(size.width - width) >= 2) {
        width = size.width;
        plot.setSize(size);
      }
    });
  });
  observer.observe(host);

  return {
    update(next) {
      data = next;
      built = build(data);
      render();
    },
    destroy() {
      observer.disconnect();
      cancelAnimationFrame(frame);
      plot?.destroy();
      plot = undefined;
      host.remove();
      for (const key of ['series', 'models', 'points', 'crossover', 'loaded', 'loadedPoints']) {
        delete container.dataset[key];
      }
    },
  };
}
