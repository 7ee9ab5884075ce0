// The Fleet Law chart (uPlot): over N = 1, 2, 4, 8 ranks, the emulated compute falling as 1/N,
// the communication flat or rising, the step time emulated and by the Fleet Law (ms, log scale,
// left), and the scaling efficiency eta both ways (0..1, right). Emulated lines are solid with
// points, the Fleet Law's dashed. For tests: the container's data-series names the series that
// have values.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import '../common/charts.css';
import type { ScalingData } from './scaling.ts';

const COLOURS: Readonly<Record<string, string>> = {
  compute: '#56B4E9',
  communication: '#E69F00',
  step: '#F0F3F6',
  eta: '#009E73',
};

const colourOf = (label: string) => COLOURS[label.split(' ')[0] as string] ?? '#CC79A7';

export interface ScalingPlot {
  update(data: ScalingData): void;
  destroy(): void;
}

export function mountScalingPlot(container: HTMLElement, first: ScalingData): ScalingPlot {
  const host = document.createElement('div');
  host.className = 'fleetlab-sweep';
  container.replaceChildren(host);
  let plot: uPlot | undefined;
  const fontPx = 18;

  const draw = (data: ScalingData) => {
    plot?.destroy();
    const fg = getComputedStyle(host).color || '#ddd';
    const font = `${fontPx}px system-ui, sans-serif`;
    const labelFont = `600 ${fontPx + 2}px system-ui, sans-serif`;
    const width = Math.max(320, host.clientWidth || container.clientWidth || 800);
    const axis = (label: string, scale?: string, side?: 1 | 3): uPlot.Axis => ({
      label,
      font,
      labelFont,
      stroke: fg,
      labelSize: fontPx + 14,
      grid: { stroke: 'rgba(240,243,246,0.15)', width: 1, show: side !== 1 },
      ticks: { stroke: 'rgba(240,243,246,0.15)', width: 1, size: 8 },
      ...(scale ? { scale } : {}),
      ...(side ? { side } : {}),
    });
    // A log scale has no place for 0 (no communication at N = 1): those points are left out.
    const values = data.series.map((s) =>
      s.values.map((v) => (v === null || (s.scale === 'ms' && !(v > 0)) ? null : v)),
    );
    plot = new uPlot(
      {
        width,
        height: Math.round(Math.min(460, Math.max(260, width * 0.42))),
        title: 'The Fleet Law on this GPU: T(N) = T_compute / N + T_comm(N), eta = T_1 / (N T_N)',
        legend: { live: false },
        cursor: { drag: { x: false, y: false }, points: { show: false } },
        scales: {
          x: { time: false, distr: 3, log: 2, range: (_u, min, max) => [min / 1.3, max * 1.3] },
          ms: { distr: 3, log: 10 },
          eta: { range: [0, 1.05] },
        },
        series: [
          { label: 'ranks' },
          ...data.series.map(
            (s): uPlot.Series => ({
              label: s.label,
              scale: s.scale,
              stroke: colourOf(s.label),
              width: s.label.startsWith('compute') ? 7 : 3,
              spanGaps: true,
              ...(s.kind === 'analytic'
                ? { dash: [10, 6], points: { show: false } }
                : { points: { show: true, size: 10, fill: colourOf(s.label) } }),
            }),
          ),
        ],
        axes: [
          {
            ...axis('ranks N'),
            splits: () => [...data.ranks],
            values: (_u, splits) => splits.map(String),
          },
          { ...axis('time (ms)', 'ms'), size: 80 },
          { ...axis('eta', 'eta', 1), size: 70 },
        ],
      },
      [[...data.ranks], ...values],
      host,
    );
    container.dataset.series = data.series
      .filter((_, i) => values[i]?.some((v) => v !== null))
      .map((s) => s.label)
      .join(',');
  };

  draw(first);
  return {
    update: draw,
    destroy() {
      plot?.destroy();
      host.remove();
      delete container.dataset.series;
    },
  };
}
