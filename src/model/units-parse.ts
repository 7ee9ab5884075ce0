// Quantities as people write them on a command line: '1.5us', '50GB/s', '400Gbps', '1MiB',
// '140e9'. Decimal prefixes (k M G T) are powers of 1000, binary ones (Ki Mi Gi Ti) powers of
// 1024; bare K/M/G on a size are binary, as nccl-tests' -b/-e take them. A malformed value is a
// RangeError naming the option, the text and what would be accepted. Pure and DOM-free, so the
// CLI (src/cli/units-parse.ts turns the errors into UsageErrors) and the view's URL share it.

const NUMBER = /^\s*(\+?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*(.*?)\s*$/i;

interface Quantity {
  readonly value: number;
  /** The number as written ('1.9', '5e-6'), to scale by powers of ten without rounding twice. */
  readonly digits: string;
  readonly unit: string;
}

/** Splits '1.5 us' into 1.5 and 'us'; undefined when it does not start with a number >= 0. */
function split(text: string): Quantity | undefined {
  const m = NUMBER.exec(text);
  if (!m) return undefined;
  const value = Number(m[1]);
  return Number.isFinite(value) ? { value, digits: m[1] as string, unit: m[2] ?? '' } : undefined;
}

/** How a unit turns the number written before it into base units (s, B/s, B). */
type Scale = (q: Quantity) => number;

/**
 * A decimal unit, 10^k base units: the written decimal shifted by k, then rounded once, so
 * '1.9us' is the double nearest 1.9e-6 (1.9 / 1e6 is one ulp below it) and '1.1kB' is 1100.
 */
const dec =
  (k: number): Scale =>
  (q) => {
    const [mantissa, exponent = '0'] = q.digits.toLowerCase().split('e');
    return Number(`${mantissa}e${Number(exponent) + k}`);
  };

/** A binary unit: multiplying by a power of two is exact. */
const bin =
  (factor: number): Scale =>
  (q) =>
    q.value * factor;

const TIME_UNITS: Readonly<Record<string, Scale>> = {
  '': dec(0),
  s: dec(0),
  ms: dec(-3),
  us: dec(-6),
  µs: dec(-6), // micro sign U+00B5
  μs: dec(-6), // Greek mu U+03BC
  ns: dec(-9),
  ps: dec(-12),
};

/** Seconds from '500ns', '1.5us', '2ms', '5e-6' (a bare number is seconds). */
export function parseTime(option: string, text: string): number {
  const q = split(text);
  const scale = q && Object.hasOwn(TIME_UNITS, q.unit) ? TIME_UNITS[q.unit] : undefined;
  if (!q || scale === undefined) {
    throw new RangeError(
      `${option} '${text}' is not a time: use s, ms, us, ns or ps (500ns, 1.5us, 5e-6)`,
    );
  }
  return scale(q);
}

const DECIMAL: Readonly<Record<string, Scale>> = {
  '': dec(0),
  k: dec(3),
  K: dec(3),
  M: dec(6),
  G: dec(9),
  T: dec(12),
};
const BINARY: Readonly<Record<string, Scale>> = {
  Ki: bin(2 ** 10),
  Mi: bin(2 ** 20),
  Gi: bin(2 ** 30),
  Ti: bin(2 ** 40),
};

/**
 * Every bandwidth unit (bits divide by 8 after scaling, exact, so that 400Gbps is 5e10): B/s
 * and Bps with any prefix; b/s, bps, bit/s with decimal ones.
 */
const BANDWIDTH_UNITS: ReadonlyMap<string, Scale> = (() => {
  const units = new Map<string, Scale>([['', dec(0)]]);
  for (const [p, f] of Object.entries({ ...DECIMAL, ...BINARY })) {
    units.set(`${p}B/s`, f).set(`${p}Bps`, f);
  }
  for (const [p, f] of Object.entries(DECIMAL)) {
    const bits: Scale = (q) => f(q) / 8;
    units.set(`${p}b/s`, bits).set(`${p}bps`, bits).set(`${p}bit/s`, bits);
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
    throw new RangeError(
      `${option} '${text}' is not a bandwidth: use B/s with k, M, G, T (1e3...) or Ki, Mi, Gi ` +
        '(2^10...), or bits as Gbps (400Gbps = 50GB/s)',
    );
  }
  const value = unit(q);
  if (value <= 0) throw new RangeError(`${option} '${text}' must be more than 0 B/s`);
  return value;
}

const SIZE_UNITS: Readonly<Record<string, Scale>> = {
  '': dec(0),
  b: dec(0),
  kb: dec(3),
  mb: dec(6),
  gb: dec(9),
  tb: dec(12),
  kib: bin(2 ** 10),
  mib: bin(2 ** 20),
  gib: bin(2 ** 30),
  tib: bin(2 ** 40),
  k: bin(2 ** 10),
  m: bin(2 ** 20),
  g: bin(2 ** 30),
};

/**
 * A whole number of bytes from '1MB' (1e6), '1MiB' (2^20), '64M' (2^20, as nccl-tests),
 * '140e9' or '4096'. Units are not case-sensitive: a size is always in bytes.
 */
export function parseByteSize(option: string, text: string): number {
  const q = split(text);
  const unit = q?.unit.toLowerCase() ?? '';
  const scale = q && Object.hasOwn(SIZE_UNITS, unit) ? SIZE_UNITS[unit] : undefined;
  if (!q || scale === undefined) {
    throw new RangeError(
      `${option} '${text}' is not a size: use B, kB/MB/GB/TB (1e3...), KiB/MiB/GiB/TiB ` +
        '(2^10...) or K/M/G (2^10..., as nccl-tests)',
    );
  }
  const bytes = scale(q);
  if (!Number.isSafeInteger(bytes)) {
    throw new RangeError(`${option} '${text}' is not a whole number of bytes`);
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
    throw new RangeError(
      `${option} '${text}' is not seconds per byte: write 2e-12, 2ps/B or a rate like 500GB/s`,
    );
  }
}
