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
    [['calibrate', '--frobnicate'], "fleetlab: Unknown option '--frobnicate'"],
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
