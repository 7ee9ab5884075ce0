import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../src/cli/args.ts';
import { main } from '../../src/cli/main.ts';
import { runModel } from '../../src/cli/model.ts';

/** Runs `fleetlab model` with `args` and returns what it printed. */
async function model(args: string): Promise<string[]> {
  const lines: string[] = [];
  await runModel(args.split(' ').filter(Boolean), (line) => lines.push(line));
  return lines;
}

async function modelJson(args: string): Promise<Record<string, unknown>> {
  return JSON.parse((await model(`${args} --json`)).join('\n'));
}

const BOOK = '--ranks 8 --bytes 1GB --alpha 5us --beta 50GB/s';

describe('fleetlab model --json', () => {
  it("gives the book's ring AllReduce in seconds, bytes and bytes per second", async () => {
    const r = await modelJson(`allreduce --algo ring ${BOOK}`);
    expect(r).toMatchObject({
      collective: 'allreduce',
      algorithm: 'ring',
      ranks: 8,
      bytes: 1e9,
      alpha: 5e-6,
      beta: 50e9,
      steps: 14,
    });
    expect(r.time).toBeCloseTo(35.07e-3, 15);
    expect(r.latency_term).toBeCloseTo(70e-6, 15);
    expect(r.bandwidth_term).toBeCloseTo(35e-3, 15);
    expect(r.busbw).toBeCloseTo((1e9 / 35.07e-3) * 1.75, 3);
    expect(r.ring_tree_crossover).toBeDefined();
  });

  it('takes units as people write them: 400Gbps is 50 GB/s, 1MiB is 2^20 B', async () => {
    const a = await modelJson('allgather --ranks 4 --bytes 1MiB --alpha 1500ns --beta 400Gbps');
    expect(a).toMatchObject({ algorithm: 'ring', bytes: 2 ** 20, alpha: 1.5e-6, beta: 50e9 });
    expect(a.time).toBeCloseTo(3 * 1.5e-6 + (0.75 * 2 ** 20) / 50e9, 15);
  });

  it('adds the reduction term when gamma is given', async () => {
    const r = await modelJson(`allreduce ${BOOK} --gamma 2ps/B`);
    expect(r.gamma).toBe(2e-12);
    expect(r.reduce_term).toBeCloseTo(1.75e-3, 15);
  });

  it('prices p2p and says which side of n* = alpha beta it is', async () => {
    const r = await modelJson('p2p --bytes 1MB --alpha 5us --beta 50GB/s');
    expect(r).toMatchObject({
      collective: 'p2p',
      ranks: 2,
      regime: 'bandwidth-bound',
    });
    expect(r.crossover_bytes).toBeCloseTo(250e3, 6);
    expect(r.time).toBeCloseTo(25e-6, 15);
    const small = await modelJson('p2p --bytes 1KB --alpha 5us --beta 50GB/s');
    expect(small.regime).toBe('latency-bound');
  });

  it('prices the hierarchical AllReduce per phase', async () => {
    const r = await modelJson(
      'allreduce --algo hierarchical --nodes 4 --ranks-per-node 8 --bytes 1GB ' +
        '--alpha-intra 2us --beta-intra 450GB/s --alpha-inter 5us --beta-inter 50GB/s',
    );
    expect(r).toMatchObject({
      algorithm: 'hierarchical',
      ranks: 32,
      nodes: 4,
      ranks_per_node: 8,
      alpha: { intra: 2e-6, inter: 5e-6 },
      beta: { intra: 450e9, inter: 50e9 },
    });
    const phases = r.phases as Record<string, { time: number }>;
    expect(phases.allreduce_inter?.time).toBeCloseTo(30e-6 + 3.75e-3, 15);
  });

  it('picks the fastest pipeline for the ring broadcast, or takes --chunks', async () => {
    const best = await modelJson(
      'broadcast --algo ring --ranks 8 --bytes 64MiB --alpha 5us --beta 50GB/s',
    );
    expect(best.chunks).toBe(40);
    const four = await modelJson(
      'broadcast --algo ring --ranks 8 --bytes 1GB --alpha 5us --beta 50GB/s --chunks 4',
    );
    expect(four.time).toBeCloseTo(50.05e-3, 15);
  });

  it('defaults to the first algorithm of each collective', async () => {
    expect((await modelJson(`broadcast ${BOOK}`)).algorithm).toBe('tree');
    expect((await modelJson(`alltoall ${BOOK}`)).algorithm).toBe('pairwise');
    expect((await modelJson(`reducescatter ${BOOK}`)).algorithm).toBe('ring');
  });

  it('gives no bandwidths on one rank, where the time is 0', async () => {
    const r = await modelJson('allreduce --ranks 1 --bytes 1GB --alpha 5us --beta 50GB/s');
    expect(r.time).toBe(0);
    expect(r.algbw).toBeUndefined();
  });
});

describe('fleetlab model, human output', () => {
  it('prints the terms with units, algbw and busbw, and the ring/tree crossover', async () => {
    const lines = await model(`allreduce --algo ring ${BOOK}`);
    expect(lines[0]).toBe('# fleetlab model: allreduce ring, 8 ranks');
    expect(lines).toContain("size        1.00 GB (954 MiB), each rank's buffer");
    expect(lines).toContain('alpha       5.00 µs');
    expect(lines).toContain('beta        50.00 GB/s');
    expect(lines).toContain('time        35.1 ms = 70.0 µs latency (14 steps) + 35.0 ms bandwidth');
    expect(lines.join('\n')).toContain('busbw 49.90 GB/s (algbw x 2(n-1)/n, as nccl-tests)');
    expect(lines.join('\n')).toMatch(/ring\/tree {3}tree AllReduce is faster below 471 kB/);
  });

  it('prints the p2p crossover', async () => {
    const lines = await model('p2p --bytes 1MB --alpha 5us --beta 50GB/s');
    expect(lines).toContain('time        25.0 µs = 5.00 µs latency (1 step) + 20.0 µs bandwidth');
    expect(lines.join('\n')).toContain(
      'n* = alpha x beta = 250 kB (244 KiB); below it latency dominates: this message is bandwidth-bound',
    );
  });

  it('prints each phase of the hierarchical AllReduce', async () => {
    const lines = await model(
      'allreduce --algo hierarchical --nodes 2 --ranks-per-node 4 --bytes 1MB ' +
        '--alpha-intra 2us --beta-intra 450GB/s --alpha-inter 5us --beta-inter 50GB/s',
    );
    expect(lines[0]).toBe('# fleetlab model: allreduce hierarchical, 2 nodes x 4 ranks');
    expect(lines.filter((l) => /^ {2}(RS intra|AR inter|AG intra)/.test(l))).toHaveLength(3);
  });
});

describe('fleetlab model refuses bad input with one line', () => {
  it.each([
    ['', 'model needs a collective or p2p'],
    ['gather --ranks 4', "unknown collective 'gather'"],
    ['allreduce allgather', "model takes one collective, not 'allgather' too"],
    ['allreduce --ranks 0 --bytes 1MB --alpha 1us --beta 1GB/s', "--ranks '0' must be at least 1"],
    [
      'allreduce --ranks=-4 --bytes 1MB --alpha 1us --beta 1GB/s',
      "--ranks '-4' must be at least 1",
    ],
    ['allreduce --ranks 2.5 --bytes 1MB --alpha 1us --beta 1GB/s', "--ranks '2.5'"],
    [
      'allreduce --algo ring2 --ranks 4',
      "--algo 'ring2' does not apply to allreduce (algorithms: ring, tree, dbtree, rhd, direct, hierarchical)",
    ],
    [
      'broadcast --algo rhd --ranks 4',
      "--algo 'rhd' does not apply to broadcast (algorithms: tree, ring)",
    ],
    [
      'alltoall --algo rhd --ranks 4',
      "--algo 'rhd' does not apply to alltoall (algorithms: pairwise)",
    ],
    ['allreduce --algo rhd --ranks 6 --chunks 4', '--chunks does not apply to allreduce rhd'],
    ['allgather --algo rhd --ranks 4 --gamma 1ps/B', '--gamma does not apply to allgather rhd'],
    ['allreduce --ranks 4 --gamma 1e-12', "--gamma '1e-12' needs a unit: 1e-12s/B, 1e-12ps/B"],
    ['allreduce --ranks 4 --alpha 1.5', "--alpha '1.5' needs a unit: 1.5s, 1.5ms, 1.5us"],
    ['allreduce --ranks 4 --beta 140e9', "--beta '140e9' needs a unit: 140e9GB/s"],
    [
      'allreduce --ranks 4 --bytes 1Gb',
      "--bytes '1Gb': 'Gb' is bits, and --bytes is a size in bytes: write 1GB",
    ],
    ['allreduce --ranks 1e20', "--ranks '1e20' must be at most 1073741824"],
    ['allreduce --ranks 4 --ranks 8', "--ranks is given twice ('4' and '8'): give it once"],
    ['allreduce --ranks', '--ranks needs a value'],
    [
      'allreduce --ranks --json',
      "--ranks needs a value (a whole number: 8, 4K = 4096 (K/M/G = 2^10...), 1e6; 1 to 1073741824), not the option '--json'",
    ],
    ['scatter --bogus', "unknown collective 'scatter'"],
    ['allreduce --ranks 4 --nodes 2', '--nodes does not apply to allreduce ring'],
    ['allreduce --ranks 4 --bytes 1MB --alpha 1us', 'allreduce ring needs --beta'],
    [
      'allreduce --ranks 4 --bytes 1MB --alpha 1us --beta 1GB/s us',
      "model takes one collective, not 'us' too",
    ],
    [
      'allreduce --ranks 4 --bytes 1Mb/s --alpha 1us --beta 1GB/s',
      "--bytes '1Mb/s' is a rate, and --bytes takes a size",
    ],
    [
      'allreduce --ranks 4 --bytes 1MB --alpha 1lightyear --beta 1GB/s',
      "--alpha '1lightyear' is not a time",
    ],
    ['allreduce --ranks 4 --bytes 1MB --alpha 1us --beta 1GB', "--beta '1GB' is not a bandwidth"],
    ['allreduce --ranks 4 --bytes 1MB --alpha 1us --beta 0GB/s', 'must be more than 0 B/s'],
    ['p2p --ranks 2 --bytes 1MB', '--ranks does not apply to p2p'],
    [
      'allreduce --algo hierarchical --nodes 2 --ranks-per-node 4 --alpha 1us',
      '--alpha does not apply to hierarchical allreduce',
    ],
    [
      'allreduce --algo hierarchical --nodes 2 --ranks-per-node 4 --ranks 6 --bytes 1MB',
      '--ranks 6 is not --nodes 2 x --ranks-per-node 4 = 8',
    ],
    [
      'allreduce --algo hierarchical --nodes 2 --bytes 1MB',
      'hierarchical allreduce needs --ranks-per-node',
    ],
    [
      'broadcast --algo ring --ranks 4 --bytes 1MB --alpha 1us --beta 1GB/s --chunks 0',
      "--chunks '0'",
    ],
  ])('%j', async (args, message) => {
    const run = model(args).catch((e: unknown) => e);
    const error = await run;
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain(message);
  });

  it('names an unknown option, and reads a negative value as a value (never "ambiguous")', async () => {
    await expect(model('allreduce --ranks 4 --bogus')).rejects.toThrow(
      "unknown option '--bogus' for fleetlab model",
    );
    await expect(model('allreduce --ranks -4')).rejects.toThrow("--ranks '-4' must be at least 1");
    await expect(model('allreduce --ranks -4')).rejects.toBeInstanceOf(UsageError);
  });

  it('exits 2 through main with one line on stderr', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['model', 'allreduce', '--ranks', '0'])).toBe(2);
      expect(stderr.mock.calls).toEqual([["fleetlab: --ranks '0' must be at least 1\n"]]);
    } finally {
      stderr.mockRestore();
    }
  });
});

describe('the fleetlab command', () => {
  it('runs model as a subprocess', () => {
    const bin = resolve(import.meta.dirname, '../../bin/fleetlab.js');
    const ok = spawnSync(
      process.execPath,
      [bin, 'model', 'p2p', '--bytes', '1MB', '--alpha', '5us', '--beta', '50GB/s', '--json'],
      { encoding: 'utf8', timeout: 25_000 },
    );
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).crossover_bytes).toBeCloseTo(250e3, 6);
    const bad = spawnSync(process.execPath, [bin, 'model', 'allreduce', '--ranks', '0'], {
      encoding: 'utf8',
      timeout: 25_000,
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe("fleetlab: --ranks '0' must be at least 1\n");
  }, 30_000);
});
