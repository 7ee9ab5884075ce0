// `fleetlab serve` bad input: exit 2 and one line naming the value and the rule, before any GPU.
import { describe, expect, it } from 'vitest';
import { parseServeArgs } from '../../src/cli/serve-args.ts';
import { expectUsageError } from '../cli-run.ts';

describe('fleetlab serve options', () => {
  it.each([
    ['serve --scheduler fifo', /--scheduler 'fifo' is not one of static, continuous/],
    ['serve --ranks 3', /KV heads 2 must be a multiple of 3 ranks/],
    ['serve --ranks 0', /--ranks '0' must be at least 1/],
    ['serve --requests 0', /--requests '0' must be at least 1/],
    ['serve --rate=-1', /--rate '-1' must be at least 0/],
    ['serve --rate fast', /--rate 'fast'/],
    ['serve --cv 11', /--cv '11' must be at most 10/],
    ['serve --d-model 60 --heads 8', /--d-model 60 must be a multiple of --heads 8/],
    ['serve --blocks 1', /--blocks 1: the longest request \(\d+ tokens\) needs \d+ blocks of 16/],
    ['serve --max-batch 0', /--max-batch '0' must be at least 1/],
    ['serve --slo-ttft 0', /--slo-ttft '0' must be at least 1.00 ns/],
    ['serve --slo-ttft 1', /--slo-ttft '1' needs a unit: 1s, 1ms, 1us/],
    ['serve --rate 5 --rate 6', /--rate is given twice \('5' and '6'\)/],
    ['serve --seed x', /--seed 'x' is not a count/],
    ['serve --warp 9', /warp/],
    ['serve now', /serve takes no positional 'now'/],
  ])('%s exits 2', (args, message) => expectUsageError(args, message));

  it('builds the seeded workload and the decoder from the options', () => {
    const a = parseServeArgs(['--requests', '5', '--rate', 'inf', '--cv', '2', '--ranks', '2']);
    expect(a.requests).toHaveLength(5);
    expect(a.requests.every((r) => r.arrival_s === 0)).toBe(true);
    expect(a.workload.outputCv).toBe(2);
    expect(a.decoder).toMatchObject({ layers: 2, dModel: 64, qHeads: 4, kvHeads: 2, headDim: 16 });
    // Positions cover the longest request the caps allow (4x each mean).
    expect(a.decoder.maxPositions).toBe(4 * 32 + 4 * 32);
    const b = parseServeArgs(['--requests', '5', '--rate', 'inf', '--cv', '2', '--ranks', '2']);
    expect(b.requests).toEqual(a.requests);
  });

  it("takes --rate 0 as the page's 'all at once', the same as inf", () => {
    const zero = parseServeArgs(['--requests', '4', '--rate', '0']);
    expect(zero.workload.rate_per_s).toBe(Number.POSITIVE_INFINITY);
    expect(zero.requests.every((r) => r.arrival_s === 0)).toBe(true);
    expect(zero.requests).toEqual(parseServeArgs(['--requests', '4', '--rate', 'inf']).requests);
  });
});
