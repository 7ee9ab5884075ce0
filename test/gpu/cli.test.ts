// The `fleetlab` command as a user runs it: a child process, its exit code, stdout and stderr.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = new URL('../../bin/fleetlab.js', import.meta.url).pathname;

function fleetlab(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
  // Dawn and SwiftShader print driver notes on stderr; keep fleetlab's own lines.
  const stderr = r.stderr.split('\n').filter((l) => l.startsWith('fleetlab:'));
  return { code: r.status, stdout: r.stdout, stderr };
}

describe('fleetlab calibrate', () => {
  it('prints the table and writes the JSON the model calibrates from', () => {
    const json = join(mkdtempSync(join(tmpdir(), 'fleetlab-')), 'out.json');
    const r = fleetlab('calibrate', '-b', '4K', '-e', '16K', '--json', json);
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# adapter /m);
    expect(r.stdout).toMatch(/^# timestamps /m);
    const rows = r.stdout.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    expect(rows.map((l) => l.trim().split(/\s+/)[0])).toEqual(['4096', '8192', '16384']);
    const out = JSON.parse(readFileSync(json, 'utf8'));
    expect(Object.keys(out)).toEqual(
      expect.arrayContaining(['adapter', 'limits', 'timestamp', 'sizes', 'dispatch_latency_s']),
    );
    expect(out.sizes.map((s: { bytes: number }) => s.bytes)).toEqual([4096, 8192, 16384]);
    for (const s of out.sizes) {
      for (const key of ['copy_buffer_Bps', 'copy_kernel_Bps', 'reduce_kernel_Bps']) {
        expect(s[key]).toBeGreaterThan(0);
      }
    }
    expect(out.limits.maxBufferSize).toBeGreaterThan(0);
    expect(out.dispatch_latency_s).toBeGreaterThan(0);
  });

  it.each([
    [['calibrate', '-e', 'lots'], "fleetlab: --max-bytes 'lots' is not a size"],
    [['calibrate', '--frobnicate'], "fleetlab: unknown option '--frobnicate'"],
    [['calibrate', '-e', '64G'], 'fleetlab: --max-bytes is 68719476736 B, beyond this device'],
    [['bogus'], "fleetlab: unknown command 'bogus'"],
  ])('%j exits 2 with one line on stderr', (args, start) => {
    const r = fleetlab(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toHaveLength(1);
    expect(r.stderr[0]?.startsWith(start)).toBe(true);
  });

  it('help exits 0 and lists the options', () => {
    const r = fleetlab('help', 'calibrate');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--max-bytes');
  });
});

describe('fleetlab bench', () => {
  it('prints nccl-tests tables with model columns, checks every value, writes -J style JSON', () => {
    const json = join(mkdtempSync(join(tmpdir(), 'fleetlab-')), 'bench.json');
    const r = fleetlab(
      'bench',
      'allreduce',
      '-g',
      '4',
      '-b',
      '4K',
      '-e',
      '8K',
      '-n',
      '2',
      '--algo',
      'ring',
      '--fabric',
      'nvswitch',
      '--json',
      json,
    );
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^#\s+size\s+count\s+type\s+redop\s+root\s+time\s+algbw\s+busbw\s+#wrong\s+median\s+model\s+err\s+emulated\s+analytic/m,
    );
    expect(r.stdout).toContain('# Out of bounds values : 0 OK');
    expect(r.stdout).toMatch(/^# Avg bus bandwidth {4}: \d+\.\d+ GB\/s$/m);
    const rows = r.stdout.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    expect(rows.map((l) => l.trim().split(/\s+/).slice(0, 5))).toEqual([
      ['4096', '1024', 'float', 'sum', '-1'],
      ['8192', '2048', 'float', 'sum', '-1'],
    ]);
    const out = JSON.parse(readFileSync(json, 'utf8'));
    expect(out.results).toHaveLength(2);
    const first = out.results[0];
    expect(first).toMatchObject({
      collective: 'allreduce',
      algorithm: 'ring',
      ranks: 4,
      size: 4096,
      count: 1024,
      type: 'float',
      redop: 'sum',
      root: -1,
    });
    for (const p of [first.out_of_place, first.in_place]) {
      expect(p.nwrong).toBe(0);
      for (const key of ['time', 'alg_bw', 'bus_bw', 'traffic_bytes', 'roofline_fraction'])
        expect(p[key]).toBeGreaterThan(0);
      expect(p.model.time).toBeGreaterThan(0);
      expect(p.emulated.fabric).toBe('nvswitch');
    }
    // busbw = algbw x 2(n-1)/n for AllReduce.
    expect(first.out_of_place.bus_bw).toBeCloseTo(first.out_of_place.alg_bw * 1.5, 10);
    expect(first.model.time).toBe(first.out_of_place.model.time);
  });

  it('bench alltoallv: a skewed split, checked, out of place only (in place N/A)', () => {
    const r = fleetlab(
      'bench',
      'alltoallv',
      '-g',
      '4',
      '-b',
      '4K',
      '-e',
      '4K',
      '-n',
      '1',
      '--skew',
      '1',
      '--algo',
      'pairwise',
      '--fabric',
      'nvswitch',
      '--json',
      '-',
    );
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(0);
    const text = r.stdout.slice(0, r.stdout.indexOf('\n{'));
    expect(text).toContain('# Out of bounds values : 0 OK');
    expect(text).toMatch(/share 1\/\(j\+1\)\^1 of them/);
    const row = text.split('\n').find((l) => /^\s+4096\s/.test(l)) ?? '';
    expect(row.trim().split(/\s+/).slice(-9)).toEqual(Array.from({ length: 9 }, () => 'N/A'));
    const out = JSON.parse(r.stdout.slice(r.stdout.indexOf('\n{')));
    const [first] = out.results;
    expect(first).toMatchObject({ collective: 'alltoallv', algorithm: 'pairwise', count: 1024 });
    expect(first.in_place).toBeUndefined();
    expect(first.out_of_place.nwrong).toBe(0);
    expect(first.out_of_place.emulated.analytic_time).toBeGreaterThan(0);
  });

  it('fails the --min-busbw gate with exit 1 and says why', () => {
    const r = fleetlab(
      'bench',
      'allgather',
      '-g',
      '2',
      '-b',
      '4K',
      '-e',
      '4K',
      '-n',
      '1',
      '--min-busbw',
      '100000GB/s',
    );
    expect(r.code).toBe(1);
    expect(r.stderr[0]).toMatch(
      /^fleetlab: average bus bandwidth .* GB\/s is below --min-busbw 100000\.000 GB\/s$/,
    );
  });

  it.each([
    [['bench', 'allsum'], "fleetlab: unknown collective 'allsum'"],
    [['bench', 'allreduce', '-g', '0'], "fleetlab: --ranks '0' must be at least 1"],
    [['bench', 'allreduce', '-g', '300'], "fleetlab: --ranks '300' must be at most 256"],
    [
      ['bench', 'allreduce', '--algo', 'hypercube'],
      "fleetlab: unknown algorithm 'hypercube' for allreduce",
    ],
    [
      ['bench', 'allreduce', '-d', 'double'],
      "fleetlab: --datatype 'double' is not one of float, int32",
    ],
    [
      ['bench', 'allreduce', '-e', '2G', '-g', '8'],
      "fleetlab: one rank's send buffer (536870912 float) is 2147483648 B, beyond this device's",
    ],
    [
      ['bench', 'allreduce', '--fabric', 'warp'],
      "fleetlab: --fabric 'warp' is not one of nvswitch",
    ],
    [
      ['bench', 'broadcast', '-g', '4', '-r', '4'],
      "fleetlab: --root '4' must be below --ranks 4 (0 to 3)",
    ],
  ])('%j exits 2 with one line on stderr', (args, start) => {
    const r = fleetlab(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toHaveLength(1);
    expect(r.stderr[0]?.startsWith(start)).toBe(true);
  });
});
