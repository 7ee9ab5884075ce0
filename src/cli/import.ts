// `fleetlab import nccl-tests FILE...`: a real cluster's nccl-tests output read back (every
// format generation, as people paste it: src/model/nccl-tests.ts), printed in fleetlab's table
// with the fitted alpha and beta of each run and the fitted closed form beside every row.
import { readFileSync, writeFileSync } from 'node:fs';
import {
  fittedSeconds,
  NcclParseError,
  type NcclRun,
  parseNcclTests,
} from '../model/nccl-tests.ts';
import { formatBandwidth, formatSeconds } from '../model/units.ts';
import { UsageError } from './args.ts';
import { type CommandSchema, parseCommand, usage } from './schema.ts';
import { Table } from './table.ts';

export const IMPORT_SCHEMA = {
  name: 'import',
  about:
    "Reads nccl-tests' output (any generation of its table: with root and #wrong, or with an " +
    'error column and no root; mpirun and srun prefixes, NCCL INFO lines and several runs in a ' +
    'file are fine), prints its rows in fleetlab\u2019s table and fits alpha and beta to each ' +
    "run's out-of-place times in the ring closed form of its collective, each row's fitted " +
    'time and error beside it.',
  positionals: {
    synopsis: 'nccl-tests FILE...',
    min: 2,
    max: 10_000,
    choices: ['nccl-tests'],
    unknown: (what: string) =>
      `import reads nccl-tests output, not '${what}' (import nccl-tests FILE...)`,
    missing: 'import needs what to read and a file: import nccl-tests FILE...',
  },
  flags: {
    ranks: {
      kind: 'count',
      min: 1,
      max: 1_000_000,
      help: 'ranks of the run (default: counted from its Rank lines or NCCL nranks)',
      meta: 'N',
    },
    json: { kind: 'text', help: 'write the runs as JSON (- for stdout)', meta: 'FILE' },
  },
} as const satisfies CommandSchema;

export const IMPORT_USAGE = usage(IMPORT_SCHEMA);

const fixed = (x: number | null, digits: number) =>
  x === null || !Number.isFinite(x) ? 'N/A' : x.toFixed(digits);

/** The runs of every file, in order; a UsageError of one line for a file that cannot be read. */
export function readRuns(files: readonly string[], ranks?: number): NcclRun[] {
  const runs: NcclRun[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(
        `cannot read '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    try {
      runs.push(...parseNcclTests(text, file, ranks === undefined ? {} : { ranks }));
    } catch (e) {
      if (e instanceof NcclParseError) throw new UsageError(e.message);
      throw e;
    }
  }
  return runs;
}

export async function runImport(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseCommand(IMPORT_SCHEMA, argv);
  const runs = readRuns(positionals.slice(1), values.ranks);
  for (const run of runs) {
    out(
      `# ${run.source}: ${run.collective}, ${run.ranks ?? 'unknown'} ranks, ${run.rows.length} rows`,
    );
    const fit = run.fit;
    out(
      'unavailable' in fit
        ? `# fit         unavailable: ${fit.unavailable}`
        : `# fit         alpha ${formatSeconds(fit.alpha_s)}, beta ${formatBandwidth(fit.beta_Bps)}, R^2 ${fit.r2.toFixed(4)} (${fit.form === 'line' ? fit.note : `the ${fit.form} closed form on ${run.ranks} ranks`})`,
    );
    const table = new Table([
      { title: 'size', unit: '(B)', width: 12 },
      { title: 'count', unit: '(elements)', width: 12 },
      { title: 'type', unit: '', width: 8 },
      { title: 'redop', unit: '', width: 5 },
      { title: 'root', unit: '', width: 4 },
      { title: 'time', unit: '(us)' },
      { title: 'algbw', unit: '(GB/s)', width: 7 },
      { title: 'busbw', unit: '(GB/s)', width: 7 },
      { title: '#wrong', unit: '', width: 6 },
      { title: 'fit', unit: '(us)' },
      { title: 'err', unit: '(%)', width: 6 },
      { title: 'time', unit: '(us)' },
      { title: 'algbw', unit: '(GB/s)', width: 7 },
      { title: 'busbw', unit: '(GB/s)', width: 7 },
      { title: '#wrong', unit: '', width: 6 },
    ]);
    out(
      table.labels([
        [5, 'out-of-place'],
        [11, 'in-place'],
      ]),
    );
    for (const line of table.header()) out(line);
    for (const r of run.rows) {
      const model = fittedSeconds(run, r.size_B);
      const t = r.oop.time_us;
      const err = model !== undefined && t !== null && t > 0 ? (100 * (model * 1e6 - t)) / t : null;
      out(
        table.row([
          String(r.size_B),
          String(r.count),
          r.type,
          r.redop,
          String(r.root),
          fixed(r.oop.time_us, 2),
          fixed(r.oop.algbw, 2),
          fixed(r.oop.busbw, 2),
          fixed(r.oop.wrong, 0),
          fixed(model === undefined ? null : model * 1e6, 2),
          fixed(err, 1),
          fixed(r.ip.time_us, 2),
          fixed(r.ip.algbw, 2),
          fixed(r.ip.busbw, 2),
          fixed(r.ip.wrong, 0),
        ]),
      );
    }
    out(`# Avg bus bandwidth    : ${run.avg_busbw === null ? 'N/A' : `${run.avg_busbw} GB/s`}`);
    out('#');
  }
  if (values.json !== undefined) {
    const body = runs.map((r) => ({ ...r, fit: r.fit }));
    const json = `${JSON.stringify(body.length === 1 ? body[0] : body, null, 2)}\n`;
    if (values.json === '-') process.stdout.write(json);
    else writeFileSync(values.json, json);
  }
  return 0;
}
