// `fleetlab moe`'s arguments: the layer's spec from flags, and one line (exit 2) naming the value
// for a layer no plan can have, before any GPU work.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.ts';
import { MOE_CLI_USAGE, moeArgs } from '../../src/cli/moe.ts';

describe('fleetlab moe options', () => {
  it('reads the layer, the hidden width defaulting to 2 d', () => {
    const a = moeArgs([
      '--ranks',
      '2',
      '--experts',
      '4',
      '--top-k',
      '1',
      '--tokens',
      '32',
      '--d',
      '8',
      '--skew',
      '1.5',
      '--capacity',
      '2',
    ]);
    expect(a.spec).toEqual({
      ranks: 2,
      experts: 4,
      topK: 1,
      tokens: 32,
      d: 8,
      hidden: 16,
      capacityFactor: 2,
      skew: 1.5,
      algorithm: 'pairwise',
    });
    expect(a.preset.name).toBe('nvswitch');
  });

  it.each([
    [['--ranks', '4', '--experts', '6'], 'experts 6 must be a multiple of ranks 4'],
    [['--ranks', '8', '--experts', '4'], 'experts 4 must be a multiple of ranks 8'],
    [['--tokens', '30'], 'tokens 30 must be a multiple of ranks 4'],
    [['--top-k', '3'], "--top-k '3' must be at most 2"],
    [['--capacity', '0'], "--capacity '0'"],
    [['--algo', 'ring'], "--algo 'ring' is not one of pairwise, direct"],
    [['--fabric', 'moon'], "--fabric 'moon' is not one of"],
  ])('%j: a UsageError of one line', (argv, message) => {
    let error: unknown;
    try {
      moeArgs(argv);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('help names every flag', () => {
    for (const flag of [
      '--ranks',
      '--experts',
      '--top-k',
      '--tokens',
      '--d',
      '--capacity',
      '--skew',
      '--fabric',
      '--json',
    ]) {
      expect(MOE_CLI_USAGE).toContain(flag);
    }
  });
});
