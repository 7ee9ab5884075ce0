// The KV block pool drawn on a 2-D canvas: one cell a block, coloured by the request that owns
// it (the same colour for a request throughout the run), free blocks dark; this frame's
// admissions outlined white and its preemptions crossed out where their blocks were.
import { chunkCss } from './colours.ts';
import type { KvFrame } from './kv-frames.ts';

/** Columns x rows of a grid for `blocks` cells in a box of aspect width / height. */
export function gridShape(blocks: number, aspect: number): { cols: number; rows: number } {
  const cols = Math.max(1, Math.ceil(Math.sqrt(blocks * Math.max(0.2, aspect))));
  return { cols, rows: Math.ceil(blocks / cols) };
}

/**
 * A request's colour, stable for the whole run: the chunk palette without its white (index
 * 7), which the outline of a newly admitted request uses.
 */
export const requestCss = (id: number) => chunkCss(id >= 7 ? id + 1 : id);

export function drawPool(
  canvas: HTMLCanvasElement,
  frame: KvFrame | undefined,
  previous: KvFrame | undefined,
  blocks: number,
): void {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 640;
  const h = canvas.clientHeight || 360;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const g = canvas.getContext('2d');
  if (!g) throw new Error('this browser gives no 2-D canvas to draw the KV pool on');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.fillStyle = '#0d1117';
  g.fillRect(0, 0, w, h);
  const { cols, rows } = gridShape(blocks, w / h);
  const cell = Math.min(w / cols, h / rows);
  const pad = Math.max(1, cell * 0.08);
  const x0 = (w - cols * cell) / 2;
  const y0 = (h - rows * cell) / 2;
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
    g.fillStyle = owner >= 0 ? requestCss(owner) : '#21262d';
    g.fillRect(x, y, size, size);
    if (owner >= 0 && size >= 18) {
      g.fillStyle = '#0d1117';
      g.fillText(String(owner), x + size / 2, y + size / 2);
    }
    if (owner >= 0 && admitted.has(owner)) {
      g.strokeStyle = '#f0f3f6';
      g.lineWidth = Math.max(1.5, pad);
      g.strokeRect(x, y, size, size);
    }
    const freed = freedBy.get(b);
    if (freed !== undefined) {
      g.strokeStyle = requestCss(freed);
      g.lineWidth = Math.max(2, pad * 1.5);
      g.beginPath();
      g.moveTo(x, y);
      g.lineTo(x + size, y + size);
      g.moveTo(x + size, y);
      g.lineTo(x, y + size);
      g.stroke();
    }
  }
}
