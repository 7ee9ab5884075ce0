// nccl-tests output read back (src/model/nccl-tests.ts): every layout generation in
// test/fixtures/nccl-tests/ (see its README), each fixture's known alpha and beta found by the
// fit, prefixes, INFO lines, N/A and several runs handled; bad input one line naming the line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { fittedSeconds, parseNcclTests } from '../../src/model/nccl-tests.ts';

const dir = join(import.meta.dirname, '../fixtures/nccl-tests');
const read = (name: string) => parseNcclTests(readFileSync(join(dir, name), 'utf8'), name);

describe('nccl-tests output', () => {
  it.each([
    ['modern-allreduce-8.txt', 'allreduce', 8, 12, 2e-6, 100e9],
    ['mpirun-prefixed-allgather-4.txt', 'allgather', 4, 7, 5e-6, 25e9],
    ['old-error-column-reducescatter-2.txt', 'reducescatter', 2, 7, 8e-6, 12e9],
    ['no-redop-allgather-4.txt', 'allgather', 4, 11, 10e-6, 10e9],
  ] as const)(
    '%s: %s on %i ranks, %i rows, alpha and beta found',
    (file, collective, ranks, rows, alpha, beta) => {
      const [run, ...more] = read(file);
      expect(more).toEqual([]);
      expect(run).toMatchObject({ collective, ranks, source: file });
      expect(run?.rows).toHaveLength(rows);
      const fit = run?.fit as { alpha_s: number; beta_Bps: number; r2: number; form: string };
      expect(fit.form).toBe('ring');
      // The fixtures' times carry up to 1.2 % of jitter.
      expect(Math.abs(fit.alpha_s - alpha) / alpha).toBeLessThan(0.05);
      expect(Math.abs(fit.beta_Bps - beta) / beta).toBeLessThan(0.03);
      expect(fit.r2).toBeGreaterThan(0.99);
    },
  );

  it('reads every column of a row; zero-size rows are kept but not fitted', () => {
    const [run] = read('modern-allreduce-8.txt');
    const zero = run?.rows[0];
    expect(zero).toMatchObject({ size_B: 0, count: 0, type: 'float', redop: 'sum', root: -1 });
    expect(zero?.oop).toEqual({ time_us: 0.12, algbw: 0, busbw: 0, wrong: 0 });
    expect(run && fittedSeconds(run, 0)).toBeUndefined();
    expect(run?.avg_busbw).toBeCloseTo(21.3472, 10);
    const big = run?.rows.at(-1);
    expect(big?.size_B).toBe(8 * 2 ** 20);
    expect(big?.count).toBe(2 * 2 ** 20);
  });

  it('old generations: no root is -1, no redop is none, the error column is #wrong, N/A is null', () => {
    const [old] = read('old-error-column-reducescatter-2.txt');
    expect(old?.rows[0]).toMatchObject({ root: -1, redop: 'sum' });
    expect(old?.rows[0]?.oop.wrong).toBe(0);
    const [noRedop] = read('no-redop-allgather-4.txt');
    expect(noRedop?.rows[0]?.redop).toBe('none');
    expect(noRedop?.rows.at(-1)?.ip).toEqual({
      time_us: null,
      algbw: null,
      busbw: null,
      wrong: null,
    });
  });

  it('mpirun prefixes and NCCL INFO lines between rows; ranks from nranks', () => {
    const [run] = read('mpirun-prefixed-allgather-4.txt');
    expect(run?.ranks).toBe(4);
    expect(run?.rows.map((r) => r.size_B)).toEqual([
      1024, 4096, 16384, 65536, 262144, 1048576, 4194304,
    ]);
  });

  it('two runs in one file with srun labels: each its collective, ranks and fit', () => {
    const runs = read('srun-two-runs-16.txt');
    expect(runs.map((r) => [r.collective, r.ranks, r.rows.length])).toEqual([
      ['allreduce', 16, 7],
      ['alltoall', 16, 4],
    ]);
    const a2a = runs[1]?.fit as { alpha_s: number; beta_Bps: number; form: string };
    expect(a2a.form).toBe('pairwise');
    expect(Math.abs(a2a.alpha_s - 6e-6) / 6e-6).toBeLessThan(0.05);
    expect(Math.abs(a2a.beta_Bps - 20e9) / 20e9).toBeLessThan(0.03);
  });

  it('the caller can give the ranks; without a count the fit is the plain line and says so', () => {
    const text = readFileSync(join(dir, 'old-error-column-reducescatter-2.txt'), 'utf8').replace(
      /^# +Rank.*$/gm,
      '',
    );
    const [bare] = parseNcclTests(text, 'bare.txt');
    expect(bare?.ranks).toBeNull();
    expect(bare?.fit).toMatchObject({ form: 'line' });
    expect(bare?.fit).toMatchObject({ note: expect.stringMatching(/give --ranks/) });
    const [given] = parseNcclTests(text, 'bare.txt', { ranks: 2 });
    expect(given?.fit).toMatchObject({ form: 'ring' });
  });

  it.each([
    ['bad-row.txt', 'bad-row.txt:16: a row of 7 fields where the column header has 13'],
    ['no-table.txt', 'no-table.txt: no nccl-tests table found'],
  ])('%s: an error naming the line', (file, message) => {
    expect(() => read(file)).toThrow(message);
  });

  it('a value that is not a number is named with its line', () => {
    const text = readFileSync(join(dir, 'modern-allreduce-8.txt'), 'utf8').replace(
      '28.00',
      '28.0x',
    );
    expect(() => parseNcclTests(text, 'x.txt')).toThrow(
      /x\.txt:\d+: time '28\.0x' is not a number/,
    );
  });
});

describe('fleetlab import nccl-tests', () => {
  async function run(...args: string[]) {
    const out: string[] = [];
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const std = vi.spyOn(process.stdout, 'write').mockImplementation((c) => {
      out.push(String(c));
      return true;
    });
    try {
      const code = await main(['import', ...args]);
      return { code, stdout: out.join(''), stderr: err.mock.calls.map((c) => String(c[0])) };
    } finally {
      err.mockRestore();
      std.mockRestore();
    }
  }

  it("prints fleetlab's table with the fit and each row's error; --json - gives one object a run", async () => {
    const r = await run('nccl-tests', join(dir, 'modern-allreduce-8.txt'), '--json', '-');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /# fit {9}alpha 2\.\d+ µs, beta \d+\.\d+ GB\/s, R\^2 0\.99\d\d \(the ring closed form on 8 ranks\)/,
    );
    expect(r.stdout).toMatch(
      /#\s+size\s+count\s+type\s+redop\s+root\s+time\s+algbw\s+busbw\s+#wrong\s+fit\s+err/,
    );
    const json = JSON.parse(r.stdout.slice(r.stdout.indexOf('\n{') + 1));
    expect(json).toMatchObject({ collective: 'allreduce', ranks: 8, avg_busbw: 21.3472 });
    expect(json.rows[1]).toMatchObject({
      size_B: 8,
      count: 2,
      type: 'float',
      redop: 'sum',
      root: -1,
    });
    expect(json.fit.r2).toBeGreaterThan(0.99);
  });

  it('several files or runs give an array', async () => {
    const r = await run(
      'nccl-tests',
      join(dir, 'srun-two-runs-16.txt'),
      join(dir, 'no-redop-allgather-4.txt'),
      '--json',
      '-',
    );
    const json = JSON.parse(r.stdout.slice(r.stdout.indexOf('\n[') + 1));
    expect(json.map((x: { collective: string }) => x.collective)).toEqual([
      'allreduce',
      'alltoall',
      'allgather',
    ]);
  });

  it.each([
    [['nccl-tests', join(dir, 'bad-row.txt')], 'a row of 7 fields'],
    [['nccl-tests', join(dir, 'nope.txt')], "cannot read '"],
    [['nccl'], "import reads nccl-tests output, not 'nccl'"],
    [['nccl-tests'], 'import needs what to read and a file'],
  ])('%j exits 2 with one line', async (args, message) => {
    const r = await run(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toHaveLength(1);
    expect(r.stderr[0]).toContain(message);
  });
});
