// `fleetlab serve` as a user runs it: a tiny workload on Dawn, every request completed, the
// JSON keys the issue names, the model beside the measured decode passes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = new URL('../../bin/fleetlab.js', import.meta.url).pathname;

describe('fleetlab serve', () => {
  it.each(['static', 'continuous'])(
    '%s: completes the workload and reports its metrics',
    (scheduler) => {
      const json = join(mkdtempSync(join(tmpdir(), 'fleetlab-serve-')), 'serve.json');
      const r = spawnSync(
        process.execPath,
        [
          bin,
          'serve',
          '--scheduler',
          scheduler,
          '--requests',
          '6',
          '--prompt-mean',
          '6',
          '--output-mean',
          '6',
          '--rate',
          'inf',
          '--blocks',
          '12',
          '--block-tokens',
          '4',
          '--max-batch',
          '4',
          '--layers',
          '1',
          '--ranks',
          '2',
          '--json',
          json,
        ],
        { encoding: 'utf8', timeout: 120_000 },
      );
      expect(r.stderr.split('\n').filter((l) => l.startsWith('fleetlab:'))).toEqual([]);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/requests completed\s+6 of 6/);
      const out = JSON.parse(readFileSync(json, 'utf8'));
      expect(out).toMatchObject({ scheduler, ranks: 2, requests_completed: 6 });
      expect(out.tokens_per_s).toBeGreaterThan(0);
      for (const key of ['ttft_s', 'tpot_s']) {
        expect(out[key].p50).toBeGreaterThan(0);
        expect(out[key].p99).toBeGreaterThanOrEqual(out[key].p50);
      }
      expect(out.kv_utilization).toBeGreaterThan(0);
      expect(out.kv_utilization).toBeLessThanOrEqual(1);
      expect(out.preemptions).toBeGreaterThanOrEqual(0);
      if (scheduler === 'static') expect(out.preemptions).toBe(0);
      expect(out.model.latency_s).toBeGreaterThanOrEqual(0);
      expect(out.model.kv_bytes_per_token).toBe(2 * 1 * 2 * 16 * 4);
      const decodes = out.passes.filter((p: { kind: string }) => p.kind === 'decode');
      expect(decodes.length).toBeGreaterThan(0);
      expect(Number.isFinite(out.model.error.median_abs)).toBe(true);
      expect(Number.isFinite(out.model.with_rows_error.median_abs)).toBe(true);
      expect(out.model.with_rows.row_s).toBeGreaterThanOrEqual(0);
      expect(r.stdout).toMatch(/^# with a term per row/m);
    },
  );
});
