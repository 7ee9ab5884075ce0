// The KV-cache page's live charts (uPlot), over virtual time: output tokens/s (over the last
// iterations), the KV blocks in use against the pool, paged and contiguous utilization, and
// each request's TTFT at the time of its first token; a dashed line marks the iteration shown
// above them. For tests: the container's data-series names the series that have values, and
// data-mark the virtual time marked.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import '../common/charts.css';
import type { RequestRecord } from '../../serving/records.ts';
import type { KvFrame } from './frames.ts';

export interface KvSeries {
  readonly t: number[];
  readonly tokensPerS: (number | null)[];
  readonly blocksUsed: number[];
  readonly paged: number[];
  readonly contiguous: number[];
}

/** Per frame: tokens/s over a window of `window` iterations, blocks used, utilizations. */
export function kvSeries(frames: readonly KvFrame[], window = 8): KvSeries {
  const t = frames.map((f) => f.t);
  const produced = frames.map((f) => f.decoded + f.admitted.length);
  const tokensPerS = frames.map((f, i) => {
    const from = Math.max(0, i - window + 1);
    const span = f.t - (frames[from]?.start_s ?? 0);
    let sum = 0;
    for (let j = from; j <= i; j++) sum += produced[j] as number;
    return span > 0 ? sum / span : null;
  });
  return {
    t,
    tokensPerS,
    blocksUsed: frames.map((f) => f.blocks_used),
    paged: frames.map((f) => 100 * f.utilization),
    contiguous: frames.map((f) => 100 * f.contiguous_utilization),
  };
}

/** A uPlot draw hook: a dashed vertical line at the time `at()` returns (none: undefined). */
function markerHook(at: () => number | undefined) {
  return (u: uPlot) => {
    const t = at();
    if (t === undefined || !Number.isFinite(t)) return;
    const x = u.valToPos(t, 'x', true);
    const { left, top, width, height } = u.bbox;
    if (x < left || x > left + width) return;
    const g = u.ctx;
    g.save();
    g.strokeStyle = '#f0f3f6';
    g.lineWidth = 1.5 * devicePixelRatio;
    g.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
    g.beginPath();
    g.moveTo(x, top);
    g.lineTo(x, top + height);
    g.stroke();
    g.restore();
  };
}

function plotOf(
  host: HTMLElement,
  title: string,
  data: uPlot.AlignedData,
  series: { label: string; stroke: string; scale?: string; points?: boolean }[],
  axes: { label: string; scale?: string; side?: 1 | 3 }[],
  mark: () => number | undefined,
  xMax: number,
): uPlot {
  const fg = getComputedStyle(host).color || '#ddd';
  const font = '16px system-ui, sans-serif';
  const width = Math.max(300, host.clientWidth || 600);
  return new uPlot(
    {
      title,
      width,
      height: 260,
      legend: { live: false },
      hooks: { draw: [markerHook(mark)] },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      // One time axis for all three charts, from 0 to the end of the run.
      scales: { x: { time: false, range: [0, xMax > 0 ? xMax : 1] } },
      axes: [
        {
          label: 'time (s, virtual: the GPU time of the passes)',
          stroke: fg,
          font,
          labelFont: font,
        },
        ...axes.map((a) => ({
          label: a.label,
          stroke: fg,
          font,
          labelFont: font,
          ...(a.scale ? { scale: a.scale } : {}),
          ...(a.side ? { side: a.side } : {}),
          grid: { stroke: 'rgba(240,243,246,0.15)', show: a.side !== 1 },
        })),
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.stroke,
          width: 2,
          ...(s.scale ? { scale: s.scale } : {}),
          ...(s.points
            ? { paths: () => null, points: { show: true, size: 8, fill: s.stroke } }
            : {}),
        })),
      ],
    },
    data,
    host,
  );
}

export interface KvCharts {
  update(frames: readonly KvFrame[], requests: readonly RequestRecord[], blocks: number): void;
  /** Marks virtual time `t` on every chart (undefined: no mark, before the first iteration). */
  mark(t: number | undefined): void;
}

export function mountKvCharts(container: HTMLElement): KvCharts {
  const plots: uPlot[] = [];
  let marked: number | undefined;
  const at = () => marked;
  return {
    mark(t) {
      if (t === marked) return;
      marked = t;
      container.dataset.mark = t === undefined ? '' : String(t);
      for (const p of plots) p.redraw(false, false);
    },
    update(frames, requests, blocks) {
      for (const p of plots.splice(0)) p.destroy();
      container.replaceChildren();
      const s = kvSeries(frames);
      const end = frames[frames.length - 1]?.t ?? 0;
      const box = () => {
        const d = document.createElement('div');
        d.className = 'fleetlab-sweep';
        container.append(d);
        return d;
      };
      plots.push(
        plotOf(
          box(),
          'Output tokens/s (over the last 8 iterations)',
          [s.t, s.tokensPerS],
          [{ label: 'tokens/s', stroke: '#56B4E9' }],
          [{ label: 'tokens/s' }],
          at,
          end,
        ),
      );
      plots.push(
        plotOf(
          box(),
          `KV memory: blocks in use (of ${blocks}) and utilization`,
          [s.t, s.blocksUsed, s.paged, s.contiguous],
          [
            { label: 'blocks used', stroke: '#E69F00' },
            { label: 'paged utilization %', stroke: '#009E73', scale: '%' },
            { label: 'contiguous reservation %', stroke: '#CC79A7', scale: '%' },
          ],
          [{ label: 'blocks' }, { label: 'utilization (%)', scale: '%', side: 1 }],
          at,
          end,
        ),
      );
      const firsts = [...requests].sort((a, b) => a.first_token_s - b.first_token_s);
      plots.push(
        plotOf(
          box(),
          'TTFT of each request, at its first token',
          [firsts.map((r) => r.first_token_s), firsts.map((r) => r.first_token_s - r.arrival_s)],
          [{ label: 'TTFT (s)', stroke: '#F0E442', points: true }],
          [{ label: 'TTFT (s)' }],
          at,
          end,
        ),
      );
      container.dataset.series =
        'tokens/s,blocks used,paged utilization,contiguous reservation,TTFT';
    },
  };
}
