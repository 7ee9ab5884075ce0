// `fleetlab model moe`: the book's sizing of the MoE all-to-all (BOOK-EXAMPLES.md example 11),
// its JSON, and one clear line (exit 2) for every input no layer has.
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { runModel } from '../../src/cli/model.ts';
import { moeSizing } from '../../src/model/moe.ts';

const BOOK =
  'moe --tokens 4096 --ranks 8 --hidden 2048 --dtype-bytes 2 --experts 64 --alpha 3us --beta 50GB/s';

async function model(args: string): Promise<string[]> {
  const lines: string[] = [];
  await runModel(args.split(' ').filter(Boolean), (line) => lines.push(line));
  return lines;
}

/** What main writes on stderr and returns, for argv that must fail. */
async function fails(args: string): Promise<{ code: number; lines: string[] }> {
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    const code = await main(['model', ...args.split(' ').filter(Boolean)]);
    return { code, lines: stderr.mock.calls.map((c) => String(c[0])) };
  } finally {
    stderr.mockRestore();
    stdout.mockRestore();
  }
}

describe('fleetlab model moe', () => {
  it("reproduces the book's example 11 (4096 tokens, 8 GPUs, H 2048 BF16, 64 experts)", async () => {
    const r = JSON.parse((await model(`${BOOK} --json`)).join('\n'));
    expect(r).toMatchObject({
      tokens: 4096,
      ranks: 8,
      hidden: 2048,
      dtypeBytes: 2,
      experts: 64,
      topK: 1,
      alpha_s: 3e-6,
      beta_Bps: 50e9,
      tokens_per_rank: 512,
      bytes_per_token: 4096,
      tokens_per_expert: 64,
      bytes_per_transfer: 262_144,
      bytes_sent_per_rank: 7 * 262_144,
    });
    // The book rounds 262 144 B / 50 GB/s = 5.24 µs to 5 µs: 8 µs a transfer, 56 µs serialized.
    expect(r.transfer_s).toBeCloseTo(3e-6 + 262_144 / 50e9, 15);
    expect(r.transfer_s).toBeCloseTo(8e-6, 6);
    expect(r.serialized_s).toBeCloseTo(7 * r.transfer_s, 15);
    expect(r.serialized_s).toBeCloseTo(56e-6, 5);
    expect(r.parallel_s).toBe(r.transfer_s);
    expect(r.dispatch_combine_s).toBe(2 * r.parallel_s);
  });

  it('prints each quantity with its unit and formula', async () => {
    const text = (await model(BOOK)).join('\n');
    expect(text).toMatch(/tokens\/rank +512 = T \/ N/);
    expect(text).toMatch(/bytes\/transfer +262144 B \[262 kB \(256 KiB\)\]/);
    expect(text).toMatch(/transfer +8\.24 µs/);
    expect(text).toMatch(/serialized +57\.7 µs = 7 transfers/);
  });

  it('top-k copies each token k times: twice the bytes a transfer at k = 2', () => {
    const base = {
      tokens: 4096,
      ranks: 8,
      hidden: 2048,
      dtypeBytes: 2,
      experts: 64,
      alpha_s: 0,
      beta_Bps: 1e9,
    };
    const k1 = moeSizing({ ...base, topK: 1 });
    const k2 = moeSizing({ ...base, topK: 2 });
    expect(k2.bytes_per_transfer).toBe(2 * k1.bytes_per_transfer);
    expect(k2.tokens_per_expert).toBe(128);
    expect(k2.tokens_per_rank).toBe(k1.tokens_per_rank);
  });

  it('one rank sends nothing: no transfer, no time', () => {
    const s = moeSizing({
      tokens: 16,
      ranks: 1,
      hidden: 4,
      dtypeBytes: 4,
      experts: 2,
      topK: 1,
      alpha_s: 1e-6,
      beta_Bps: 1e9,
    });
    expect(s.bytes_sent_per_rank).toBe(0);
    expect(s.serialized_s).toBe(0);
    expect(s.parallel_s).toBe(0);
  });

  it.each([
    ['--experts 4', 'experts 4 must be at least ranks 8'],
    ['--top-k 65', 'top-k 65 must be at most experts 64'],
    ['--ranks 0', "--ranks '0' must be at least 1"],
    ['--beta 0GB/s', '--beta'],
    ['--alpha -1us', '--alpha'],
    ['--tokens 1.5', '--tokens'],
  ])('%s exits 2 with one line naming the value', async (change, message) => {
    const flag = change.split(' ')[0] ?? '';
    const has = new RegExp(`${flag} \\S+`);
    const args = has.test(BOOK) ? BOOK.replace(has, change) : `${BOOK} ${change}`;
    const { code, lines } = await fails(args);
    expect(code).toBe(2);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(message);
    expect(lines[0]?.endsWith('\n')).toBe(true);
    expect(lines[0]?.trimEnd()).not.toContain('\n');
  });

  it('a missing required value is named', async () => {
    const { code, lines } = await fails(BOOK.replace('--hidden 2048 ', ''));
    expect(code).toBe(2);
    expect(lines).toEqual(['fleetlab: model moe needs --hidden\n']);
  });
});
