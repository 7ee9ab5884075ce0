// The step as a per-rank timeline on a 2D canvas: two lanes a rank (compute above, comm below),
// time across, each task a box coloured by its kind. The compute lanes' background is the idle
// colour, so whatever grey shows between boxes is idle time: at a pipeline's start and end, the
// bubble. Tasks after the cursor (time t) are drawn faint, so the whole schedule is in view while
// the cursor fills it in.
import type { GraphPrice } from '../../model/event-pricer.ts';
import { formatSeconds } from '../../model/units.ts';
import type { Graph } from '../../plans/graph.ts';
import { kindOf, type TaskKind } from './lanes.ts';

export const KIND_COLOURS: Readonly<Record<TaskKind, string>> = {
  forward: '#4e9af1',
  backward: '#f0883e',
  update: '#3fb950',
  collective: '#bc8cff',
  send: '#e3b341',
  accumulate: '#56d4dd',
};
export const IDLE_COLOUR = '#3b424c';

/** Draws the timeline of `graph` as priced, the cursor at `t` seconds. */
export function drawTimeline(
  canvas: HTMLCanvasElement,
  graph: Graph,
  price: GraphPrice,
  t: number,
  rankName: (rank: number) => string,
): void {
  const dpr = window.devicePixelRatio || 1;
  const { clientWidth: w, clientHeight: h } = canvas;
  canvas.width = Math.max(1, Math.round(w * dpr));
  canvas.height = Math.max(1, Math.round(h * dpr));
  const g = canvas.getContext('2d');
  if (!g) return;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.fillStyle = '#0d1117';
  g.fillRect(0, 0, w, h);
  const ranks = graph.ranks;
  // Type for a projector: about 1/40 of the canvas height, never under 13 px.
  const font = Math.max(13, Math.min(22, h / 40));
  const left = font * 6;
  const axis = font * 2;
  const right = 12;
  const rowH = (h - axis - 8) / ranks;
  const computeH = rowH * 0.55;
  const commH = rowH * 0.3;
  const total = price.total_s > 0 ? price.total_s : 1;
  const x = (s: number) => left + ((w - left - right) * s) / total;
  g.font = `${font}px system-ui, sans-serif`;
  g.textBaseline = 'middle';
  for (let r = 0; r < ranks; r++) {
    const y = 4 + r * rowH;
    g.fillStyle = IDLE_COLOUR;
    g.fillRect(x(0), y, x(total) - x(0), computeH);
    g.fillStyle = '#161b22';
    g.fillRect(x(0), y + computeH + 2, x(total) - x(0), commH);
    g.fillStyle = '#e6edf3';
    g.fillText(rankName(r), 6, y + computeH / 2);
    g.fillStyle = '#8b949e';
    g.font = `${font * 0.75}px system-ui, sans-serif`;
    g.fillText('comm', 6, y + computeH + 2 + commH / 2);
    g.font = `${font}px system-ui, sans-serif`;
  }
  for (const task of graph.tasks) {
    const s = price.start_s[task.id] as number;
    const e = price.end_s[task.id] as number;
    if (!(e > s)) continue;
    const y = 4 + task.rank * rowH + (task.stream === 'compute' ? 0 : computeH + 2);
    const bh = task.stream === 'compute' ? computeH : commH;
    const colour = KIND_COLOURS[kindOf(task)];
    const x0 = x(s);
    const x1 = Math.max(x(e), x0 + 1);
    g.globalAlpha = 0.22;
    g.fillStyle = colour;
    g.fillRect(x0, y, x1 - x0, bh);
    if (s < t) {
      g.globalAlpha = 1;
      g.fillRect(x0, y, Math.min(x1, Math.max(x(t), x0 + 1)) - x0, bh);
    }
  }
  g.globalAlpha = 1;
  // The time axis: 0, the cursor, the end.
  g.fillStyle = '#8b949e';
  g.font = `${font * 0.8}px system-ui, sans-serif`;
  g.textAlign = 'left';
  g.fillText('0', x(0), h - axis / 2);
  g.textAlign = 'right';
  g.fillText(formatSeconds(price.total_s), x(total), h - axis / 2);
  g.textAlign = 'left';
  if (t > 0) {
    g.strokeStyle = '#ffffff';
    g.lineWidth = 2;
    g.beginPath();
    g.moveTo(x(t), 0);
    g.lineTo(x(t), h - axis);
    g.stroke();
  }
}
