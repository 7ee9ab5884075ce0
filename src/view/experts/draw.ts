// The MoE layer on a 2D canvas: the ranks in a row, each with its experts; every kept copy of a
// token a dot coloured by its expert, travelling from its token's rank to its expert's rank
// (dispatch) and back (combine) as the steps go; dropped copies a red cross where they stayed.
// Below, the load of each expert as a bar (kept), the copies it was asked for beyond its
// capacity in red on top, and the capacity as a dashed line.
import type { MoeLayout, MoeSpec } from '../../plans/experts/moe-layer.ts';
import type { Routing } from '../../plans/experts/routing.ts';

/** The steps of the animation and what each shows. */
export const TICKS = 24;
const DISPATCH = [1, 10] as const;
const COMBINE = [14, 23] as const;

export type Phase = 'routed' | 'dispatch' | 'experts' | 'combine' | 'done';

export function phaseOf(step: number): Phase {
  if (step <= 0) return 'routed';
  if (step <= DISPATCH[1]) return 'dispatch';
  if (step < COMBINE[0]) return 'experts';
  if (step <= COMBINE[1]) return 'combine';
  return 'done';
}

/** 0 at the tokens' ranks, 1 at the experts': where the copies are at `step`. */
export function travelled(step: number): number {
  const [d0, d1] = DISPATCH;
  const [c0, c1] = COMBINE;
  if (step <= 0) return 0;
  if (step <= d1) return (step - d0 + 1) / (d1 - d0 + 1);
  if (step < c0) return 1;
  if (step <= c1) return 1 - (step - c0 + 1) / (c1 - c0 + 1);
  return 0;
}

/** Expert e's colour: hues from orange round to violet, never the red of a dropped copy. */
export function expertColour(e: number, experts: number): string {
  return `hsl(${Math.round(35 + (290 * e) / Math.max(1, experts))} 75% 60%)`;
}

const DROPPED = '#f85149';

/** A place in a grid of `n` cells inside the box (x, y, w, h): cell i's centre. */
function cell(i: number, n: number, x: number, y: number, w: number, h: number): [number, number] {
  const cols = Math.max(1, Math.ceil(Math.sqrt((n * w) / Math.max(1, h))));
  const rows = Math.max(1, Math.ceil(n / cols));
  const cw = w / cols;
  const ch = h / rows;
  return [x + ((i % cols) + 0.5) * cw, y + (Math.floor(i / cols) + 0.5) * ch];
}

export function drawExperts(
  canvas: HTMLCanvasElement,
  spec: MoeSpec,
  routing: Routing,
  layout: MoeLayout,
  step: number,
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
  const { ranks: N, experts: E, topK: k, tokens: T } = spec;
  const Er = E / N;
  const Tr = T / N;
  const font = Math.max(13, Math.min(22, h / 34));
  g.font = `${font}px system-ui, sans-serif`;
  g.textBaseline = 'middle';
  const top = 6;
  const sceneH = h * 0.58;
  const gap = 10;
  const boxW = (w - gap * (N + 1)) / N;
  const labelH = font * 1.5;
  const tokenH = (sceneH - labelH) * 0.45;
  const expertY = top + labelH + tokenH + 8;
  const expertH = sceneH - (expertY - top) - 4;
  const boxX = (r: number) => gap + r * (boxW + gap);
  const expertBox = (e: number): [number, number, number, number] => {
    const r = Math.floor(e / Er);
    const ew = (boxW - 6 * (Er + 1)) / Er;
    return [boxX(r) + 6 + (e % Er) * (ew + 6), expertY, ew, expertH];
  };
  for (let r = 0; r < N; r++) {
    g.fillStyle = '#161b22';
    g.fillRect(boxX(r), top, boxW, sceneH - 2);
    g.fillStyle = '#e6edf3';
    g.fillText(`rank ${r}`, boxX(r) + 6, top + labelH / 2);
  }
  for (let e = 0; e < E; e++) {
    const [x, y, ew, eh] = expertBox(e);
    g.strokeStyle = expertColour(e, E);
    g.lineWidth = 2;
    g.strokeRect(x, y, ew, eh);
    g.fillStyle = expertColour(e, E);
    g.font = `${font * 0.8}px system-ui, sans-serif`;
    g.fillText(`e${e}`, x + 4, y + font * 0.6);
    g.font = `${font}px system-ui, sans-serif`;
  }
  // Token copies: at the source, a slot per (token, choice); at the expert, its row in xin.
  const at = travelled(step);
  const dot = Math.max(2, Math.min(7, boxW / Math.sqrt(Tr * k) / 3));
  const sourceSlot = (token: number, choice: number) => {
    const r = Math.floor(token / Tr);
    return cell((token - r * Tr) * k + choice, Tr * k, boxX(r) + 4, top + labelH, boxW - 8, tokenH);
  };
  layout.copies.forEach((c, i) => {
    const [sx, sy] = sourceSlot(c.token, c.choice);
    const [x, y, ew, eh] = expertBox(c.expert);
    const row = (layout.xinRow[i] as number) - (layout.expertStart[c.expert] as number);
    const [ex, ey] = cell(
      row,
      Math.max(1, layout.expertRows[c.expert] as number),
      x + 2,
      y + font,
      ew - 4,
      eh - font - 2,
    );
    g.fillStyle = expertColour(c.expert, E);
    g.beginPath();
    g.arc(sx + (ex - sx) * at, sy + (ey - sy) * at, dot, 0, 2 * Math.PI);
    g.fill();
  });
  g.strokeStyle = DROPPED;
  g.lineWidth = 2;
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < k; c++) {
      if ((routing.choice[t * k + c] as number) >= 0) continue;
      const [x, y] = sourceSlot(t, c);
      g.beginPath();
      g.moveTo(x - dot, y - dot);
      g.lineTo(x + dot, y + dot);
      g.moveTo(x + dot, y - dot);
      g.lineTo(x - dot, y + dot);
      g.stroke();
    }
  }
  // The load histogram with the capacity line.
  const histY = sceneH + font * 2.2;
  const histH = h - histY - font * 1.6;
  const most = Math.max(routing.capacity, ...routing.wanted_per_expert, 1);
  const y = (n: number) => histY + histH - (histH * n) / most;
  const barW = (w - 2 * gap) / E;
  g.fillStyle = '#e6edf3';
  g.fillText(
    'copies per expert (kept; red: asked beyond the capacity, dropped)',
    gap,
    sceneH + font,
  );
  for (let e = 0; e < E; e++) {
    const kept = routing.tokens_per_expert[e] as number;
    const asked = routing.wanted_per_expert[e] as number;
    const x = gap + e * barW + barW * 0.1;
    g.fillStyle = expertColour(e, E);
    g.fillRect(x, y(kept), barW * 0.8, y(0) - y(kept));
    if (asked > kept) {
      g.fillStyle = DROPPED;
      g.fillRect(x, y(asked), barW * 0.8, y(kept) - y(asked));
    }
    g.fillStyle = '#8b949e';
    g.font = `${font * 0.8}px system-ui, sans-serif`;
    g.fillText(
      asked > kept ? `${kept} of ${asked}` : String(kept),
      x,
      y(Math.max(kept, asked)) - font * 0.5,
    );
    g.fillText(`e${e}`, x, histY + histH + font * 0.7);
    g.font = `${font}px system-ui, sans-serif`;
  }
  g.strokeStyle = '#e6edf3';
  g.setLineDash([8, 6]);
  g.beginPath();
  g.moveTo(gap, y(routing.capacity));
  g.lineTo(w - gap, y(routing.capacity));
  g.stroke();
  g.setLineDash([]);
  g.fillStyle = '#e6edf3';
  g.fillText(`capacity ${routing.capacity}`, w - gap - font * 7, y(routing.capacity) - font * 0.6);
}
