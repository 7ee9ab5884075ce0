// `fleetlab dp`, `pp` and `model pipeline | zero | overlap` without a GPU: the models' numbers
// as the book gives them, and every bad option refused (exit 2, one line) before the GPU starts.
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { expectUsageError } from '../cli-run.ts';

async function json(args: string): Promise<Record<string, unknown>> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    expect(await main(args.split(' '))).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return JSON.parse(lines.join(''));
}

describe('fleetlab model pipeline | zero | overlap', () => {
  it('the bubble of p = 8, m = 16, and interleaved at V = 4', async () => {
    expect(
      (await json('model pipeline --stages 8 --microbatches 16 --json')).bubble_fraction,
    ).toBeCloseTo(7 / 23, 12);
    expect(
      (await json('model pipeline --stages 8 --microbatches 16 --virtual 4 --json'))
        .bubble_fraction,
    ).toBeCloseTo(7 / 71, 12);
  });

  it('ZeRO 3 of 7.5e9 parameters over 64 ranks: 16 P / N', async () => {
    const r = await json('model zero --params 7.5e9 --ranks 64 --stage 3 --json');
    expect(r.bytes_per_rank).toBeCloseTo((16 * 7.5e9) / 64, -2);
    expect(r.parts).toEqual({ params: 2.34375e8, grads: 2.34375e8, optimizer: 1.40625e9 });
  });

  it('overlap: only the last layer’s AllReduce is exposed when it fits under backward', async () => {
    const r = await json('model overlap --layers 4 --backward 2ms --comm 1ms --json');
    expect(r.no_overlap_s).toBeCloseTo(12e-3, 12);
    expect(r.overlap_s).toBeCloseTo(9e-3, 12);
    expect(r.savings).toBeCloseTo(3e-3, 12);
  });

  it.each([
    ['model pipeline --stages 0 --microbatches 2', /--stages '0' must be at least 1/],
    ['model pipeline --microbatches 2', /model pipeline needs --stages/],
    ['model zero --params 10 --ranks 2 --stage 4', /--stage '4' is not one of 0, 1, 2, 3/],
    [
      'model zero --params 10 --ranks 2 --stage 1 --bytes-per-param 3',
      /--bytes-per-param '3' must be at least 4/,
    ],
    ['model overlap --layers 2 --backward 2 --comm 1ms', /--backward '2' needs a unit/],
    ['model overlap --layers 2 --backward 2ms --comm -1ms', /--comm/],
  ])('%s', async (args, message) => {
    await expectUsageError(args, message);
  });
});

describe('fleetlab dp and pp refuse bad options before the GPU starts', () => {
  it.each([
    ['dp --ranks 0', /--ranks '0' must be at least 1/],
    ['dp --ranks 17 --batch 16', /batch 16 must be at least ranks 17/],
    ['dp --zero 4', /--zero '4' is not one of 0, 1, 2, 3/],
    ['dp --algo tree --zero 2', /no reducescatter algorithm 'tree' \(have: ring, rhd\)/],
    ['dp --algo nope', /--algo 'nope' is not one of ring/],
    ['dp --bucket 0', /--bucket/],
    ['dp --fabric moon', /--fabric 'moon' is not one of/],
    ['pp --schedule zb', /--schedule 'zb' is not one of gpipe, 1f1b, interleaved/],
    ['pp --stages 3 --layers 4', /layers 4 must be a multiple of stages x virtual = 3/],
    ['pp --schedule 1f1b --virtual 2', /only the interleaved schedule has more than 1 chunk/],
    [
      'pp --schedule interleaved --stages 4 --layers 8 --microbatches 6 --virtual 2',
      /microbatches 6 must be a multiple of stages 4/,
    ],
    ['pp --microbatches 32 --batch 16', /batch 16 must be at least microbatches 32/],
  ])('%s', async (args, message) => {
    await expectUsageError(args, message);
  });
});
