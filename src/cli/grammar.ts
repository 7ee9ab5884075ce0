// The command line's one unit grammar, shared by every flag of every command (src/cli/schema.ts
// picks the reader by the flag's kind). It is src/model/units-parse.ts's grammar, which the pages'
// URLs share, made strict where a person types: a bare number is refused where a unit is needed
// (is '--alpha 1.5' seconds or microseconds?), 'b'/'bit' means bits only on a rate (a size is in
// bytes, so '1Gb' is refused rather than read as 1e9 B), a negative value is named as such, and a
// value past a flag's limit says the limit. Every failure is a UsageError of one line naming the
// flag and the value.
import { formatBytes, formatSeconds } from '../model/units.ts';
import * as units from '../model/units-parse.ts';
import { UsageError } from './args.ts';

/** A number as written, with an optional exponent: '1.5', '.5', '1e6', '2.5e-3'. */
const NUMBER = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*(.*?)\s*$/i;

/** Splits '1.5 us' into its number and unit; undefined when it does not start with a number. */
function split(text: string): { readonly number: string; readonly unit: string } | undefined {
  const m = NUMBER.exec(text);
  return m ? { number: m[1] as string, unit: m[2] ?? '' } : undefined;
}

const quoted = (flag: string, text: string) => `${flag} '${text}'`;

function refuseNegative(flag: string, text: string, what: string): void {
  if (/^\s*-/.test(text)) throw new UsageError(`${quoted(flag, text)} is negative: ${what}`);
}

/** Re-throws the model grammar's RangeError as the CLI's UsageError. */
function viaModel(parse: () => number): number {
  try {
    return parse();
  } catch (e) {
    throw e instanceof RangeError ? new UsageError(e.message) : e;
  }
}

/** Checks [min, max], printing the limits with `show` (their unit). */
function within(
  flag: string,
  text: string,
  value: number,
  limits: Limits,
  show: (v: number) => string,
): number {
  if (limits.min !== undefined && value < limits.min) {
    throw new UsageError(`${quoted(flag, text)} must be at least ${show(limits.min)}`);
  }
  if (limits.max !== undefined && value > limits.max) {
    throw new UsageError(`${quoted(flag, text)} must be at most ${show(limits.max)}`);
  }
  return value;
}

export interface Limits {
  readonly min?: number;
  readonly max?: number;
}

export const SIZE_FORMS = '4096, 1MB = 1e6 B, 1MiB = 1M = 2^20 B (K/M/G as nccl-tests)';
export const TIME_FORMS = '500ns, 1.5us, 2ms, 1s';
export const RATE_FORMS = '50GB/s, 50GiB/s, 400Gbps = 50GB/s (b, bit: bits)';
export const COUNT_FORMS = 'a whole number: 8, 4K = 4096 (K/M/G = 2^10...), 1e6';
export const PER_BYTE_FORMS = '2ps/B, 0.002ns/B, or the reduce rate: 500GB/s';

/** Bytes as '4.10 kB (4 KiB)' or '16 B'. */
export const showBytes = (b: number) => (b < 1000 ? `${b} B` : `${b} B = ${formatBytes(b)}`);
export const showSeconds = (s: number) => formatSeconds(s);
export const showRate = (r: number) => `${r} B/s`;

/**
 * A whole number of bytes: '4096', '1MB' (1e6), '1MiB' and '1M' (2^20, as nccl-tests). A bare
 * number is bytes. 'b' and 'bit' are bits, which a size is not: '1Gb' is refused, naming 1GB.
 */
export function parseSize(flag: string, text: string, limits: Limits = {}): number {
  refuseNegative(flag, text, `a size is at least 0 B (${SIZE_FORMS})`);
  const q = split(text);
  const bits = q ? /^(.*?)(?:b|bits?)$/.exec(q.unit) : null;
  if (q && bits) {
    throw new UsageError(
      `${quoted(flag, text)}: '${q.unit}' is bits, and ${flag} is a size in bytes: write ${q.number}${bits[1]}B`,
    );
  }
  if (q && /\/s$|ps$/i.test(q.unit)) {
    throw new UsageError(
      `${quoted(flag, text)} is a rate, and ${flag} takes a size (${SIZE_FORMS})`,
    );
  }
  const bytes = viaModel(() => units.parseByteSize(flag, text));
  return within(flag, text, bytes, limits, showBytes);
}

/** A bare number where the unit decides the value: the one line suggests the units. */
function needUnit(flag: string, text: string, q: { number: string }, forms: string[]): never {
  throw new UsageError(
    `${quoted(flag, text)} needs a unit: ${forms.map((u) => `${q.number}${u}`).join(', ')}, ...`,
  );
}

/** Seconds from '500ns', '1.5us', '2ms', '1s'. A bare 0 is 0 s; any other bare number needs a unit. */
export function parseTime(flag: string, text: string, limits: Limits = {}): number {
  refuseNegative(flag, text, `a time is at least 0 s (${TIME_FORMS})`);
  const q = split(text);
  if (q && q.unit === '' && Number(q.number) !== 0) needUnit(flag, text, q, ['s', 'ms', 'us']);
  const seconds = viaModel(() => units.parseTime(flag, text));
  return within(flag, text, seconds, limits, showSeconds);
}

/** Bytes per second from '50GB/s', '50GiB/s', '400Gbps' (bits): the unit is required. */
export function parseRate(flag: string, text: string, limits: Limits = {}): number {
  refuseNegative(flag, text, `a rate is more than 0 B/s (${RATE_FORMS})`);
  const q = split(text);
  if (q && q.unit === '') needUnit(flag, text, q, ['GB/s', 'B/s', 'Gbps']);
  const rate = viaModel(() => units.parseBandwidth(flag, text));
  return within(flag, text, rate, limits, showRate);
}

/** Seconds per byte reduced: '2ps/B', or a reduce rate ('500GB/s') whose inverse it is. */
export function parseSecondsPerByte(flag: string, text: string): number {
  refuseNegative(flag, text, `seconds per byte are at least 0 (${PER_BYTE_FORMS})`);
  const q = split(text);
  if (q && q.unit === '' && Number(q.number) !== 0) needUnit(flag, text, q, ['s/B', 'ps/B']);
  return viaModel(() => units.parseSecondsPerByte(flag, text));
}

const COUNT_UNITS: Readonly<Record<string, number>> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 };

/**
 * A whole count (ranks, tokens, elements, a seed): '8', '4K' (4096, binary as nccl-tests),
 * '1e6'. Past the limit it says the limit, whatever the number's size ('1e20': at most 64).
 */
export function parseCount(flag: string, text: string, limits: Limits): number {
  const range = `${limits.min ?? 0} to ${limits.max ?? Number.MAX_SAFE_INTEGER}`;
  const q = split(text);
  const scale = q ? COUNT_UNITS[q.unit.toLowerCase()] : undefined;
  if (!q || scale === undefined) {
    throw new UsageError(`${quoted(flag, text)} is not a count: ${COUNT_FORMS}, from ${range}`);
  }
  const value = Number(q.number) * scale;
  if (!Number.isFinite(value)) {
    throw new UsageError(`${quoted(flag, text)} must be at most ${limits.max ?? 'finite'}`);
  }
  within(flag, text, value, limits, String);
  if (!Number.isInteger(value)) {
    throw new UsageError(`${quoted(flag, text)} must be a whole number from ${range}`);
  }
  return value;
}

/** A plain number (a factor, a mean, a coefficient of variation), no unit. */
export function parseDecimal(
  flag: string,
  text: string,
  limits: Limits & { readonly inf?: boolean },
): number {
  if (limits.inf && /^\s*inf\s*$/i.test(text)) return Number.POSITIVE_INFINITY;
  const q = split(text);
  const range = `${limits.min ?? '-inf'} to ${limits.max ?? 'inf'}${limits.inf ? ' or inf' : ''}`;
  if (q?.unit !== '') {
    throw new UsageError(`${quoted(flag, text)} is not a number: ${range} (1.5, 2e-3)`);
  }
  const value = Number(q.number);
  if (!Number.isFinite(value)) {
    throw new UsageError(`${quoted(flag, text)} must be at most ${limits.max ?? 'finite'}`);
  }
  return within(flag, text, value, limits, String);
}
