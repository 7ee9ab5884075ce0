import { describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../src/cli/args.ts';
import { main } from '../../src/cli/main.ts';
import { runModel } from '../../src/cli/model.ts';
import {
  continuousBatchingGain,
  kvBytesPerToken,
  kvTotalBytes,
  pagedKv,
} from '../../src/model/kv-cache.ts';

const LLAMA2_7B = { layers: 32, kvHeads: 32, headDim: 128, dtypeBytes: 2 };

describe('KV cache arithmetic', () => {
  it("gives Llama-2-7B's 2 x 32 x 32 x 128 x 2 B = 512 KiB per token", () => {
    expect(kvBytesPerToken(LLAMA2_7B)).toBe(524_288);
    // 4096 tokens x 8 sequences: 16 GiB.
    expect(kvTotalBytes(524_288, 4096, 8)).toBe(16 * 2 ** 30);
  });

  it('shrinks by the KV-head ratio under GQA (Llama-2-70B: 8 KV heads of 64)', () => {
    expect(kvBytesPerToken({ layers: 80, kvHeads: 8, headDim: 128, dtypeBytes: 2 })).toBe(327_680);
    expect(kvBytesPerToken({ ...LLAMA2_7B, dtypeBytes: 0.5 })).toBe(131_072);
  });

  it.each([
    [1, 16, 15 / 16],
    [15, 16, 1 / 16],
    [16, 16, 0],
    [17, 32, 15 / 32],
    [100, 112, 12 / 112],
  ])('pages %i tokens into %i slots, waste %d', (tokens, padded, waste) => {
    const p = pagedKv(1000, tokens, 3);
    expect(p.padded_tokens).toBe(padded);
    expect(p.blocks).toBe(padded / 16);
    expect(p.paged_bytes).toBe(1000 * padded * 3);
    expect(p.waste_fraction).toBeCloseTo(waste, 15);
  });

  it('estimates the continuous-batching gain as 1 + CV^2 / 2', () => {
    expect(continuousBatchingGain(0)).toBe(1);
    expect(continuousBatchingGain(1)).toBe(1.5);
    expect(continuousBatchingGain(2)).toBe(3);
  });

  it.each([
    [() => kvBytesPerToken({ ...LLAMA2_7B, layers: 0 }), 'layers 0 must be a whole number from 1'],
    [() => kvBytesPerToken({ ...LLAMA2_7B, kvHeads: 2.5 }), 'KV heads 2.5 must be a whole number'],
    [
      () => kvBytesPerToken({ ...LLAMA2_7B, dtypeBytes: 0 }),
      'bytes per element 0 must be a number > 0',
    ],
    [() => kvTotalBytes(100, 1.5), 'tokens 1.5 must be a whole number from 1'],
    [() => kvTotalBytes(100, 10, 0), 'batch 0 must be a whole number from 1'],
    [() => pagedKv(100, 10, 1, 0), 'block tokens 0 must be a whole number from 1'],
    [() => continuousBatchingGain(-1), 'coefficient of variation -1 must be a number >= 0'],
  ])('refuses bad input %#', (f, message) => {
    expect(f).toThrow(RangeError);
    expect(f).toThrow(message);
  });
});

async function model(args: string): Promise<string[]> {
  const lines: string[] = [];
  await runModel(args.split(' ').filter(Boolean), (line) => lines.push(line));
  return lines;
}

const SHAPE = '--layers 32 --kv-heads 32 --head-dim 128 --dtype-bytes 2';

describe('fleetlab model kvcache', () => {
  it('prints bytes per token and the total as JSON', async () => {
    const r = JSON.parse(
      (await model(`kvcache ${SHAPE} --tokens 100 --batch 4 --json`)).join('\n'),
    );
    expect(r).toEqual({
      layers: 32,
      kv_heads: 32,
      head_dim: 128,
      dtype_bytes: 2,
      bytes_per_token: 524_288,
      tokens: 100,
      batch: 4,
      total_bytes: 524_288 * 400,
      block_tokens: 16,
      padded_tokens: 112,
      paged_bytes: 524_288 * 448,
      waste_fraction: 12 / 112,
    });
    const perToken = JSON.parse((await model(`--json kvcache ${SHAPE}`)).join('\n'));
    expect(perToken).toMatchObject({ bytes_per_token: 524_288, block_tokens: 16 });
    expect(perToken.total_bytes).toBeUndefined();
    const blocks = JSON.parse(
      (await model(`kvcache ${SHAPE} --tokens 100 --block-tokens 32 --json`)).join('\n'),
    );
    expect(blocks).toMatchObject({ padded_tokens: 128, total_bytes: 52_428_800 });
  });

  it('prints each number with its unit, GB = 1e9 B beside GiB = 2^30 B', async () => {
    expect(await model(`kvcache ${SHAPE} --tokens 4096 --batch 8`)).toEqual([
      '# fleetlab model: KV cache, 32 layers x 32 KV heads x 128 head dim x 2 B',
      'per token   524288 B (524 kB, 512 KiB) = 2 (K, V) x 32 x 32 x 128 x 2 B',
      'total       17179869184 B (17.2 GB, 16 GiB) = per token x 4096 tokens x 8 sequences',
      'paged       17179869184 B (17.2 GB, 16 GiB) in 16-token blocks: 4096 slots per sequence, 0.00 % empty ((S_pad - S) / S_pad)',
    ]);
    const small = await model(
      'kvcache --layers 1 --kv-heads 1 --head-dim 4 --dtype-bytes 1 --tokens 17',
    );
    expect(small[1]).toBe('per token   8 B = 2 (K, V) x 1 x 1 x 4 x 1 B');
    expect(small[3]).toBe(
      'paged       256 B in 16-token blocks: 32 slots per sequence, 46.88 % empty ((S_pad - S) / S_pad)',
    );
  });

  it.each([
    ['kvcache --kv-heads 2 --head-dim 8 --dtype-bytes 2', 'model kvcache needs --layers'],
    [`kvcache ${SHAPE.replace('--layers 32', '--layers 0')}`, "--layers '0' must be at least 1"],
    [
      `kvcache ${SHAPE.replace('--dtype-bytes 2', '--dtype-bytes 3')}`,
      "--dtype-bytes '3' is not one of 0.5, 1, 2, 4, 8",
    ],
    [`kvcache ${SHAPE} --batch 4`, '--batch needs --tokens'],
    [`kvcache ${SHAPE} --tokens 0`, "--tokens '0' must be at least 1"],
    [`kvcache ${SHAPE} --tokens 10 --block-tokens 0`, "--block-tokens '0' must be at least 1"],
    [`kvcache ${SHAPE} extra`, "model kvcache takes no 'extra'"],
  ])('refuses %j', async (args, message) => {
    const error = await model(args).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain(message);
  });

  it('exits 2 through main with one line on stderr', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['model', 'kvcache', '--layers', '32', '--kv-heads', '0'])).toBe(2);
      expect(await main(['model', 'kvcache', ...SHAPE.split(' '), '--ranks', '2'])).toBe(2);
      const lines = stderr.mock.calls.map((call) => String(call[0]));
      expect(lines[0]).toBe("fleetlab: --kv-heads '0' must be at least 1\n");
      expect(lines[1]).toBe(
        "fleetlab: unknown option '--ranks' for fleetlab model kvcache (fleetlab model kvcache --help lists them)\n",
      );
      expect(lines).toHaveLength(2);
    } finally {
      stderr.mockRestore();
    }
  });

  it('leaves the collectives as they were', async () => {
    const lines = await model('p2p --bytes 1MB --alpha 5us --beta 50GB/s');
    expect(lines).toContain('time        25.0 µs = 5.00 µs latency (1 step) + 20.0 µs bandwidth');
    const error = await model('kvcachex --ranks 2').catch((e: unknown) => e);
    expect((error as Error).message).toContain("unknown collective 'kvcachex'");
  });
});
