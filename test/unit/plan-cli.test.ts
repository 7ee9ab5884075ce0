// `fleetlab plan`: the text and JSON of small plans (wave sentences, counts, emulated beside
// analytic), and bad options (exit 2, one line naming the value and the limit). No GPU.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runPlan } from '../../src/cli/plan.ts';
import { expectUsageError, runCli } from '../cli-run.ts';

async function plan(args: string): Promise<string[]> {
  const lines: string[] = [];
  await runPlan(args.split(' ').filter(Boolean), (line) => lines.push(line));
  return lines;
}

/** The JSON `--json -` prints after the text, as one block. */
async function planJson(args: string): Promise<Record<string, unknown>> {
  const lines = await plan(`${args} --json -`);
  return JSON.parse(lines.at(-1) as string);
}

describe('fleetlab plan, text', () => {
  it('says who sends which chunk to whom, wave by wave, for a small ring', async () => {
    const lines = await plan('allreduce --algo ring --ranks 4 --count 16 --in-place');
    expect(lines[0]).toBe('plan: allreduce ring, 4 ranks, count 16 (float, 64 B), in place');
    expect(lines).toContain('wave 0: rank 0 sends chunk 0 (16 B) to rank 1, which adds it');
    expect(lines).toContain('wave 2: rank 2 sends chunk 0 (16 B) to rank 3, which adds it');
    expect(lines).toContain('wave 5: rank 3 sends chunk 2 (16 B) to rank 0');
    expect(lines.filter((l) => l.startsWith('wave '))).toHaveLength(24);
    expect(lines).toContain('tasks:         24 (24 moves, 0 kernels) in 6 waves');
    const emulated = lines.find((l) => l.startsWith('emulated:'));
    const analytic = lines.find((l) => l.startsWith('analytic:'));
    expect(emulated).toMatch(/^emulated: +[\d.]+ µs on nvswitch \(event-driven pricer\)$/);
    // On the uniform switch the ring equals its closed form: the same figure printed.
    expect(analytic?.split(/ +/)[1]).toBe(emulated?.split(/ +/)[1]);
    expect(lines.at(-1)).toMatch(/^time taken: +build .* validate .* price .* resident memory /);
  });

  it('out of place starts with each rank copying its input; tp lists its kernels', async () => {
    const ring = await plan('allreduce --ranks 2 --count 8');
    expect(ring).toContain('wave 0: rank 1 copies chunk 1 (32 B) from its send to its recv');
    const tp = await plan('tp --layout mlp --ranks 2 --m 4 --k 8 --n 8 --kernel-time 2us');
    expect(tp).toContain('wave 0: rank 1 runs matmul 4x8x4');
    expect(tp).toContain('wave 1: rank 0 runs bias-gelu 4x4');
    expect(tp.some((l) => l.startsWith('overlap:'))).toBe(true);
  });

  it('a plan that moves nothing says so', async () => {
    const lines = await plan('allreduce --ranks 1 --count 0');
    expect(lines[0]).toBe('plan: allreduce ring, 1 rank, count 0 (float, 0 B), out of place');
    expect(lines).toContain('bytes:         0 B moved; no link carries bytes');
    expect(lines).toContain('emulated:      0 s on nvswitch (event-driven pricer)');
  });

  it('above 16 ranks prints no waves, only the figures', async () => {
    const lines = await plan('allreduce --algo rhd --ranks 32 --count 1024');
    expect(lines.some((l) => l.startsWith('wave '))).toBe(false);
    expect(lines).toContain('(waves as text for up to 16 ranks)');
  });
});

describe('fleetlab plan --json', () => {
  it('carries the counts, the bytes of the busiest link, times and the two faces', async () => {
    const r = await planJson('allreduce --algo ring --ranks 8 --count 8192 --in-place');
    expect(r).toMatchObject({
      command: 'plan',
      collective: 'allreduce',
      algorithm: 'ring',
      ranks: 8,
      count: 8192,
      bytes: 32768,
      fabric: 'nvswitch',
      tasks: 112,
      moves: 112,
      kernels: 0,
      waves: 14,
      critical_path: 14,
      // Every rank's uplink carries 14 chunks of 4096 B.
      bytes_max_link: 14 * 4096,
      links_used: 16,
    });
    const { emulated_s, analytic_s } = r as { emulated_s: number; analytic_s: number };
    expect(Math.abs(emulated_s - analytic_s) / analytic_s).toBeLessThan(1e-12);
    for (const key of ['build_s', 'steps_s', 'graph_s', 'validate_s', 'price_s', 'rss_bytes']) {
      expect(r[key], key).toBeGreaterThanOrEqual(0);
    }
    expect(r.wave_text).toHaveLength(112);
  });

  it('writes a file; a collective without a closed form here gives analytic_s null', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fleetlab-plan-')), 'plan.json');
    await plan(`tp --layout column --ranks 2 --m 4 --k 8 --n 8 --json ${file}`);
    const r = JSON.parse(readFileSync(file, 'utf8'));
    expect(r).toMatchObject({ collective: 'tensor-parallel', kernels: 2, moves: 0, kernel_s: 0 });
    expect(r.analytic_s).toBe(0);
    const bcast = await planJson('broadcast --algo ring --ranks 4 --count 64 --root 2');
    expect(bcast.root).toBe(2);
    expect(typeof bcast.analytic_s).toBe('number');
  });

  it('fleetlab help plan prints the usage', async () => {
    const printed: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      printed.push(String(chunk));
      return true;
    });
    try {
      expect((await runCli('help plan')).code).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(printed.join('')).toMatch(/^usage: fleetlab plan </);
  });
});

describe('fleetlab plan options', () => {
  it.each([
    ['plan', /plan needs a collective \(allreduce, .*\) or tp/],
    ['plan allreduce', /plan allreduce needs --ranks/],
    ['plan allreduce --ranks 0', /--ranks '0' must be at least 1/],
    ['plan allreduce --ranks 5000', /--ranks '5000' must be at most 4096/],
    ['plan allreduce --ranks 4 --count lots', /--count 'lots' is not a count/],
    ['plan allreduce --ranks 4 --algo bogus', /--algo 'bogus' does not apply to allreduce/],
    ['plan allreduce --ranks 4 --root 1', /--root does not apply to allreduce/],
    ['plan broadcast --ranks 4 --root 4', /--root '4' must be below --ranks 4 \(0 to 3\)/],
    ['plan allreduce --ranks 4 --layout mlp', /--layout does not apply to plan allreduce/],
    ['plan allreduce --ranks 4 --fabric moon', /--fabric 'moon' is not one of nvswitch, /],
    ['plan scatter --bogus', /unknown collective 'scatter'/],
    ['plan allreduce --ranks 8K', /--ranks '8K' must be at most 4096/],
    ['plan allreduce --ranks 12 --fabric dgx-h100', /dgx-h100 needs ranks <= 8 or a multiple of 8/],
    ['plan scatter --ranks 4', /unknown collective 'scatter'/],
    ['plan allreduce tp --ranks 4', /plan takes one collective, not 'tp' too/],
    ['plan tp', /plan tp needs --layout \(column, row, mlp, attention\)/],
    ['plan tp --layout diag', /--layout 'diag' is not one of column, row, mlp, attention/],
    ['plan tp --layout row --ranks 65', /--ranks '65' must be at most 64 for plan tp/],
    ['plan tp --layout row --count 4', /--count does not apply to plan tp/],
    ['plan tp --layout row --k 10 --ranks 4', /k = 10 over 4 ranks/],
    ['plan tp --layout row --kernel-time soon', /--kernel-time 'soon' is not a time/],
    ['plan allreduce --ranks 4 --bogus', /bogus/],
  ])('%s exits 2', (args, message) => expectUsageError(args, message));
});
