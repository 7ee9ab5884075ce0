// Results files for the sweep plot (src/view/collectives/sweep-import.ts): the JSON of
// `fleetlab import nccl-tests --json` (made here from the reader's own fixtures, as the CLI
// writes it, so a change of that format fails here) and of `fleetlab bench --json` (a record
// typed as the bench writes it, and a real one under test/e2e/fixtures/); every bad file one
// message naming the file and what is wrong.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../../src/cli/bench-measure.ts';
import { busBwFactor } from '../../src/model/busbw.ts';
import { parseNcclTests } from '../../src/model/nccl-tests.ts';
import { ALGORITHMS } from '../../src/plans/registry.ts';
import {
  type LoadedRun,
  ResultsFileError,
  readResultsFile,
} from '../../src/view/collectives/sweep-import.ts';
import {
  LOADED_COLOURS,
  type SweepPlotData,
  seriesColours,
} from '../../src/view/collectives/sweep-plot.ts';

const ncclDir = join(import.meta.dirname, '../fixtures/nccl-tests');
const e2eDir = join(import.meta.dirname, '../e2e/fixtures/sweep-results');

/** What `import nccl-tests --json` writes for these files (src/cli/import.ts: one run alone). */
function importJson(...files: string[]): string {
  const runs = files.flatMap((f) => parseNcclTests(readFileSync(join(ncclDir, f), 'utf8'), f));
  return JSON.stringify(runs.length === 1 ? runs[0] : runs, null, 2);
}

/** The message readResultsFile throws for `text`. */
function failure(text: string, file = 'bad.json'): string {
  try {
    readResultsFile(file, text);
  } catch (e) {
    expect(e).toBeInstanceOf(ResultsFileError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

/** One bench record, typed as the CLI's, so a renamed field fails the type check. */
function benchResult(algorithm: string, size: number, time_us: number, ranks = 8): BenchResult {
  const bus_bw = ((size / (time_us * 1e-6)) * busBwFactor('allreduce', ranks)) / 1e9;
  const placement = {
    time: time_us,
    alg_bw: size / (time_us * 1e-6) / 1e9,
    bus_bw,
    nwrong: 0,
    model: { time: time_us },
    median_time: time_us,
    model_error: 0,
    traffic_bytes: size,
    roofline_fraction: 0.1,
  };
  return {
    collective: 'allreduce',
    algorithm,
    ranks,
    size,
    count: size / 4,
    type: 'float',
    redop: 'sum',
    root: -1,
    out_of_place: placement,
    in_place: placement,
    model: { time: time_us },
    traffic_bytes: size,
    roofline_fraction: 0.1,
  };
}

const benchFile = (results: unknown[], extra: object = {}) =>
  JSON.stringify({ tool: 'fleetlab bench', collective: 'allreduce', ranks: 8, results, ...extra });

describe('results files for the sweep plot', () => {
  it('reads one nccl-tests run: out-of-place points by size, busbw from the time', () => {
    const [run, ...more] = readResultsFile('h100.json', importJson('modern-allreduce-8.txt'));
    expect(more).toEqual([]);
    expect(run).toMatchObject({
      label: 'h100.json: allreduce, 8 ranks',
      file: 'h100.json',
      kind: 'nccl-tests',
      collective: 'allreduce',
      ranks: 8,
      skipped: 1, // the zero-size row
    });
    const points = (run as LoadedRun).points;
    expect(points.map((p) => p.bytes)).toEqual([
      8, 32, 128, 512, 2048, 8192, 32768, 131072, 524288, 2097152, 8388608,
    ]);
    // nccl-tests' own busbw, from size and time: its printed column, where that has digits.
    const last = points[points.length - 1];
    expect(last?.time_s).toBeCloseTo(174.8e-6, 12);
    expect(Math.abs((last?.busbw_Bps ?? 0) / 1e9 - 83.98)).toBeLessThan(0.01);
    const small = points[0];
    expect(small?.busbw_Bps).toBeCloseTo((8 / 28e-6) * (14 / 8), 3); // printed as 0.00
    expect(small?.busbw_Bps).toBeGreaterThan(0);
  });

  it('reads a list of runs, numbering runs that would share a label', () => {
    const runs = readResultsFile('srun.json', importJson('srun-two-runs-16.txt'));
    expect(runs.length).toBe(2);
    const labels = runs.map((r) => r.label);
    expect(new Set(labels).size).toBe(2);
    for (const r of runs) {
      expect(r.label.startsWith('srun.json: ')).toBe(true);
      expect(r.points.length).toBeGreaterThan(0);
    }
    const mixed = readResultsFile(
      'two.json',
      importJson('modern-allreduce-8.txt', 'mpirun-prefixed-allgather-4.txt'),
    );
    expect(mixed.map((r) => r.label)).toEqual([
      'two.json: allreduce, 8 ranks',
      'two.json: allgather, 4 ranks',
    ]);
  });

  it('without a rank count takes the busbw column, leaving out rows printed as 0.00', () => {
    const run = JSON.parse(importJson('modern-allreduce-8.txt'));
    run.ranks = null;
    const [read] = readResultsFile('x.json', JSON.stringify(run));
    expect(read?.label).toBe('x.json: allreduce, unknown ranks');
    // 0, 8 and 32 B print 0.00 GB/s.
    expect(read?.skipped).toBe(3);
    expect(read?.points[0]).toMatchObject({ bytes: 128, busbw_Bps: 0.01e9 });
  });

  it('reads a bench: one run per algorithm, its bus_bw as written', () => {
    const text = benchFile([
      benchResult('ring', 8192, 40),
      benchResult('ring', 4096, 30),
      benchResult('tree', 4096, 20),
    ]);
    const runs = readResultsFile('bench.json', text);
    expect(runs.map((r) => r.label)).toEqual([
      'bench.json: allreduce ring, 8 ranks',
      'bench.json: allreduce tree, 8 ranks',
    ]);
    expect(runs[0]).toMatchObject({ kind: 'bench', algorithm: 'ring', ranks: 8, skipped: 0 });
    expect(runs[0]?.points.map((p) => p.bytes)).toEqual([4096, 8192]);
    expect(runs[0]?.points[0]?.time_s).toBeCloseTo(30e-6, 12);
    expect(runs[0]?.points[0]?.busbw_Bps).toBeCloseTo((4096 / 30e-6) * (14 / 8), 0);
  });

  it('a bench whose clock read 0 (bus_bw null in JSON) leaves that size out', () => {
    const zero = { ...benchResult('ring', 4096, 30), out_of_place: { time: 0, bus_bw: null } };
    const [run] = readResultsFile('b.json', benchFile([zero, benchResult('ring', 8192, 40)]));
    expect(run?.skipped).toBe(1);
    expect(run?.points.map((p) => p.bytes)).toEqual([8192]);
  });

  it('reads the real bench --json fixture of the e2e test', () => {
    const file = 'bench-allreduce-4.json';
    const runs = readResultsFile(file, readFileSync(join(e2eDir, file), 'utf8'));
    expect(runs.map((r) => r.label)).toEqual([
      `${file}: allreduce ring, 4 ranks`,
      `${file}: allreduce tree, 4 ranks`,
    ]);
    for (const r of runs) expect(r.points.map((p) => p.bytes)).toEqual([4096, 16384, 65536]);
  });

  it.each([
    ['{"collective": ', /^bad\.json: not JSON \(/],
    ['42', /^bad\.json: not a results file: expected the JSON of `fleetlab import nccl-tests/],
    ['{"tool": "fleetlab calibrate", "sizes": []}', /^bad\.json: not a results file/],
    ['[]', /^bad\.json: no runs \(an empty list\)$/],
    ['{"collective": "allreduce", "ranks": 8, "rows": []}', /^bad\.json: no rows$/],
    ['{"ranks": 8, "rows": []}', /^bad\.json: no collective/],
    ['{"collective": "allreduce", "rows": {}}', /^bad\.json: rows is not a list$/],
    ['{"collective": "allreduce", "ranks": 0.5, "rows": [{}]}', /^bad\.json: ranks 0\.5 is not/],
    [
      '{"collective": "allreduce", "ranks": 8, "rows": [{"size_B": "8"}]}',
      /^bad\.json, row 1: size_B "8" is not a number >= 0$/,
    ],
    [
      '{"collective": "allreduce", "ranks": 8, "rows": [{"size_B": 8, "oop": {"time_us": "fast"}}]}',
      /^bad\.json, row 1: oop must be an object with time_us and busbw/,
    ],
    [
      '{"collective": "allreduce", "ranks": 8, "rows": [{"size_B": 0, "oop": {"time_us": 1, "busbw": 0}}]}',
      /^bad\.json: allreduce, 8 ranks: no row to draw/,
    ],
    [
      '[{"collective": "allreduce", "ranks": 8, "rows": [{"size_B": 8, "oop": {"time_us": 1, "busbw": 1}}]}, {"collective": "allgather"}]',
      /^bad\.json, run 2: rows is not a list$/,
    ],
    ['{"results": []}', /^bad\.json: no results \(an empty list\)$/],
    ['{"results": {}}', /^bad\.json: results is not a list$/],
    [
      '{"collective": "allreduce", "results": [{"size": 8}]}',
      /^bad\.json, result 1: no algorithm$/,
    ],
    [
      '{"collective": "allreduce", "results": [{"algorithm": "ring", "size": 8, "out_of_place": 3}]}',
      /^bad\.json, result 1: out_of_place must be an object/,
    ],
  ])('refuses %s', (text, message) => {
    expect(failure(text)).toMatch(message);
  });

  it("loaded colours are apart from every algorithm's series colours", () => {
    const algorithms = Object.keys(ALGORITHMS.allreduce);
    const point = { bytes: 1024, time_s: 1e-5, busbw_Bps: 1e9 };
    const data: SweepPlotData = {
      metric: 'busbw',
      algorithms,
      measured: algorithms.map((algorithm) => ({ algorithm, ...point, median_s: 1e-5, wrong: 0 })),
      models: algorithms.flatMap((algorithm) =>
        (['priced', 'closed-form'] as const).map((kind) => ({ algorithm, kind, points: [point] })),
      ),
      loaded: LOADED_COLOURS.map((colour, i) => ({ label: `run ${i}`, colour, points: [point] })),
    };
    const colours = [...seriesColours(data).values()].map((c) => c.toLowerCase());
    expect(colours.length).toBe(algorithms.length * 3 + LOADED_COLOURS.length);
    expect(new Set(colours).size).toBe(colours.length);
  });
});
