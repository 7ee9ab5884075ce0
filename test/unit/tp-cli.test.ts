// `fleetlab tp` bad input: exit 2 and one line naming the value and the rule, before any GPU.
import { describe, expect, it } from 'vitest';
import { parseTpArgs } from '../../src/cli/tp-args.ts';
import { expectUsageError } from '../cli-run.ts';

describe('fleetlab tp options', () => {
  it.each([
    ['tp', /tp needs --layout \(column, row, mlp, attention\)/],
    ['tp --layout diag', /--layout 'diag' is not one of column, row, mlp/],
    ['tp --layout row --ranks 0', /--ranks '0' must be at least 1/],
    ['tp --layout row --ranks 2x', /--ranks '2x' is not a count: a whole number/],
    ['tp --layout row --m=-3', /--m '-3' must be at least 1/],
    ['tp --layout row --n 70000', /--n '70000' must be at most 65536/],
    ['tp --layout row --k 10 --ranks 4', /k = 10 over 4 ranks: k must be a multiple of 4/],
    ['tp --layout mlp --n 100 --sweep', /n = 100 over 8 ranks/],
    [
      'tp --layout column --comm allreduce',
      /--comm 'allreduce' for --layout column must be none or allgather/,
    ],
    ['tp --layout row --fabric moon', /--fabric 'moon' is not one of nvswitch, /],
    ['tp --layout row --alpha 5', /--alpha '5' needs a unit: 5s, 5ms, 5us/],
    ['tp --layout row --ranks', /--ranks needs a value/],
    ['tp --layout row --alpha fast', /--alpha/],
    ['tp --layout row --beta 0GB/s', /--beta/],
    ['tp --layout row --reps 0', /--reps '0' must be at least 1/],
    ['tp --layout row --algo bogus', /no algorithm 'bogus' for allreduce/],
    ['tp --layout row --bogus 1', /bogus/],
    ['tp --layout row extra', /tp takes no positional 'extra'/],
  ])('%s exits 2', (args, message) => expectUsageError(args, message));

  it('a single run measures N = 1 as T_1 beside N; --sweep runs 1, 2, 4, 8', () => {
    expect(parseTpArgs(['--layout', 'row', '--ranks', '4']).specs.map((s) => s.ranks)).toEqual([
      1, 4,
    ]);
    expect(parseTpArgs(['--layout', 'row', '--ranks', '1']).specs.map((s) => s.ranks)).toEqual([1]);
    expect(parseTpArgs(['--layout', 'row', '--sweep']).specs.map((s) => s.ranks)).toEqual([
      1, 2, 4, 8,
    ]);
    const a = parseTpArgs([
      '--layout',
      'mlp',
      '--fabric',
      '100gbe',
      '--beta',
      '1GB/s',
      '--comm',
      'reducescatter',
    ]);
    expect(a.link.beta_Bps).toBe(1e9);
    expect(a.linkOverridden).toBe(true);
    // 16 ranks on two DGX nodes is a valid fabric.
    const dgx = ['--layout', 'mlp', '--ranks', '16', '--n', '64', '--fabric', 'dgx-h100'];
    expect(parseTpArgs(dgx).specs.map((s) => s.ranks)).toEqual([1, 16]);
    expect(a.specs[1]).toMatchObject({
      layout: 'mlp',
      comm: 'reducescatter',
      m: 128,
      k: 256,
      n: 512,
    });
  });
});
