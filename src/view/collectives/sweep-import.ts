// Results files the sweep plot can show beside its own points: what `fleetlab import nccl-tests
// --json` writes (one run, or an array of runs: src/model/nccl-tests.ts's NcclRun) and what
// `fleetlab bench --json` writes (nccl-tests' -J layout: `results`, one record a size and
// algorithm; the bench suite's report has the same `results`). Pure, apart from the DOM, so
// the checks can be unit tested; every failure is a ResultsFileError whose message names the
// file and what is wrong, for the page's alert.
import { busBwFactor } from '../../model/busbw.ts';
import { COLLECTIVES, type Collective } from '../../plans/plan.ts';

export type ResultsKind = 'nccl-tests' | 'bench';

/** One drawn point: the out-of-place column, as the page's own sweep measures. */
export interface LoadedPoint {
  readonly bytes: number;
  readonly time_s: number;
  /** Bytes per second (GB = 1e9 B). */
  readonly busbw_Bps: number;
}

/** One series of a file: a run of nccl-tests, or one algorithm of a bench. */
export interface LoadedRun {
  /** The legend's name: file, collective (and algorithm), ranks. */
  readonly label: string;
  readonly file: string;
  readonly kind: ResultsKind;
  /** As the file spells it: nccl-tests may give 'sendrecv' or 'unknown'. */
  readonly collective: string;
  readonly ranks: number | null;
  /** bench only: the algorithm the points are of. */
  readonly algorithm?: string;
  /** By increasing size. */
  readonly points: readonly LoadedPoint[];
  /** Rows of the file not drawn: zero size, or no time or busbw above 0 (a log axis). */
  readonly skipped: number;
}

/** A results file the plot cannot show; the message names the file. */
export class ResultsFileError extends Error {
  override name = 'ResultsFileError';
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isPositive = (v: unknown): v is number =>
  typeof v === 'number' && Number.isFinite(v) && v > 0;
const isCollective = (c: string): c is Collective => (COLLECTIVES as readonly string[]).includes(c);

/** A field that must be a number or null (nccl-tests' N/A; JSON writes NaN as null too). */
function numberOrNull(v: unknown): v is number | null {
  return v === null || (typeof v === 'number' && Number.isFinite(v));
}

/** `ranks` of a file: a whole number >= 1, or null / absent (unknown). */
function ranksOf(v: unknown, where: string): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new ResultsFileError(`${where}: ranks ${JSON.stringify(v)} is not a whole number >= 1`);
  }
  return v;
}

/**
 * busbw from size and time by nccl-tests' own formula where the collective and rank count are
 * known, else the file's column. Why not always the column: nccl-tests prints busbw to 0.01
 * GB/s, so every message under a few KiB reads 0.00, which a log axis cannot show; the time
 * column keeps three or more digits at every size.
 */
function busbwOf(
  collective: string,
  ranks: number | null,
  bytes: number,
  time_s: number | null,
  column_GBps: number | null,
): number | null {
  if (isCollective(collective) && ranks !== null && time_s !== null && time_s > 0) {
    return (bytes / time_s) * busBwFactor(collective, ranks);
  }
  return column_GBps !== null && column_GBps > 0 ? column_GBps * 1e9 : null;
}

function sortPoints(points: LoadedPoint[]): LoadedPoint[] {
  return points.sort((a, b) => a.bytes - b.bytes);
}

/** One run of `import nccl-tests --json`; `where` names it in errors. */
function ncclRun(
  v: unknown,
  file: string,
  where: string,
): Omit<LoadedRun, 'label'> & { base: string } {
  if (!isObject(v)) throw new ResultsFileError(`${where}: a run must be an object`);
  if (typeof v.collective !== 'string' || v.collective === '') {
    throw new ResultsFileError(`${where}: no collective (a string such as "allreduce")`);
  }
  const collective = v.collective;
  const ranks = ranksOf(v.ranks, where);
  if (!Array.isArray(v.rows)) throw new ResultsFileError(`${where}: rows is not a list`);
  if (v.rows.length === 0) throw new ResultsFileError(`${where}: no rows`);
  const points: LoadedPoint[] = [];
  let skipped = 0;
  v.rows.forEach((row: unknown, i) => {
    const at = `${where}, row ${i + 1}`;
    if (!isObject(row)) throw new ResultsFileError(`${at}: a row must be an object`);
    const size = row.size_B;
    if (typeof size !== 'number' || !Number.isFinite(size) || size < 0) {
      throw new ResultsFileError(`${at}: size_B ${JSON.stringify(size)} is not a number >= 0`);
    }
    const oop = row.oop;
    if (!isObject(oop) || !numberOrNull(oop.time_us) || !numberOrNull(oop.busbw)) {
      throw new ResultsFileError(
        `${at}: oop must be an object with time_us and busbw, numbers or null`,
      );
    }
    const time_s = oop.time_us === null ? null : oop.time_us * 1e-6;
    const busbw = size > 0 ? busbwOf(collective, ranks, size, time_s, oop.busbw) : null;
    if (busbw === null || time_s === null || !(time_s > 0)) {
      skipped++;
      return;
    }
    points.push({ bytes: size, time_s, busbw_Bps: busbw });
  });
  const base = `${file}: ${collective}, ${ranks ?? 'unknown'} ranks`;
  return { base, file, kind: 'nccl-tests', collective, ranks, points: sortPoints(points), skipped };
}

/** `bench --json`'s results, one run per collective, algorithm and rank count, in file order. */
function benchRuns(v: Json, file: string): LoadedRun[] {
  const results = v.results;
  if (!Array.isArray(results)) throw new ResultsFileError(`${file}: results is not a list`);
  if (results.length === 0) throw new ResultsFileError(`${file}: no results (an empty list)`);
  const fileRanks = ranksOf(v.ranks, file);
  const groups = new Map<
    string,
    {
      collective: string;
      algorithm: string;
      ranks: number | null;
      points: LoadedPoint[];
      skipped: number;
    }
  >();
  results.forEach((r: unknown, i) => {
    const at = `${file}, result ${i + 1}`;
    if (!isObject(r)) throw new ResultsFileError(`${at}: a result must be an object`);
    const collective = typeof r.collective === 'string' ? r.collective : v.collective;
    if (typeof collective !== 'string' || collective === '') {
      throw new ResultsFileError(`${at}: no collective`);
    }
    if (typeof r.algorithm !== 'string' || r.algorithm === '') {
      throw new ResultsFileError(`${at}: no algorithm`);
    }
    const ranks = r.ranks === undefined ? fileRanks : ranksOf(r.ranks, at);
    const size = r.size;
    if (typeof size !== 'number' || !Number.isFinite(size) || size < 0) {
      throw new ResultsFileError(`${at}: size ${JSON.stringify(size)} is not a number >= 0`);
    }
    const oop = r.out_of_place;
    if (!isObject(oop) || !numberOrNull(oop.time) || !numberOrNull(oop.bus_bw)) {
      throw new ResultsFileError(
        `${at}: out_of_place must be an object with time and bus_bw, numbers or null`,
      );
    }
    const key = JSON.stringify([collective, r.algorithm, ranks]);
    let group = groups.get(key);
    if (!group) {
      group = { collective, algorithm: r.algorithm, ranks, points: [], skipped: 0 };
      groups.set(key, group);
    }
    // bench writes bus_bw unrounded (GB/s), so its column is taken as it is.
    if (size > 0 && isPositive(oop.time) && isPositive(oop.bus_bw)) {
      group.points.push({ bytes: size, time_s: oop.time * 1e-6, busbw_Bps: oop.bus_bw * 1e9 });
    } else {
      group.skipped++;
    }
  });
  return [...groups.values()].map((g) => ({
    label: `${file}: ${g.collective} ${g.algorithm}, ${g.ranks ?? 'unknown'} ranks`,
    file,
    kind: 'bench',
    collective: g.collective,
    ranks: g.ranks,
    algorithm: g.algorithm,
    points: sortPoints(g.points),
    skipped: g.skipped,
  }));
}

/** What kind of results a parsed JSON value is, or why it is neither. */
function kindOf(v: unknown, file: string): ResultsKind {
  if (Array.isArray(v)) return 'nccl-tests';
  if (isObject(v) && 'results' in v) return 'bench';
  if (isObject(v) && 'rows' in v) return 'nccl-tests';
  throw new ResultsFileError(
    `${file}: not a results file: expected the JSON of \`fleetlab import nccl-tests --json\` ` +
      '(an object with collective and rows, or a list of them) or of `fleetlab bench --json` ' +
      '(an object with results)',
  );
}

/**
 * The runs a results file holds, each with at least one point to draw. `file` is the name the
 * legend and the messages use (a browser gives the name without its folder).
 */
export function readResultsFile(file: string, text: string): LoadedRun[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ResultsFileError(`${file}: not JSON (${(e as Error).message})`);
  }
  let runs: LoadedRun[];
  if (kindOf(v, file) === 'bench') {
    runs = benchRuns(v as Json, file);
  } else {
    const list: unknown[] = Array.isArray(v) ? v : [v];
    if (list.length === 0) throw new ResultsFileError(`${file}: no runs (an empty list)`);
    const one = list.length === 1;
    const drafts = list.map((r, i) => ncclRun(r, file, one ? file : `${file}, run ${i + 1}`));
    // Two runs of the same collective and ranks (a file of several runs) keep apart by number.
    const count = new Map<string, number>();
    for (const d of drafts) count.set(d.base, (count.get(d.base) ?? 0) + 1);
    runs = drafts.map(({ base, ...d }, i) => ({
      ...d,
      label: (count.get(base) ?? 0) > 1 ? `${base} (run ${i + 1})` : base,
    }));
  }
  const empty = runs.find((r) => r.points.length === 0);
  if (empty) {
    throw new ResultsFileError(
      `${empty.label}: no row to draw (every row has size 0, or no time or busbw above 0)`,
    );
  }
  return runs;
}
