// The tensor-parallel page's tables and figures (DOM): each rank's result check, the time of
// each step three ways, the roofline point of a rank's matmul, and the scaling sweep's rows.

import { formatSeconds } from '../../model/units.ts';
import type { Plan } from '../../plans/plan.ts';
import type { TpMeasurement } from '../../run/tp-measure.ts';
import type { TpRow } from '../../run/tp-sweep.ts';
import { rankCss } from './matrix-draw.ts';
import type { RankCheck } from './run.ts';
import type { RooflinePoint } from './scaling.ts';

const time = (s: number | undefined) =>
  s !== undefined && Number.isFinite(s) ? formatSeconds(s) : 'not measured';
const fixed = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : '—');

function table(el: HTMLTableElement, head: readonly string[], rows: readonly string[][]): void {
  el.replaceChildren();
  const h = el.createTHead().insertRow();
  for (const t of head) {
    const th = document.createElement('th');
    th.textContent = t;
    h.append(th);
  }
  const body = el.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    for (const t of r) tr.insertCell().textContent = t;
  }
}

/** One row per rank: elements of the result it holds, largest |error|, how many are wrong. */
export function renderChecks(el: HTMLTableElement, checks: readonly RankCheck[]): void {
  table(
    el,
    ['rank', 'elements of Y held', 'max |err| vs unsharded', 'wrong'],
    checks.map((c) => [
      `rank ${c.rank}`,
      String(c.elements),
      c.max_abs_error.toExponential(1),
      String(c.wrong),
    ]),
  );
  [...(el.tBodies[0]?.rows ?? [])].forEach((row, r) => {
    (row.cells[0] as HTMLTableCellElement).style.color = rankCss(r);
  });
  const wrong = checks.reduce((n, c) => n + c.wrong, 0);
  el.dataset.wrong = String(wrong);
}

/** The time of each step: all ranks on this GPU (measured), N devices on the fabric (emulated). */
export function renderTimes(
  el: HTMLTableElement,
  plan: Plan,
  m: TpMeasurement | undefined,
  transfer_s: readonly number[],
): void {
  const rows = plan.steps.map((st, i) => {
    const e = m?.emulated.steps[i];
    const isKernel = (st.kernels?.length ?? 0) > 0;
    return [
      String(i + 1),
      st.phase,
      time(m?.measured_steps_s[i]),
      isKernel ? time(e?.compute_s) : '',
      isKernel ? '' : time(e?.transfer_s ?? transfer_s[i]),
      time(m ? e?.time_s : isKernel ? Number.NaN : transfer_s[i]),
    ];
  });
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  rows.push([
    'total',
    '',
    time(m?.measured_s),
    time(m?.compute_s),
    time(m ? m.comm_s : sum(transfer_s)),
    time(m?.emulated.total_s),
  ]);
  table(
    el,
    [
      'step',
      'phase',
      'measured (all ranks on this GPU)',
      'compute (slowest rank alone)',
      'communication (fabric)',
      'emulated step',
    ],
    rows,
  );
  el.tBodies[0]?.rows[rows.length - 1]?.classList.add('total');
  el.dataset.measured = String(m !== undefined);
}

/** Highlights the row of the step just taken (0: none). */
export function highlightStep(el: HTMLTableElement, step: number): void {
  [...(el.tBodies[0]?.rows ?? [])].forEach((row, i) => {
    row.classList.toggle('current', i === step - 1);
  });
}

/** The roofline point of each of a rank's matmuls, in words, beside the FMA peak. */
export function renderRoofline(el: HTMLElement, points: readonly RooflinePoint[], peak: number) {
  const lines = points.map(
    (p) =>
      `rank ${p.rank}, ${p.phase} (${p.m}x${p.k}x${p.n}): ${fixed(p.flops_per_s / 1e9, 3)} GFLOP/s in ${time(p.seconds)}, ` +
      `${fixed(100 * p.peak_fraction, 1)} % of the FMA peak; arithmetic intensity ${fixed(p.intensity, 1)} FLOP/B`,
  );
  lines.unshift(`FMA peak of this GPU (register-only kernel): ${fixed(peak / 1e9, 2)} GFLOP/s`);
  el.replaceChildren(
    ...lines.map((t) => {
      const li = document.createElement('li');
      li.textContent = t;
      return li;
    }),
  );
  const best = Math.max(0, ...points.map((p) => p.peak_fraction).filter(Number.isFinite));
  el.dataset.fraction = String(best);
}

/** The sweep's rows: compute, communication, emulated step and eta, beside the Fleet Law. */
export function renderScalingRows(el: HTMLTableElement, rows: readonly TpRow[]): void {
  const ms = (s: number) => (Number.isFinite(s) ? (s * 1e3).toFixed(3) : '—');
  table(
    el,
    [
      'N',
      'compute (ms)',
      'comm (ms)',
      'emulated (ms)',
      'eta',
      'tax',
      'Fleet Law (ms)',
      'eta (law)',
      'wrong',
    ],
    rows.map((r) => [
      String(r.ranks),
      ms(r.compute_s),
      ms(r.comm_s),
      ms(r.emulated_s),
      fixed(r.eta_emulated, 3),
      fixed(r.tax_emulated, 3),
      ms(r.analytic.step_s),
      fixed(r.analytic.eta, 3),
      String(r.wrong),
    ]),
  );
}
