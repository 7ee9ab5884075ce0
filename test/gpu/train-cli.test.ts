// `fleetlab dp` and `fleetlab pp` as a user runs them: a child process on Dawn, the step
// checked on every rank, the JSON's figures consistent with each other and with the formulas.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pipelineBubble } from '../../src/model/training.ts';

const bin = new URL('../../bin/fleetlab.js', import.meta.url).pathname;

function fleetlab(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
  const start = r.stdout.indexOf('\n{');
  return { code: r.status, json: JSON.parse(r.stdout.slice(start + 1)), stdout: r.stdout };
}

describe('fleetlab dp and pp', () => {
  it('dp on 3 ranks, a bucket a layer: checked, overlap between 0 and 1, no-overlap no faster', () => {
    const trace = join(mkdtempSync(join(tmpdir(), 'fleetlab-dp-')), 'trace.json');
    const { code, json } = fleetlab(
      'dp',
      '--ranks',
      '3',
      '--layers',
      '3',
      '--d',
      '8',
      '--batch',
      '12',
      '--bucket',
      '1',
      '--reps',
      '1',
      '--json',
      '-',
      '--trace',
      trace,
    );
    expect(code).toBe(0);
    // The trace: a process per rank, and the buckets' AllReduce on the comm threads.
    const events = JSON.parse(readFileSync(trace, 'utf8')).traceEvents as {
      name: string;
      ph: string;
      tid?: number;
      args?: { name?: string };
    }[];
    expect(events.filter((e) => e.name === 'process_name').map((e) => e.args?.name)).toEqual([
      'rank 0',
      'rank 1',
      'rank 2',
      'fabric: switch of 3',
    ]);
    expect(events.some((e) => e.ph === 'X' && e.tid === 1 && /bucket/.test(e.name))).toBe(true);
    expect(json.check.ok).toBe(true);
    expect(json.overlap_fraction).toBeGreaterThan(0);
    expect(json.overlap_fraction).toBeLessThanOrEqual(1);
    expect(json.step_s.emulated_no_overlap).toBeGreaterThanOrEqual(json.step_s.emulated);
    expect(
      Math.abs(json.step_s.analytic - json.step_s.emulated) / json.step_s.emulated,
    ).toBeLessThan(1e-9);
    expect(json.memory_bytes_per_rank.total).toBe(json.memory_formula_bytes.total);
  });

  it('dp with ZeRO 3: a third of the model a rank', () => {
    const { code, json } = fleetlab(
      'dp',
      '--ranks',
      '3',
      '--zero',
      '3',
      '--layers',
      '3',
      '--d',
      '8',
      '--batch',
      '12',
      '--reps',
      '1',
      '--json',
      '-',
    );
    expect(code).toBe(0);
    expect(json.check.ok).toBe(true);
    expect(json.zero).toBe(3);
    expect(Math.abs(json.memory_bytes_per_rank.total - (8 * json.params) / 3)).toBeLessThanOrEqual(
      48,
    );
  });

  it('pp 1f1b on 2 stages and 4 micro-batches: checked, the bubble beside the formula', () => {
    const { code, json } = fleetlab(
      'pp',
      '--stages',
      '2',
      '--microbatches',
      '4',
      '--layers',
      '2',
      '--d',
      '8',
      '--batch',
      '8',
      '--reps',
      '1',
      '--json',
      '-',
    );
    expect(code).toBe(0);
    expect(json.check.ok).toBe(true);
    expect(json.bubble_fraction.analytic).toBeCloseTo(pipelineBubble(2, 4), 12);
    expect(json.bubble_fraction.emulated).toBeGreaterThan(0);
    expect(json.peak_activations_per_stage).toEqual([2, 1]);
    // A straggling last stage (x8): the step takes longer and the first stage waits on it.
    const slow = fleetlab(
      'pp',
      '--stages',
      '2',
      '--microbatches',
      '4',
      '--layers',
      '2',
      '--d',
      '8',
      '--batch',
      '8',
      '--reps',
      '1',
      '--straggler',
      '1:8',
      '--json',
      '-',
    );
    expect(slow.code).toBe(0);
    expect(slow.json.check.ok).toBe(true);
    expect(slow.json.stragglers).toEqual([{ rank: 1, factor: 8 }]);
    expect(slow.json.step_s.emulated).toBeGreaterThan(2 * json.step_s.emulated);
    expect(slow.json.bubble_fraction.emulated).toBeGreaterThan(json.bubble_fraction.emulated);
  });
});
