// nccl-tests' output read as people paste it, and a real cluster's alpha and beta fitted from it.
//
// What is read: every table generation (today's, with `root` and `#wrong`; older ones with an
// `error` column and no `root`, or no `redop`), lines prefixed by mpirun (`[1,0]<stdout>:`) or
// srun (`0: `), `[tag]` prefixes, NCCL INFO / WARN / TRACE lines between rows, header lines with
// or without `#`, `N/A` values, zero-size rows, and several runs in one file (each column header
// starts one). The collective comes from the binary's name where the text gives it
// (`all_reduce_perf`, `# Collective test starting: ...`), the rank count from the `Rank N`
// device lines or NCCL's `nranks N`; the caller may say either.
//
// The fit: the out-of-place times of the rows of non-zero size against size as t = a + b S (relative least squares, as the
// calibration fits), then alpha and beta from the collective's ring closed form on N ranks (AllToAll: pairwise),
// t = alpha L(N) + S F(N) / beta (AllReduce L = 2(N - 1), F = 2(N - 1) / N): alpha = a / L,
// beta = F / b. A run with no rank count or no closed form keeps the line (alpha = a, beta =
// 1 / b) and says so.
import type { Collective } from '../plans/plan.ts';
import { CLOSED_FORMS, closedForm } from './closed-forms.ts';
import { fitLine } from './least-squares.ts';

/** One placement of a row, as nccl-tests prints it (null where it printed N/A). */
export interface NcclPlacement {
  readonly time_us: number | null;
  readonly algbw: number | null;
  readonly busbw: number | null;
  /** #wrong, or the older `error` column's value. */
  readonly wrong: number | null;
}

export interface NcclRow {
  readonly size_B: number;
  readonly count: number;
  readonly type: string;
  readonly redop: string;
  readonly root: number;
  readonly oop: NcclPlacement;
  readonly ip: NcclPlacement;
}

export interface NcclFit {
  readonly alpha_s: number;
  readonly beta_Bps: number;
  readonly r2: number;
  /** The closed form alpha and beta are of (its algorithm: ring where the book has one, else
   * pairwise for AllToAll), or 'line': t = alpha + S / beta. */
  readonly form: string;
  readonly note?: string;
}

export interface NcclRun {
  readonly source: string;
  readonly collective: string;
  readonly ranks: number | null;
  readonly rows: readonly NcclRow[];
  /** As nccl-tests' closing line, when the run printed it (GB/s). */
  readonly avg_busbw: number | null;
  readonly fit: NcclFit | { readonly unavailable: string };
}

/** A line the reader cannot take, named by file and line. */
export class NcclParseError extends Error {
  override name = 'NcclParseError';
}

const BINARIES: Readonly<Record<string, string>> = {
  all_reduce: 'allreduce',
  all_gather: 'allgather',
  reduce_scatter: 'reducescatter',
  broadcast: 'broadcast',
  reduce: 'reduce',
  alltoall: 'alltoall',
  sendrecv: 'sendrecv',
  gather: 'gather',
  scatter: 'scatter',
  hypercube: 'hypercube',
};

function collectiveIn(text: string): string | undefined {
  const m =
    /\b(all_reduce|all_gather|reduce_scatter|broadcast|reduce|alltoall|sendrecv|gather|scatter|hypercube)_perf\b/.exec(
      text,
    );
  return m ? BINARIES[m[1] as string] : undefined;
}

/** The line without mpirun/srun/tag prefixes and without trailing comments after a row. */
function clean(line: string): string {
  let s = line.replace(/\r$/, '');
  for (;;) {
    const before = s;
    s = s.replace(/^\s*\[[^\]]*\](<std(?:out|err)>)?:?\s?/, '');
    s = s.replace(/^\s*\d+:\s/, '');
    if (s === before) break;
  }
  return s;
}

interface Columns {
  readonly redop: boolean;
  readonly root: boolean;
  /** Fields a row has. */
  readonly width: number;
}

/** The column header's layout, or undefined for any other line. */
function columnsOf(text: string): Columns | undefined {
  const words = text.replace(/^#/, '').trim().split(/\s+/);
  if (words[0] !== 'size' && words[0] !== 'bytes') return undefined;
  if (!words.includes('count') && !words.includes('N')) return undefined;
  const redop = words.includes('redop') || words.includes('op');
  const root = words.includes('root');
  const lead = 3 + (redop ? 1 : 0) + (root ? 1 : 0);
  return { redop, root, width: lead + 8 };
}

function number(text: string, where: string, what: string): number | null {
  if (text === 'N/A') return null;
  const v = Number(text);
  if (!Number.isFinite(v)) throw new NcclParseError(`${where}: ${what} '${text}' is not a number`);
  return v;
}

function placement(fields: readonly string[], at: number, where: string): NcclPlacement {
  return {
    time_us: number(fields[at] as string, where, 'time'),
    algbw: number(fields[at + 1] as string, where, 'algbw'),
    busbw: number(fields[at + 2] as string, where, 'busbw'),
    wrong: number(fields[at + 3] as string, where, '#wrong'),
  };
}

interface Draft {
  collective?: string;
  ranks?: number;
  columns?: Columns;
  rows: NcclRow[];
  avg_busbw: number | null;
  deviceRanks: Set<number>;
  nranks?: number;
}

/** Every run in one file's text. `source` names it in errors and in the result. */
export function parseNcclTests(
  text: string,
  source: string,
  options: { readonly ranks?: number; readonly collective?: string } = {},
): NcclRun[] {
  const runs: NcclRun[] = [];
  const fileCollective = collectiveIn(source);
  let draft: Draft = { rows: [], avg_busbw: null, deviceRanks: new Set() };
  let lastCollective: string | undefined;
  const finish = () => {
    if (draft.rows.length === 0) return;
    const ranks =
      options.ranks ??
      (draft.deviceRanks.size > 0 ? Math.max(...draft.deviceRanks) + 1 : undefined) ??
      draft.nranks ??
      null;
    const collective =
      options.collective ?? draft.collective ?? lastCollective ?? fileCollective ?? 'unknown';
    runs.push({
      source,
      collective,
      ranks,
      rows: draft.rows,
      avg_busbw: draft.avg_busbw,
      fit: fitRun(collective, ranks, draft.rows),
    });
  };
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const where = `${source}:${i + 1}`;
    const line = clean(raw);
    const trimmed = line.trim();
    if (trimmed === '' || /\bNCCL (INFO|WARN|TRACE)\b/.test(trimmed)) {
      const n = /\bnranks (\d+)\b/.exec(trimmed);
      if (n) draft.nranks = Math.max(draft.nranks ?? 0, Number(n[1]));
      return;
    }
    // A run's preamble (its parameters, or the test's name) after rows starts the next run.
    if (draft.rows.length > 0 && /^#?\s*(nThread\b|Collective test starting)/.test(trimmed)) {
      finish();
      draft = { rows: [], avg_busbw: null, deviceRanks: new Set() };
    }
    const found = collectiveIn(trimmed);
    if (found) {
      lastCollective = found;
      if (draft.rows.length === 0) draft.collective = found;
    }
    const columns = columnsOf(trimmed);
    if (columns) {
      if (draft.rows.length > 0) {
        finish();
        draft = { rows: [], avg_busbw: null, deviceRanks: new Set(), collective: lastCollective };
      }
      draft.columns = columns;
      return;
    }
    const header = trimmed.replace(/^#\s*/, '');
    const rank = /^Rank\s+(\d+)\s+(Group\s+\d+\s+)?Pid\b/.exec(header);
    if (rank) {
      draft.deviceRanks.add(Number(rank[1]));
      return;
    }
    const avg = /^Avg bus bandwidth\s*:\s*([\d.eE+-]+|N\/A)/.exec(header);
    if (avg) {
      draft.avg_busbw = avg[1] === 'N/A' ? null : Number(avg[1]);
      return;
    }
    if (trimmed.startsWith('#') || !/^\d/.test(trimmed)) return;
    // A data row: numbers, a type and maybe a redop; anything after a '#' is a comment.
    const fields = trimmed.replace(/\s#.*$/, '').split(/\s+/);
    const columns0 = draft.columns;
    if (!columns0) {
      throw new NcclParseError(`${where}: a row before any column header (size count type ...)`);
    }
    if (fields.length !== columns0.width) {
      throw new NcclParseError(
        `${where}: a row of ${fields.length} fields where the column header has ${columns0.width}`,
      );
    }
    let at = 0;
    const size_B = number(fields[at++] as string, where, 'size');
    const count = number(fields[at++] as string, where, 'count');
    if (size_B === null || count === null || size_B < 0 || count < 0) {
      throw new NcclParseError(`${where}: size and count must be numbers >= 0`);
    }
    const type = fields[at++] as string;
    const redop = columns0.redop ? (fields[at++] as string) : 'none';
    const root = columns0.root ? (number(fields[at++] as string, where, 'root') ?? -1) : -1;
    const oop = placement(fields, at, where);
    const ip = placement(fields, at + 4, where);
    draft.rows.push({ size_B, count, type, redop, root, oop, ip });
  });
  finish();
  if (runs.length === 0) {
    throw new NcclParseError(
      `${source}: no nccl-tests table found (no column header 'size count type ...' followed by rows)`,
    );
  }
  return runs;
}

const isCollective = (c: string): c is Collective => Object.hasOwn(CLOSED_FORMS, c);

/** The closed form a collective's fit uses: ring where the book has one, else its first. */
function formOf(collective: string): string | undefined {
  if (!isCollective(collective)) return undefined;
  const forms = Object.keys(CLOSED_FORMS[collective]);
  return forms.includes('ring') ? 'ring' : forms[0];
}

/** alpha and beta from the out-of-place times (see the top of this file), or why not. */
export function fitRun(
  collective: string,
  ranks: number | null,
  rows: readonly NcclRow[],
): NcclFit | { readonly unavailable: string } {
  // Zero-size rows move nothing (NCCL returns at once): they are no point of the line.
  const points = rows.filter(
    (r) => r.size_B > 0 && r.oop.time_us !== null && (r.oop.time_us as number) > 0,
  );
  if (new Set(points.map((p) => p.size_B)).size < 2) {
    return { unavailable: `fewer than 2 sizes with a time (${points.length} rows)` };
  }
  const line = fitLine(
    points.map((p) => p.size_B),
    points.map((p) => (p.oop.time_us as number) * 1e-6),
  );
  if (!(line.slope > 0) || !(line.intercept >= 0)) {
    return {
      unavailable: `time does not grow from a non-negative start with size (slope ${line.slope} s/B, intercept ${line.intercept} s)`,
    };
  }
  const algorithm = formOf(collective);
  if (algorithm === undefined || ranks === null || ranks < 2 || !isCollective(collective)) {
    return {
      alpha_s: line.intercept,
      beta_Bps: 1 / line.slope,
      r2: line.r2,
      form: 'line',
      note:
        ranks === null
          ? 'no rank count in the text (give --ranks): t = alpha + S / beta'
          : `no closed form for ${collective} on ${ranks} rank(s): t = alpha + S / beta`,
    };
  }
  const unit = closedForm(collective, algorithm, ranks, 1, { alpha: 1, beta: 1 });
  return {
    alpha_s: line.intercept / unit.latency_term,
    beta_Bps: unit.bandwidth_term / line.slope,
    r2: line.r2,
    form: algorithm,
  };
}

/**
 * The fitted closed form's seconds at `size_B`; undefined where the fit is unavailable, and for
 * a zero-size row (no transfer: no point of the line).
 */
export function fittedSeconds(run: NcclRun, size_B: number): number | undefined {
  const fit = run.fit;
  if ('unavailable' in fit || size_B === 0) return undefined;
  if (fit.form === 'line' || run.ranks === null || !isCollective(run.collective)) {
    return fit.alpha_s + size_B / fit.beta_Bps;
  }
  return closedForm(run.collective, fit.form, run.ranks, size_B, {
    alpha: fit.alpha_s,
    beta: fit.beta_Bps,
  }).time;
}
