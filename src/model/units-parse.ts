// Quantities as people write them on a command line: '1.5us', '50GB/s', '400Gbps', '1MiB',
// '140e9'. Decimal prefixes (k M G T) are powers of 1000, binary ones (Ki Mi Gi Ti) powers of
// 1024; bare K/M/G on a size are binary, as nccl-tests' -b/-e take them. A malformed value is a
// UsageError naming the option, the text and what would be accepted.
import { UsageError } from './args.ts';

const NUMBER = /^\s*(\+?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*(.*?)\s*$/i;

/** Splits '1.5 us' into 1.5 and 'us'; undefined when it does not start with a number >= 0. */
function split(text: string): { value: number; unit: string } | undefined {
  const m = NUMBER.exec(text);
  if (!m) return undefined;
  const value = Number(m[1]);
  return Number.isFinite(value) ? { value, unit: m[2] ?? '' } : undefined;
}

/** Units per second: dividing by 1e6 gives 1.5us = 1.5e-6 exactly, multiplying by 1e-6 not. */
const TIME_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  s: 1,
  ms: 1e3,
  us: 1e6,
  µs: 1e6, // micro sign U+00B5
  μs: 1e6, // Greek mu U+03BC
  ns: 1e9,
  ps: 1e12,
};

/** Seconds from '500ns', '1.5us', '2ms', '5e-6' (a bare number is seconds). */
export function parseTime(option: string, text: string): number {
  const q = split(text);
  const perSecond = q && Object.hasOwn(TIME_UNITS, q.unit) ? TIME_UNITS[q.unit] : undefined;
  if (!q || perSecond === undefined) {
    throw new UsageError(
      `${option} '${text}' is not a time: use s, ms, us, ns or ps (500ns, 1.5us, 5e-6)`,
    );
  }
  return q.value / perSecond;
}

const DECIMAL: Readonly<Record<string, number>> = {
  '': 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
};
const BINARY: Readonly<Record<string, number>> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/**
 * Every bandwidth unit as [multiplier, divisor] (bits divide by 8 after multiplying, so that
 * 400Gbps is 5e10 exactly): B/s and Bps with any prefix; b/s, bps, bit/s with decimal ones.
 */
const BANDWIDTH_UNITS: ReadonlyMap<string, readonly [number, number]> = (() => {
  const units = new Map<string, readonly [number, number]>([['', [1, 1]]]);
  for (const [p, f] of Object.entries({ ...DECIMAL, ...BINARY })) {
    units.set(`${p}B/s`, [f, 1]).set(`${p}Bps`, [f, 1]);
  }
  for (const [p, f] of Object.entries(DECIMAL)) {
    units.set(`${p}b/s`, [f, 8]).set(`${p}bps`, [f, 8]).set(`${p}bit/s`, [f, 8]);
  }
  return units;
})();

/**
 * Bytes per second from '50GB/s', '12.5GBps', '400Gbps' (bits: 400 Gb/s = 50 GB/s), '1.6Tb/s',
 * '50GiB/s' or '140e9' (a bare number is B/s). B is a byte and b a bit, so case matters here.
 */
export function parseBandwidth(option: string, text: string): number {
  const q = split(text);
  const unit = q ? BANDWIDTH_UNITS.get(q.unit) : undefined;
  if (!q || unit === undefined) {
    throw new UsageError(
      `${option} '${text}' is not a bandwidth: use B/s with k, M, G, T (1e3...) or Ki, Mi, Gi ` +
        '(2^10...), or bits as Gbps (400Gbps = 50GB/s)',
    );
  }
  const value = (q.value * unit[0]) / unit[1];
  if (value <= 0) throw new UsageError(`${option} '${text}' must be more than 0 B/s`);
  return value;
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
};

/**
 * A whole number of bytes from '1MB' (1e6), '1MiB' (2^20), '64M' (2^20, as nccl-tests),
 * '140e9' or '4096'. Units are not case-sensitive: a size is always in bytes.
 */
export function parseByteSize(option: string, text: string): number {
  const q = split(text);
  const unit = q?.unit.toLowerCase() ?? '';
  const factor = q && Object.hasOwn(SIZE_UNITS, unit) ? SIZE_UNITS[unit] : undefined;
  if (!q || factor === undefined) {
    throw new UsageError(
      `${option} '${text}' is not a size: use B, kB/MB/GB/TB (1e3...), KiB/MiB/GiB/TiB ` +
        '(2^10...) or K/M/G (2^10..., as nccl-tests)',
    );
  }
  const bytes = q.value * factor;
  if (!Number.isSafeInteger(bytes)) {
    throw new UsageError(`${option} '${text}' is not a whole number of bytes`);
  }
  return bytes;
}

/**
 * gamma, seconds per byte reduced, from a time per byte ('2e-12', '2ps/B', '0.002ns/B') or
 * from the rate a rank reduces at ('500GB/s', whose inverse it is).
 */
export function parseSecondsPerByte(option: string, text: string): number {
  const perByte = /^(.*?)\s*\/\s*B\s*$/.exec(text);
  if (perByte) return parseTime(option, perByte[1] as string);
  const q = split(text);
  if (q && q.unit === '') return q.value;
  try {
    return 1 / parseBandwidth(option, text);
  } catch {
    throw new UsageError(
      `${option} '${text}' is not seconds per byte: write 2e-12, 2ps/B or a rate like 500GB/s`,
    );
  }
}
