// Time, three faces, one row per step: what this GPU measured, what the calibrated model of this
// GPU predicts, and what the same plan would take on the chosen fabric (emulated), with totals,
// the textbook's closed form (analytic) and the model's error. The current step is highlighted.
import { formatSeconds } from '../../model/units.ts';

export interface TimelineData {
  readonly phases: readonly string[];
  /** Per step, seconds; NaN where not measured (no WebGPU). */
  readonly measured_s: readonly number[];
  readonly model_s: readonly number[];
  /** Why the model has no times (a calibration too noisy to fit): shown in its column. */
  readonly model_unavailable?: string;
  readonly emulated_s: readonly number[];
  /** The closed form for the whole collective on the fabric's link; NaN where none applies. */
  readonly analytic_s: number;
  readonly fabric: string;
}

const cell = (text: string, tag: 'td' | 'th' = 'td') => {
  const el = document.createElement(tag);
  el.textContent = text;
  return el;
};

const time = (s: number) => (Number.isFinite(s) ? formatSeconds(s) : 'not measured');
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

export class Timeline {
  private readonly body: HTMLTableSectionElement;
  private readonly foot: HTMLTableSectionElement;

  constructor(private readonly table: HTMLTableElement) {
    table.replaceChildren();
    const head = table.createTHead().insertRow();
    for (const h of [
      'step',
      'phase',
      'measured (this GPU)',
      'model (this GPU)',
      'emulated (fabric)',
    ]) {
      head.append(cell(h, 'th'));
    }
    this.body = table.createTBody();
    this.foot = table.createTFoot();
  }

  show(data: TimelineData): void {
    this.body.replaceChildren();
    data.phases.forEach((phase, i) => {
      const row = this.body.insertRow();
      row.append(
        cell(String(i + 1)),
        cell(phase),
        cell(time(data.measured_s[i] ?? Number.NaN)),
        cell(data.model_unavailable ? 'unavailable' : time(data.model_s[i] ?? Number.NaN)),
        cell(time(data.emulated_s[i] ?? Number.NaN)),
      );
    });
    const measured = sum(data.measured_s);
    const model = sum(data.model_s);
    const error = data.model_unavailable
      ? `unavailable (${data.model_unavailable})`
      : Number.isFinite(measured) && measured > 0
        ? `${(((model - measured) / measured) * 100).toFixed(1)} %`
        : '—';
    this.foot.replaceChildren();
    const total = this.foot.insertRow();
    total.append(
      cell('total', 'th'),
      cell(''),
      cell(time(measured)),
      cell(time(model)),
      cell(time(sum(data.emulated_s))),
    );
    const notes = this.foot.insertRow();
    const note = cell(
      `model error ${error}; analytic (closed form on ${data.fabric}): ${time(data.analytic_s)}`,
    );
    note.colSpan = 5;
    notes.append(note);
    this.table.dataset.measured = String(Number.isFinite(measured));
  }

  /** Highlights the row of the step just taken (0: none yet). */
  highlight(step: number): void {
    [...this.body.rows].forEach((row, i) => {
      row.classList.toggle('current', i === step - 1);
    });
  }
}
