import { describe, expect, it } from 'vitest';
import { parseBytes, parseNumber, UsageError } from '../../src/cli/args.ts';
import { parseCalibrateArgs } from '../../src/cli/calibrate.ts';

describe('parseBytes', () => {
  it.each([
    ['4096', 4096],
    ['4K', 4096],
    ['64M', 64 * 2 ** 20],
    ['1G', 2 ** 30],
    ['16KiB', 16384],
    ['1MB', 1e6],
    ['2.5KB', 2500],
    ['1e6', 1e6],
  ])('%s is %i B', (text, bytes) => {
    expect(parseBytes('--size', text)).toBe(bytes);
  });

  it.each(['', 'abc', '-4K', '4X', '1.5'])('rejects %j naming the option and value', (text) => {
    expect(() => parseBytes('--size', text)).toThrow(UsageError);
    expect(() => parseBytes('--size', text)).toThrow(`--size '${text}'`);
  });
});

describe('parseNumber', () => {
  it('accepts the range and names it when out of it', () => {
    expect(parseNumber('-f', '2', 1.01, 1024)).toBe(2);
    expect(() => parseNumber('-f', '1', 1.01, 1024)).toThrow(
      "-f '1' must be a number from 1.01 to 1024",
    );
    expect(() => parseNumber('-f', 'two', 1.01, 1024)).toThrow(UsageError);
  });
});

describe('calibrate options', () => {
  it('defaults to 4 KiB .. 64 MiB in steps of 2', () => {
    const o = parseCalibrateArgs([]);
    expect(o.sweep).toEqual({ minBytes: 4096, maxBytes: 64 * 2 ** 20, stepFactor: 2 });
    expect(o.json).toBeUndefined();
  });

  it('takes nccl-tests style -b -e -f and --json', () => {
    const o = parseCalibrateArgs(['-b', '1M', '-e', '8M', '-f', '4', '--json', 'x.json']);
    expect(o.sweep).toEqual({ minBytes: 2 ** 20, maxBytes: 8 * 2 ** 20, stepFactor: 4 });
    expect(o.json).toBe('x.json');
  });

  it.each([
    [['-b', '8M', '-e', '4M'], '--max-bytes 4194304 B is below --min-bytes 8388608 B'],
    [['-b', '8'], '--min-bytes 8 B is below the smallest size, 16 B'],
    [['--workgroup-size', '96'], '--workgroup-size 96 must be a power of two'],
    [['--lanes-per-invocation', '2.5'], '--lanes-per-invocation 2.5 must be a whole number'],
  ])('rejects %j', (args, message) => {
    expect(() => parseCalibrateArgs(args)).toThrow(message);
  });

  it('rejects unknown options', () => {
    expect(() => parseCalibrateArgs(['--bogus'])).toThrow(/bogus/);
  });
});
