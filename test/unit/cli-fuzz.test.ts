// Random and hostile argv thrown at every command's parser (no GPU: the parse functions only).
// Whatever comes in, a parser returns its arguments or throws a UsageError of one line naming a
// flag, a value or the command; never another exception, never a hang. And the unit grammar
// reads what it says it reads: a size printed then parsed is the same bytes, and a value that
// parses is the value the grammar's own rule gives (no silent reinterpretation).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.ts';
import { BENCH_SCHEMA, parseBenchArgs } from '../../src/cli/bench-args.ts';
import { BENCH_MATMUL_SCHEMA, parseBenchMatmulArgs } from '../../src/cli/bench-matmul.ts';
import { CALIBRATE_SCHEMA, parseCalibrateArgs } from '../../src/cli/calibrate.ts';
import {
  parseCount,
  parseRate,
  parseSecondsPerByte,
  parseSize,
  parseTime,
} from '../../src/cli/grammar.ts';
import { MODEL_SCHEMA, modelFromArgs } from '../../src/cli/model.ts';
import { KVCACHE_SCHEMA, kvcacheFromArgs } from '../../src/cli/model-kvcache.ts';
import { MOE_SCHEMA, moeFromArgs } from '../../src/cli/model-moe.ts';
import { MOE_CLI_SCHEMA, moeArgs } from '../../src/cli/moe.ts';
import { PLAN_SCHEMA, parsePlanArgs } from '../../src/cli/plan-args.ts';
import type { CommandSchema } from '../../src/cli/schema.ts';
import { parseServeArgs, SERVE_SCHEMA } from '../../src/cli/serve-args.ts';
import { parseTpArgs, TP_SCHEMA } from '../../src/cli/tp-args.ts';

interface Target {
  readonly schema: CommandSchema;
  readonly parse: (argv: string[]) => unknown;
  /** Positionals a user would type first (so the fuzz gets past the subcommand check). */
  readonly heads: readonly string[];
}

const TARGETS: readonly Target[] = [
  { schema: BENCH_SCHEMA, parse: parseBenchArgs, heads: ['allreduce', 'broadcast', 'alltoall'] },
  { schema: BENCH_MATMUL_SCHEMA, parse: parseBenchMatmulArgs, heads: [] },
  { schema: CALIBRATE_SCHEMA, parse: parseCalibrateArgs, heads: [] },
  { schema: MODEL_SCHEMA, parse: modelFromArgs, heads: ['allreduce', 'p2p', 'broadcast'] },
  { schema: KVCACHE_SCHEMA, parse: kvcacheFromArgs, heads: ['kvcache'] },
  { schema: MOE_SCHEMA, parse: moeFromArgs, heads: ['moe'] },
  { schema: MOE_CLI_SCHEMA, parse: moeArgs, heads: [] },
  { schema: PLAN_SCHEMA, parse: parsePlanArgs, heads: ['allreduce', 'tp', 'reduce'] },
  { schema: SERVE_SCHEMA, parse: parseServeArgs, heads: [] },
  { schema: TP_SCHEMA, parse: parseTpArgs, heads: [] },
];

/** Values as people and fuzzers write them: units right and wrong, huge, negative, odd. */
const hostileValue = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '-',
    '--',
    '0',
    '-0',
    '-1',
    '1',
    '2',
    '4',
    '8',
    '1e20',
    '1e400',
    '-1e400',
    'NaN',
    'Infinity',
    'inf',
    '1.5',
    '0x10',
    '1_000',
    '4K',
    '1M',
    '1Gb',
    '1GB',
    '1GiB',
    '1mib',
    '64M',
    '5us',
    '1.5µs',
    '2ms',
    '1s',
    '50GB/s',
    '400Gbps',
    '0GB/s',
    '2ps/B',
    'ring',
    'column',
    'nvswitch',
    'dgx-h100',
    'float',
    'sum',
    'static',
    '128,256',
    '2x3x4',
    'ü',
    '🙂',
    'a\nb',
    '\u2028',
    '\u0000',
    '--ranks',
  ),
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }).map(String),
  fc.double({ noNaN: false }).map(String),
  fc
    .tuple(
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      fc.constantFrom('', 'B', 'K', 'kB', 'KiB', 'MB', 'G', 'b', 'bit', 'us', 'ns', 'GB/s', 'Gbps'),
    )
    .map(([x, u]) => `${x}${u}`),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
);

/** argv for a schema: its own flags (long, short, --x=v), unknown ones, values, positionals. */
function argvFor(target: Target): fc.Arbitrary<string[]> {
  const names = Object.keys(target.schema.flags);
  const shorts = Object.values(target.schema.flags).flatMap((f) =>
    f.short ? [`-${f.short}`] : [],
  );
  const flag = fc.constantFrom(...names.map((n) => `--${n}`), ...shorts);
  const token = fc.oneof(
    { weight: 4, arbitrary: fc.tuple(flag, hostileValue).map(([f, v]) => [f, v]) },
    { weight: 2, arbitrary: fc.tuple(flag, hostileValue).map(([f, v]) => [`${f}=${v}`]) },
    { weight: 1, arbitrary: flag.map((f) => [f]) },
    { weight: 1, arbitrary: fc.constantFrom(['--bogus'], ['-Z'], ['--'], ['--help=1']) },
    { weight: 1, arbitrary: hostileValue.map((v) => [v]) },
  );
  const head = target.heads.length > 0 ? fc.constantFrom(...target.heads) : fc.constant(undefined);
  return fc
    .tuple(head, fc.array(token, { maxLength: 8 }))
    .map(([h, tokens]) => [...(h === undefined ? [] : [h]), ...tokens.flat()]);
}

/** The words a good message can name: the command, its flags, and what was typed. */
function nameable(target: Target, argv: readonly string[]): string[] {
  const flags = Object.entries(target.schema.flags).flatMap(([n, f]) => [
    `--${n}`,
    ...(f.short ? [`-${f.short}`] : []),
  ]);
  return [target.schema.name, ...flags, ...argv.filter((a) => a.trim() !== '')];
}

/** Runs the parser: parsed args, or the UsageError; anything else fails the property. */
function outcome(target: Target, argv: string[]): { ok: true } | { ok: false; error: Error } {
  try {
    target.parse(argv);
    return { ok: true };
  } catch (e) {
    return { ok: false, error: e as Error };
  }
}

describe('every command parser, fuzzed', () => {
  for (const target of TARGETS) {
    it(`fleetlab ${target.schema.name}: parsed args or one UsageError line naming what is wrong`, () => {
      fc.assert(
        fc.property(argvFor(target), (argv) => {
          const r = outcome(target, argv);
          if (r.ok) return;
          expect(r.error).toBeInstanceOf(UsageError);
          const message = r.error.message;
          expect(message).not.toMatch(/[\n\r\u2028\u2029]/);
          expect(message).not.toMatch(/\bat .*\.ts:\d+/); // no stack frame
          expect(message.length).toBeGreaterThan(0);
          // The message names a flag, a value or the command (values escaped as it prints them).
          const words = nameable(target, argv).map((w) =>
            new UsageError(w).message.replace(/=.*$/s, ''),
          );
          expect(words.some((w) => message.includes(w))).toBe(true);
        }),
        { numRuns: 300 },
      );
    });
  }
});

const BINARY = [
  ['K', 2 ** 10],
  ['KiB', 2 ** 10],
  ['M', 2 ** 20],
  ['MiB', 2 ** 20],
  ['G', 2 ** 30],
  ['GiB', 2 ** 30],
] as const;
const DECIMAL = [
  ['B', 0],
  ['kB', 3],
  ['KB', 3],
  ['MB', 6],
  ['GB', 9],
  ['TB', 12],
] as const;

describe('the unit grammar reads what it says', () => {
  it('a size printed in any unit that holds it exactly parses back to the same bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (bytes) => {
        expect(parseSize('--bytes', String(bytes))).toBe(bytes);
        for (const [unit, f] of BINARY) {
          if (bytes % f === 0) expect(parseSize('--bytes', `${bytes / f}${unit}`)).toBe(bytes);
        }
        for (const [unit, k] of DECIMAL) {
          const f = 10 ** k;
          if (bytes % f === 0) expect(parseSize('--bytes', `${bytes / f}${unit}`)).toBe(bytes);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a decimal-unit value is the written decimal shifted, a binary one the number times 2^k', () => {
    const digits = fc
      .tuple(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: 999 }))
      .map(([i, f]) => `${i}.${String(f).padStart(3, '0')}`);
    fc.assert(
      fc.property(
        digits,
        fc.constantFrom(['s', 0], ['ms', -3], ['us', -6], ['µs', -6], ['ns', -9]),
        (x, [unit, k]) => {
          if (Number(x) === 0) return;
          expect(parseTime('--alpha', `${x}${unit}`)).toBe(Number(`${x}e${k}`));
        },
      ),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(
        digits,
        fc.constantFrom(
          ['GB/s', 9, 1],
          ['MB/s', 6, 1],
          ['Gbps', 9, 8],
          ['Gb/s', 9, 8],
          ['kbit/s', 3, 8],
        ),
        (x, [unit, k, bits]) => {
          if (Number(x) === 0) return;
          expect(parseRate('--beta', `${x}${unit}`)).toBe(Number(`${x}e${k}`) / bits);
        },
      ),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 20 }), fc.constantFrom(...BINARY), (n, [u, f]) => {
        expect(parseSize('--bytes', `${n}${u}`)).toBe(n * f);
      }),
      { numRuns: 100 },
    );
  });

  it('never reads a bare number as a time, a rate or seconds per byte, nor bits as bytes', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-12, max: 1e12, noNaN: true }), (x) => {
        const text = String(x);
        expect(() => parseTime('--alpha', text)).toThrow(`--alpha '${text}' needs a unit`);
        expect(() => parseRate('--beta', text)).toThrow(`--beta '${text}' needs a unit`);
        expect(() => parseSecondsPerByte('--gamma', text)).toThrow(
          `--gamma '${text}' needs a unit`,
        );
        for (const bits of ['b', 'kb', 'Mb', 'Gb', 'bit', 'Kib'])
          expect(() => parseSize('--bytes', `${text}${bits}`)).toThrow(/is bits|is not a size/);
      }),
      { numRuns: 100 },
    );
  });

  it('a count past its limit says the limit, however large, and a whole one reads exactly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.double({ min: 1001, max: 1e300, noNaN: true }),
        (max, big) => {
          expect(() => parseCount('--ranks', String(big), { min: 1, max })).toThrow(
            `--ranks '${big}' must be at most ${max}`,
          );
          expect(parseCount('--ranks', String(max), { min: 1, max })).toBe(max);
          expect(parseCount('--ranks', `${max}e0`, { min: 1, max })).toBe(max);
        },
      ),
      { numRuns: 100 },
    );
  });
});
