// `fleetlab tp` as a user runs it: a child process on Dawn, a small MLP swept over N = 1, 2, 4,
// 8, every result checked, the JSON's figures consistent with each other and the Fleet Law.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closedForm } from '../../src/model/closed-forms.ts';

const bin = new URL('../../bin/fleetlab.js', import.meta.url).pathname;

function fleetlab(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
  const stderr = r.stderr.split('\n').filter((l) => l.startsWith('fleetlab:'));
  return { code: r.status, stdout: r.stdout, stderr };
}

interface Row {
  ranks: number;
  wrong: number;
  max_abs_error: number;
  rank_compute_s: number[];
  compute_s: number;
  comm_s: number;
  emulated_s: number;
  measured_s: number;
  eta_emulated: number;
  tax_emulated: number;
  analytic: { compute_s: number; comm_s: number; step_s: number; eta: number };
  steps: { phase: string; emulated_s: number; compute_s: number }[];
}

describe('fleetlab tp', () => {
  it('sweeps an MLP over 1, 2, 4, 8 ranks: checked, timed, eta and tax', () => {
    const json = join(mkdtempSync(join(tmpdir(), 'fleetlab-tp-')), 'tp.json');
    const r = fleetlab(
      'tp',
      '--layout',
      'mlp',
      '--m',
      '16',
      '--k',
      '32',
      '--n',
      '64',
      '--sweep',
      '--reps',
      '2',
      '--fabric',
      '100gbe',
      '--json',
      json,
    );
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# fleetlab tp: MLP Y = GeLU\(X W1 \+ b1\) W2, X 16x32/m);
    expect(r.stdout).toMatch(/^# Out of tolerance values : 0 OK$/m);
    const data = JSON.parse(readFileSync(json, 'utf8'));
    expect(data).toMatchObject({ layout: 'mlp', m: 16, k: 32, n: 64, fabric: '100gbe' });
    const rows = data.rows as Row[];
    expect(rows.map((x) => x.ranks)).toEqual([1, 2, 4, 8]);
    const t1 = (rows[0] as Row).emulated_s;
    for (const row of rows) {
      expect(row.wrong).toBe(0);
      expect(row.rank_compute_s).toHaveLength(row.ranks);
      for (const t of row.rank_compute_s) expect(t).toBeGreaterThan(0);
      // Per kernel step the slowest rank sets the pace: at least the slowest rank's total.
      expect(row.compute_s).toBeGreaterThanOrEqual(Math.max(...row.rank_compute_s) * (1 - 1e-12));
      expect(row.compute_s).toBeCloseTo(
        row.steps.reduce((t, s) => t + s.compute_s, 0),
        12,
      );
      expect(row.emulated_s).toBeCloseTo(row.compute_s + row.comm_s, 12);
      expect(row.eta_emulated).toBeCloseTo(t1 / (row.ranks * row.emulated_s), 12);
      expect(row.tax_emulated).toBeCloseTo(1 - row.eta_emulated, 12);
      expect(row.measured_s).toBeGreaterThan(0);
      // Analytic: T_1 / N + the ring AllReduce of the 16 x 32 float output on 100 GbE.
      const comm =
        row.ranks === 1
          ? 0
          : closedForm('allreduce', 'ring', row.ranks, 4 * 16 * 32, {
              alpha: data.link.alpha_s,
              beta: data.link.beta_Bps,
            }).time;
      expect(row.analytic.comm_s).toBeCloseTo(comm, 15);
      expect(row.analytic.step_s).toBeCloseTo(t1 / row.ranks + comm, 15);
    }
    // N = 1 has nothing to communicate; more ranks on 100 GbE pay a ring's latency.
    expect((rows[0] as Row).comm_s).toBe(0);
    expect((rows[3] as Row).comm_s).toBeGreaterThan(0);
  });

  it('a shape the layout cannot split exits 2 with one line', () => {
    const r = fleetlab('tp', '--layout', 'row', '--ranks', '3', '--k', '16');
    expect(r.code).toBe(2);
    expect(r.stderr).toEqual([
      'fleetlab: row-parallel splits k = 16 over 3 ranks: k must be a multiple of 3',
    ]);
  });
});
