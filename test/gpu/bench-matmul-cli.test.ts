// `fleetlab bench matmul` as a user runs it: a child process, its exit code, stdout and stderr.
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

describe('fleetlab bench matmul', () => {
  it('prints GFLOP/s of both kernels beside the FMA peak and writes JSON', () => {
    const json = join(mkdtempSync(join(tmpdir(), 'fleetlab-')), 'matmul.json');
    const r = fleetlab('bench', 'matmul', '--sizes', '64,3x5x7', '--json', json);
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# FMA peak +\d+\.\d+ GFLOP\/s/m);
    expect(r.stdout).toMatch(/^# Out of tolerance values : 0 OK/m);
    const rows = r.stdout.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    expect(rows.map((l) => l.trim().split(/\s+/).slice(0, 3))).toEqual([
      ['64', '64', '64'],
      ['3', '5', '7'],
    ]);
    const out = JSON.parse(readFileSync(json, 'utf8'));
    expect(out.fma_peak.flops_per_s).toBeGreaterThan(0);
    expect(out.copy_buffer_Bps).toBeGreaterThan(0);
    for (const row of out.results) {
      for (const kernel of ['naive', 'tiled']) {
        expect(row.kernels[kernel].flops_per_s).toBeGreaterThan(0);
        expect(row.kernels[kernel].fraction_of_peak).toBeGreaterThan(0);
        expect(row.kernels[kernel].wrong).toBe(0);
      }
    }
  });

  it.each([
    [['bench', 'matmul', '--sizes', '0'], "fleetlab: --sizes '0': 0 must be from 1 to 65536"],
    [['bench', 'matmul', '--sizes', '12x3'], "fleetlab: --sizes '12x3': '12x3' is neither N nor"],
    [['bench', 'matmul', '--sizes', 'big'], "fleetlab: --sizes 'big': 'big' is not a whole number"],
    [['bench', 'matmul', '--sizes', '64,'], "fleetlab: --sizes '64,' has an empty entry"],
    [['bench', 'matmul', '--bogus'], "fleetlab: unknown option '--bogus'"],
  ])('%j exits 2 with one line on stderr', (args, start) => {
    const r = fleetlab(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toHaveLength(1);
    expect(r.stderr[0]?.startsWith(start)).toBe(true);
  });

  it('help bench mentions matmul', () => {
    const r = fleetlab('help', 'bench');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('fleetlab bench matmul');
  });
});
