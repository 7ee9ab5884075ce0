// The KV block pool drawn on a 2-D canvas: one cell a block, coloured by the request that owns
// it (the same colour for a request throughout the run), free blocks dark; this frame's
// admissions outlined white and its preemptions crossed out where their blocks were. Under the
// grid, a strip of every request of the run: waiting (hollow), running (filled), preempted this
// iteration (hollow, crossed), finished (faded, ticked); requests yet to arrive are left out.
import { chunkCss } from '../common/colours.ts';
import { fitText, typeScale } from '../common/type-scale.ts';
import type { KvFrame } from './frames.ts';
import { phaseCounts, type RequestView } from './requests.ts';

/** Columns x rows of a grid for `blocks` cells in a box of aspect width / height. */
export function gridShape(blocks: number, aspect: number): { cols: number; rows: number } {
  const cols = Math.max(1, Math.ceil(Math.sqrt(blocks * Math.max(0.2, aspect))));
  return { cols, rows: Math.ceil(blocks / cols) };
}

/**
 * A request's colour, stable for the whole run: the chunk palette without its white (index
 * 7), which the outline of a newly admitted request uses.
 */
export const requestCss = (id: number) => {
  const k = Math.max(0, Math.floor(id)) % 63;
  return chunkCss(k >= 7 ? k + 1 : k);
};

const BG = '#0d1117';
const FREE = '#21262d';
const INK = '#f0f3f6';

/** The strip's height for a canvas of height h: room for the chips and the legend line
 * (`scale`: the page's type scale, larger in presenter mode). */
export function stripHeight(h: number, scale = 1): number {
  return Math.round(Math.max(44 * scale, Math.min(96 * scale, h * 0.2 * scale)));
}

/** Where the strip's legend line was drawn (CSS px), for tests: it must lie inside the canvas. */
export interface PoolDrawing {
  readonly legend?: {
    readonly text: string;
    readonly x: number;
    readonly width: number;
    readonly px: number;
    readonly canvasWidth: number;
  };
}

export function drawPool(
  canvas: HTMLCanvasElement,
  frame: KvFrame | undefined,
  previous: KvFrame | undefined,
  blocks: number,
  requests?: readonly RequestView[],
): PoolDrawing {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 640;
  const h = canvas.clientHeight || 360;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const g = canvas.getContext('2d');
  if (!g) throw new Error('this browser gives no 2-D canvas to draw the KV pool on');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.fillStyle = BG;
  g.fillRect(0, 0, w, h);
  const scale = typeScale();
  const band = requests && requests.length > 0 ? stripHeight(h, scale) : 0;
  const gh = h - band;
  const { cols, rows } = gridShape(blocks, w / gh);
  const cell = Math.min(w / cols, gh / rows);
  const pad = Math.max(1, cell * 0.08);
  const x0 = (w - cols * cell) / 2;
  const y0 = (gh - rows * cell) / 2;
  const admitted = new Set(frame?.admitted ?? []);
  const freedBy = new Map<number, number>();
  if (previous && frame) {
    for (const id of frame.preempted) {
      previous.owners.forEach((o, b) => {
        if (o === id) freedBy.set(b, id);
      });
    }
  }
  g.font = `600 ${Math.max(9, Math.floor(cell * 0.32))}px system-ui, sans-serif`;
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  for (let b = 0; b < blocks; b++) {
    const x = x0 + (b % cols) * cell + pad;
    const y = y0 + Math.floor(b / cols) * cell + pad;
    const size = cell - 2 * pad;
    const owner = frame?.owners[b] ?? -1;
    g.fillStyle = owner >= 0 ? requestCss(owner) : FREE;
    g.fillRect(x, y, size, size);
    if (owner >= 0 && size >= 18) {
      g.fillStyle = BG;
      g.fillText(String(owner), x + size / 2, y + size / 2);
    }
    if (owner >= 0 && admitted.has(owner)) {
      g.strokeStyle = INK;
      g.lineWidth = Math.max(1.5, pad);
      g.strokeRect(x, y, size, size);
    }
    const freed = freedBy.get(b);
    if (freed !== undefined) {
      g.strokeStyle = requestCss(freed);
      g.lineWidth = Math.max(2, pad * 1.5);
      cross(g, x, y, size);
    }
  }
  if (band > 0 && requests) return { legend: drawStrip(g, requests, 0, gh, w, band, scale) };
  return {};
}

function cross(g: CanvasRenderingContext2D, x: number, y: number, size: number): void {
  g.beginPath();
  g.moveTo(x, y);
  g.lineTo(x + size, y + size);
  g.moveTo(x + size, y);
  g.lineTo(x, y + size);
  g.stroke();
}

/** Every request of the run as a chip in a row, in id order, with a legend line above. */
function drawStrip(
  g: CanvasRenderingContext2D,
  requests: readonly RequestView[],
  x0: number,
  y0: number,
  w: number,
  h: number,
  scale: number,
): NonNullable<PoolDrawing['legend']> {
  const legendPx = Math.floor(Math.max(14 * scale, Math.min(20 * scale, h * 0.26)));
  const c = phaseCounts(requests);
  g.font = `${legendPx}px system-ui, sans-serif`;
  g.textAlign = 'left';
  g.textBaseline = 'top';
  g.fillStyle = INK;
  // The long form where it fits, a shorter one on a narrow (projector) canvas: never cut.
  const waiting = c.waiting + c.preempted;
  const legend = fitText(
    g,
    [
      `requests: ${waiting} waiting (hollow), ${c.running} running (filled), ` +
        `${c.finished} finished (faded), ${c.future} yet to arrive`,
      `requests: ${waiting} waiting, ${c.running} running, ${c.finished} done, ${c.future} to come`,
      `${waiting} wait · ${c.running} run · ${c.finished} done · ${c.future} to come`,
    ],
    w - 12,
  );
  g.fillText(legend.text, x0 + 6, y0 + 4, w - 12);
  const top = y0 + legendPx + 10;
  const n = requests.length;
  const slot = Math.min((w - 12) / n, h - (top - y0) - 4);
  const size = Math.max(3, slot * 0.82);
  g.font = `600 ${Math.max(8, Math.floor(size * 0.45))}px system-ui, sans-serif`;
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  requests.forEach((r, i) => {
    if (r.phase === 'future') return;
    const x = x0 + 6 + i * slot + (slot - size) / 2;
    const y = top;
    const colour = requestCss(r.id);
    g.lineWidth = Math.max(1.5, size * 0.1);
    if (r.phase === 'running') {
      g.fillStyle = colour;
      g.fillRect(x, y, size, size);
    } else if (r.phase === 'finished') {
      g.globalAlpha = 0.35;
      g.fillStyle = colour;
      g.fillRect(x, y, size, size);
      g.globalAlpha = 1;
    } else {
      g.strokeStyle = colour;
      const inset = g.lineWidth / 2;
      g.strokeRect(x + inset, y + inset, size - 2 * inset, size - 2 * inset);
      if (r.phase === 'preempted') cross(g, x, y, size);
    }
    if (size >= 14) {
      g.fillStyle = r.phase === 'running' ? BG : INK;
      g.fillText(r.phase === 'finished' ? '✓' : String(r.id), x + size / 2, y + size / 2);
    }
  });
  return { text: legend.text, x: x0 + 6, width: legend.width, px: legendPx, canvasWidth: w };
}
