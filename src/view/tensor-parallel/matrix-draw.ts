// The layer's matrices on a 2D canvas: every block filled with the colour of the rank that
// holds it (stripes of each holder's colour where several ranks hold a copy), the matrices the
// current step reads outlined in white and the one it writes in the accent colour, a result
// not computed yet left hollow and partial sums hatched. Positions come from matrix.ts.
import type { LayerInfo, Plan } from '../../plans/plan.ts';
import { chunkCss } from '../common/colours.ts';
import { typeScale } from '../common/type-scale.ts';
import { matrixLayout, type StepFocus, tensorBlocks } from './matrix.ts';

/** A rank's colour, the same in the matrices, the fabric's packets and the legend. */
export const rankCss = (rank: number) => chunkCss(rank);

const BG = '#0d1117';
const FG = '#f0f3f6';
const MUTED = '#9ea7b3';
const ACCENT = '#f0a030';

function stripes(
  ctx: CanvasRenderingContext2D,
  x: number,
  y: number,
  w: number,
  h: number,
  colours: readonly string[],
  band: number,
): void {
  ctx.save();
  ctx.beginPath();
  ctx.rect(x, y, w, h);
  ctx.clip();
  const n = Math.ceil((w + h) / band) + 1;
  for (let i = 0; i < n; i++) {
    ctx.fillStyle = colours[i % colours.length] as string;
    const x0 = x - h + i * band;
    ctx.beginPath();
    ctx.moveTo(x0, y + h);
    ctx.lineTo(x0 + band, y + h);
    ctx.lineTo(x0 + band + h, y);
    ctx.lineTo(x0 + h, y);
    ctx.closePath();
    ctx.fill();
  }
  ctx.restore();
}

/** A label as drawn: its box in CSS px of the canvas, and its type size. */
export interface DrawnLabel {
  readonly text: string;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly px: number;
}

/**
 * Draws `plan`'s matrices after `taken` steps on `canvas` (sized to its CSS box); returns the
 * matrix labels' boxes (tests check that none meets another and that they stay readable).
 */
export function drawMatrices(
  canvas: HTMLCanvasElement,
  plan: Plan,
  focus: StepFocus,
): readonly DrawnLabel[] {
  const layer = plan.layer as LayerInfo;
  const dpr = Math.min(globalThis.devicePixelRatio ?? 1, 2);
  const cssW = canvas.clientWidth || 960;
  const cssH = canvas.clientHeight || 540;
  canvas.width = Math.round(cssW * dpr);
  canvas.height = Math.round(cssH * dpr);
  const ctx = canvas.getContext('2d');
  if (!ctx) return [];
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = BG;
  ctx.fillRect(0, 0, cssW, cssH);

  // 19 px at the least (24.7 px in presenter mode, whose type is 1.3 times larger): the 13 px
  // of old were unreadable on a projector.
  const font = Math.max(19, Math.min(26, cssW / 40)) * typeScale();
  const labels: DrawnLabel[] = [];
  const layout = matrixLayout(layer);
  const pad = { x: font * 1.2, top: font * 2.4, bottom: font * 1.4 };
  const scale = Math.min(
    (cssW - 2 * pad.x) / layout.width,
    (cssH - pad.top - pad.bottom) / layout.height,
  );
  const ox = (cssW - layout.width * scale) / 2;
  const oy = pad.top + (cssH - pad.top - pad.bottom - layout.height * scale) / 2;
  const all = Array.from({ length: plan.ranks }, (_, r) => rankCss(r));
  const stepShown = focus.reads.length + focus.writes.length > 0;

  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (const s of layout.symbols) {
    ctx.font = `600 ${font * 1.6}px system-ui, sans-serif`;
    ctx.fillStyle = MUTED;
    ctx.fillText(s.text, ox + s.x * scale, oy + s.y * scale);
  }

  for (const p of layout.matrices) {
    const [rows, cols] = layer.tensors[p.tensor] as readonly [number, number];
    const [x, y, w, h] = [ox + p.x * scale, oy + p.y * scale, p.w * scale, p.h * scale];
    const status = focus.status[p.tensor] ?? 'input';
    const active = focus.reads.includes(p.tensor) || focus.writes.includes(p.tensor);
    ctx.globalAlpha = stepShown && !active ? 0.45 : 1;
    const blocks = tensorBlocks(layer, p.tensor);
    const sx = w / cols;
    const sy = h / rows;
    blocks.forEach((b, i) => {
      const [bx, by, bw, bh] = [x + b.col0 * sx, y + b.row0 * sy, b.cols * sx, b.rows * sy];
      if (status === 'pending') {
        ctx.fillStyle = '#161b22';
        ctx.fillRect(bx, by, bw, bh);
      } else if (status === 'partial') {
        // Column blocks gathering: each still only on the rank that computed it. Otherwise
        // every rank holds partial sums of the whole result.
        const own = layer.layout === 'column' ? [rankCss(i % plan.ranks)] : all;
        ctx.globalAlpha *= 0.7;
        stripes(ctx, bx, by, bw, bh, own, Math.max(4, font * 0.5));
        ctx.globalAlpha = stepShown && !active ? 0.45 : 1;
      } else if (b.ranks.length === 1) {
        ctx.fillStyle = rankCss(b.ranks[0] as number);
        ctx.fillRect(bx, by, bw, bh);
      } else {
        stripes(
          ctx,
          bx,
          by,
          bw,
          bh,
          b.ranks.length > 0 ? b.ranks.map(rankCss) : ['#30363d'],
          Math.max(4, font * 0.5),
        );
      }
      ctx.strokeStyle = BG;
      ctx.lineWidth = 1.5;
      ctx.strokeRect(bx, by, bw, bh);
    });
    ctx.globalAlpha = 1;
    if (status === 'pending') ctx.setLineDash([6, 5]);
    const writes = focus.writes.includes(p.tensor);
    ctx.strokeStyle = writes ? ACCENT : active ? FG : MUTED;
    ctx.lineWidth = active ? 4 : 1.5;
    ctx.strokeRect(x - 2, y - 2, w + 4, h + 4);
    ctx.setLineDash([]);
    ctx.font = `${active ? 700 : 500} ${font}px system-ui, sans-serif`;
    ctx.fillStyle = writes ? ACCENT : FG;
    // The name alone where name and shape are wider than the block (attention draws ten
    // matrices in a row); the caption gives the shapes.
    const full = `${p.tensor} ${rows}x${cols}`;
    const label = ctx.measureText(full).width > w + 8 ? p.tensor : full;
    const ly = p.tensor === 'b1' ? y + h + font * 0.8 : y - font * 0.9;
    ctx.fillText(label, x + w / 2, ly);
    const lw = ctx.measureText(label).width;
    labels.push({ text: label, x: x + w / 2 - lw / 2, y: ly - font / 2, w: lw, h: font, px: font });
    const note =
      status === 'pending'
        ? 'not yet'
        : status === 'partial'
          ? layer.layout === 'column'
            ? 'one block a rank'
            : 'partial sums'
          : '';
    if (note) {
      // Inside the matrix, on a dark backing, so it never meets b1 under H.
      ctx.font = `600 ${font * 0.8}px system-ui, sans-serif`;
      // A matrix too narrow for the words gets them underneath.
      const tw = ctx.measureText(note).width;
      const ny = tw + 8 > w ? y + h + font * 0.9 : y + h / 2;
      ctx.fillStyle = 'rgba(13,17,23,0.85)';
      ctx.fillRect(x + w / 2 - tw / 2 - 4, ny - font * 0.55, tw + 8, font * 1.1);
      ctx.fillStyle = FG;
      ctx.fillText(note, x + w / 2, ny);
    }
  }
  return labels;
}
