// `fleetlab moe` as a user runs it: a child process on Dawn, the layer checked, its JSON's
// figures consistent with each other, and bad input one line on stderr with exit 2.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = new URL('../../bin/fleetlab.js', import.meta.url).pathname;

function fleetlab(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
}

describe('fleetlab moe', () => {
  it('a skewed layer with dropping: checked, counts that add up, the imbalance priced', () => {
    const trace = join(mkdtempSync(join(tmpdir(), 'fleetlab-moe-')), 'trace.json');
    const r = fleetlab(
      'moe',
      '--ranks',
      '2',
      '--experts',
      '4',
      '--tokens',
      '32',
      '--d',
      '8',
      '--skew',
      '2',
      '--capacity',
      '1',
      '--reps',
      '1',
      '--json',
      '-',
      '--trace',
      trace,
    );
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout.slice(r.stdout.indexOf('\n{') + 1));
    expect(json.check.ok).toBe(true);
    expect(json.check.max_abs_err).toBeLessThanOrEqual(json.check.bound);
    const kept = json.tokens_per_expert.reduce((s: number, c: number) => s + c, 0);
    expect(kept + json.dropped).toBe(32 * 2);
    expect(json.dropped).toBeGreaterThan(0);
    for (const c of json.tokens_per_expert) expect(c).toBeLessThanOrEqual(json.capacity);
    expect(json.imbalance.experts).toBeGreaterThan(1);
    expect(json.alltoall_bytes.dispatch).toBeGreaterThan(0);
    for (const k of ['measured', 'emulated', 'analytic']) expect(json.step_s[k]).toBeGreaterThan(0);
    // The trace: the router's matmuls, then the layer's experts, on the ranks' compute threads.
    const events = JSON.parse(readFileSync(trace, 'utf8')).traceEvents as {
      name: string;
      ph: string;
      pid: number;
      ts: number;
    }[];
    const router = events.filter((e) => e.ph === 'X' && e.name.includes('(router)'));
    const experts = events.filter((e) => e.ph === 'X' && e.name.includes('(expert '));
    expect(router).toHaveLength(2);
    expect(experts.length).toBeGreaterThan(0);
    expect(Math.min(...experts.map((e) => e.ts))).toBeGreaterThanOrEqual(
      Math.max(...router.map((e) => e.ts)),
    );
    expect(r.stdout).toMatch(/^imbalance +experts \d+\.\d\dx, ranks \d+\.\d\dx \(max \/ mean\)$/m);
  });

  it('a layer no plan can have: exit 2, one line naming the value', () => {
    const r = fleetlab('moe', '--ranks', '4', '--experts', '6');
    expect(r.status).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('fleetlab:'));
    expect(lines).toEqual([
      'fleetlab: experts 6 must be a multiple of ranks 4 (E / N experts a rank)',
    ]);
  });
});
