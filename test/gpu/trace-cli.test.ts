// `--trace FILE` on `bench`, `tp` and `serve` as a user runs them (a child process on Dawn, the
// smallest sizes): the file holds a trace every viewer can read (test/unit/trace-schema.ts),
// the emulated ranks where the command prices on a fabric, and the measured face as its own
// process group, in agreement with the JSON the same run writes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectTraceSchema, slicesOf, type TraceJson } from '../unit/trace-schema.ts';

const bin = new URL('../../bin/fleetlab.js', import.meta.url).pathname;

function fleetlab(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
  const stderr = r.stderr.split('\n').filter((l) => l.startsWith('fleetlab:'));
  return { code: r.status, stdout: r.stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'fleetlab-trace-cli-'));
const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as TraceJson;

describe('--trace FILE', () => {
  it('bench: the largest size, the emulated ranks and the measured steps', () => {
    const trace = join(dir, 'bench.json');
    const json = join(dir, 'bench-out.json');
    const r = fleetlab(
      ...['bench', 'allreduce', '-g', '2', '-b', '1K', '-e', '2K', '-n', '1', '-w', '0'],
      ...['--algo', 'ring', '--fabric', 'nvswitch', '--json', json, '--trace', trace],
    );
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(0);
    const t = read(trace);
    const names = expectTraceSchema(t);
    expect([...names.values()]).toEqual([
      'rank 0',
      'rank 1',
      'fabric: switch of 2',
      'measured (GPU): all 2 ranks on this one GPU, one timed pass a step (not per rank)',
    ]);
    const out = JSON.parse(readFileSync(json, 'utf8'));
    const largest = out.results.at(-1);
    expect(t.otherData).toMatchObject({ command: 'bench', bytes: 2048, algorithms: ['ring'] });
    // The emulated timeline is the largest size's, out of place, as the table's emulated column.
    expect(t.otherData.total_s as number).toBeCloseTo(largest.out_of_place.emulated.time / 1e6, 12);
    const moves = t.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'move' && e.pid < 2);
    expect(moves.length).toBeGreaterThan(0);
    expect(moves.every((e) => e.args?.part === 'ring')).toBe(true);
    expect(moves.some((e) => e.args?.bytes === 2048 / 2)).toBe(true);
    const steps = slicesOf(t, /^measured/);
    expect(steps.length).toBeGreaterThan(0);
    for (const s of steps) expect(s.dur as number).toBeGreaterThan(0);
  });

  it('tp: the largest rank count, every rank emulated, the measured steps beside', () => {
    const trace = join(dir, 'tp.json');
    const out = join(dir, 'tp-out.json');
    const r = fleetlab(
      ...['tp', '--layout', 'mlp', '--ranks', '2', '--m', '4', '--k', '8', '--n', '16'],
      ...['--reps', '1', '--json', out, '--trace', trace],
    );
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(0);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    const row = json.rows.at(-1);
    const t = read(trace);
    const names = expectTraceSchema(t);
    expect(names.get(0)).toBe('rank 0');
    expect(names.get(1)).toBe('rank 1');
    expect(names.get(3)).toMatch(/^measured \(GPU\): all 2 ranks on this one GPU/);
    expect(t.otherData).toMatchObject({ command: 'tp', layout: 'mlp', ranks: 2 });
    expect(t.otherData.total_s as number).toBeCloseTo(row.emulated_s, 12);
    expect(t.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'kernel').length).toBeGreaterThan(
      0,
    );
    const steps = slicesOf(t, /^measured/);
    expect(steps.map((s) => s.args?.phase)).toEqual(
      row.steps.map((s: { phase: string }) => s.phase),
    );
    const sum = steps.reduce((a, s) => a + (s.dur as number), 0) / 1e6;
    expect(sum).toBeCloseTo(row.measured_s, 9);
  });

  it('serve: the iterations and passes on the measured clock, a thread per request', () => {
    const trace = join(dir, 'serve.json');
    const json = join(dir, 'serve-out.json');
    const r = fleetlab(
      ...['serve', '--requests', '3', '--prompt-mean', '4', '--output-mean', '3', '--rate', 'inf'],
      ...['--blocks', '8', '--block-tokens', '4', '--max-batch', '2', '--layers', '1'],
      ...['--json', json, '--trace', trace],
    );
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(0);
    const out = JSON.parse(readFileSync(json, 'utf8'));
    const t = read(trace);
    expect([...expectTraceSchema(t).values()]).toEqual([
      'serving (measured): 1 tensor-parallel rank on this one GPU, each pass timed whole (not per rank)',
      'requests: arrival to first token, then to the last',
    ]);
    const passes = t.traceEvents.filter(
      (e) => e.ph === 'X' && (e.cat === 'prefill' || e.cat === 'decode'),
    );
    expect(passes.map((p) => p.args?.gpu_s)).toEqual(
      out.passes.map((p: { gpu_s: number }) => p.gpu_s),
    );
    const requests = t.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'request');
    expect(new Set(requests.map((e) => e.args?.id))).toEqual(new Set([0, 1, 2]));
  });

  it('a folder that does not exist: exit 2, one line naming the path, no GPU run', () => {
    const bad = join(dir, 'missing', 'trace.json');
    const r = fleetlab('tp', '--layout', 'row', '--trace', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toEqual([
      `fleetlab: --trace '${bad}': cannot write it (its folder does not exist)`,
    ]);
  });
});
