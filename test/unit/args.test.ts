// The schema-driven parser every command shares (src/cli/schema.ts): how flags, values and
// positionals are read, what each kind of mistake says, and the help it generates.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.ts';
import { BENCH_USAGE, parseBenchArgs } from '../../src/cli/bench-args.ts';
import { parseCalibrateArgs } from '../../src/cli/calibrate.ts';
import { type CommandSchema, parseCommand, usage } from '../../src/cli/schema.ts';
import { TP_USAGE } from '../../src/cli/tp-args.ts';
import { FABRIC_PRESETS } from '../../src/fabric/fabric-presets.ts';

const SCHEMA = {
  name: 'demo',
  about: 'A schema for these tests.',
  positionals: {
    synopsis: '<a|b>',
    min: 1,
    max: 1,
    choices: ['a', 'b'],
    unknown: (v: string) => `unknown thing '${v}'`,
  },
  flags: {
    size: { kind: 'size', short: 's', default: '8K', help: 'a size' },
    ranks: { kind: 'count', short: 'g', min: 1, max: 64, help: 'ranks' },
    alpha: { kind: 'time', help: 'latency' },
    beta: { kind: 'rate', help: 'bandwidth' },
    json: { kind: 'text', help: 'a file', meta: 'FILE' },
    sweep: { kind: 'flag', help: 'a switch' },
  },
} as const satisfies CommandSchema;

const parse = (argv: string) => parseCommand(SCHEMA, argv.split(' ').filter(Boolean));

describe('the schema parser', () => {
  it('reads long, --name=value, short and -bVALUE forms, and fills defaults', () => {
    const { values, positionals, given } = parse('a --ranks 4 --alpha=5us -s 1M --beta 400Gbps');
    expect(values).toEqual({
      size: 2 ** 20,
      ranks: 4,
      alpha: 5e-6,
      beta: 50e9,
      json: undefined,
      sweep: false,
    });
    expect(positionals).toEqual(['a']);
    expect([...given].sort()).toEqual(['alpha', 'beta', 'ranks', 'size']);
    expect(parse('a -s4K -g=2').values).toMatchObject({ size: 4096, ranks: 2 });
    expect(parse('b').values.size).toBe(8192);
    expect(parse('a --json - --sweep').values).toMatchObject({ json: '-', sweep: true });
    // After --, a token is a positional even when it looks like a flag.
    expect(() => parse('a -- --not-a-flag')).toThrow("demo takes no '--not-a-flag' too");
  });

  it.each([
    ['c --bogus', "unknown thing 'c'"],
    ['--ranks 4 c --bogus', "unknown thing 'c'"],
    ['a --bogus', "unknown option '--bogus' for fleetlab demo"],
    ['a --bogus=1', "unknown option '--bogus' for fleetlab demo"],
    ['a -x', "unknown option '-x' for fleetlab demo"],
    ['a --ranks', '--ranks needs a value (a whole number'],
    [
      'a --ranks --sweep',
      "--ranks needs a value (a whole number: 8, 4K = 4096 (K/M/G = 2^10...), 1e6; 1 to 64), not the option '--sweep'",
    ],
    ['a --ranks -4', "--ranks '-4' must be at least 1"],
    ['a --ranks 4 --ranks 4', "--ranks is given twice ('4' and '4'): give it once"],
    ['a --sweep --sweep', '--sweep is given twice: give it once'],
    ['a --sweep=1', "--sweep takes no value, not '1'"],
    ['a --ranks 1e20', "--ranks '1e20' must be at most 64"],
    ['a --alpha 1.5', "--alpha '1.5' needs a unit: 1.5s, 1.5ms, 1.5us, ..."],
    ['a -s 1Gb', "--size '1Gb': 'Gb' is bits, and --size is a size in bytes: write 1GB"],
    ['a b', "demo takes no 'b' too"],
    ['', 'demo needs <a|b>'],
  ])('%j: %s', (argv, message) => {
    expect(() => parse(argv)).toThrow(UsageError);
    expect(() => parse(argv)).toThrow(message);
  });

  it('keeps a message one line whatever the value holds', () => {
    const error = (() => {
      try {
        parseCommand(SCHEMA, ['a', '--ranks', '4\n5']);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect(error?.message).toBe(
      "--ranks '4\\u000a5' is not a count: a whole number: 8, 4K = 4096 (K/M/G = 2^10...), 1e6, from 1 to 64",
    );
  });

  it('generates the help: every flag, its kind, limits and default, and the grammar once', () => {
    const text = usage(SCHEMA);
    expect(text).toMatch(/^usage: fleetlab demo <a\|b> \[options\]/);
    expect(text).toMatch(/-s, --size SIZE +a size \[default 8K\]/);
    expect(text).toMatch(/-g, --ranks N +ranks \[1 to 64\]/);
    expect(text).toMatch(/--sweep +a switch/);
    expect(text).toMatch(/TIME +500ns, 1.5us/);
    expect(text).toMatch(/RATE +50GB\/s/);
  });

  it("lists bench's fabric presets and tp's four layouts from their registries", () => {
    for (const p of FABRIC_PRESETS) expect(BENCH_USAGE).toContain(p.name);
    expect(TP_USAGE).toMatch(
      /--layout L +the layer \(required\) \[one of column, row, mlp, attention\]/,
    );
    expect(TP_USAGE).toMatch(/attention: causal self-attention/);
  });
});

describe('bench options', () => {
  it('takes nccl-tests spellings, a rate for --min-busbw and a preset for --fabric', () => {
    const a = parseBenchArgs([
      'allreduce',
      '-b',
      '1K',
      '-e',
      '4K',
      '-g',
      '4',
      '--min-busbw',
      '2GB/s',
      '--fabric',
      'pcie4',
    ]);
    expect(a).toMatchObject({
      minBytes: 1024,
      maxBytes: 4096,
      ranks: 4,
      minBusBw: 2e9,
      fabric: 'pcie4',
    });
  });

  it('alltoallv takes a skew and both its algorithms', () => {
    expect(parseBenchArgs(['alltoallv', '--skew', '1.5'])).toMatchObject({
      collective: 'alltoallv',
      skew: 1.5,
      algorithms: ['pairwise', 'direct'],
    });
  });

  it.each([
    [['scatter', '--bogus'], "unknown collective 'scatter'"],
    [['allreduce', '--min-busbw', '2'], "--min-busbw '2' needs a unit: 2GB/s"],
    [['broadcast', '-g', '4', '-r', '4'], "--root '4' must be below --ranks 4 (0 to 3)"],
    [['allreduce', '-b', '1Gb'], "--minbytes '1Gb': 'Gb' is bits"],
    [['allreduce', '--fabric', 'moon'], "--fabric 'moon' is not one of nvswitch"],
    [['allreduce', '--skew', '1'], '--skew is for alltoallv, not allreduce'],
    [['alltoallv', '--skew', '9'], "--skew '9'"],
    [
      ['alltoallv', '--algo', 'ring'],
      "unknown algorithm 'ring' for alltoallv (have: pairwise, direct)",
    ],
  ])('refuses %j', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(message);
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
    [['-b', '8'], "--min-bytes '8' must be at least 16 B"],
    [['--workgroup-size', '96'], '--workgroup-size 96 must be a power of two'],
    [
      ['--lanes-per-invocation', '2.5'],
      "--lanes-per-invocation '2.5' must be a whole number from 1 to 256",
    ],
  ])('rejects %j', (args, message) => {
    expect(() => parseCalibrateArgs(args)).toThrow(message);
  });

  it('rejects unknown options', () => {
    expect(() => parseCalibrateArgs(['--bogus'])).toThrow(/bogus/);
  });
});
