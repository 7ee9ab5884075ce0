// Numbers as people read them: bytes in decimal units with the binary ones beside them (limits
// are powers of two, bandwidths are decimal), seconds in the unit that keeps 3 significant
// digits, bandwidth in GB/s as nccl-tests prints it.

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'] as const;
const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** Three significant digits for 1 <= |x| < 1000: 1.07, 16.4, 268. */
function sig3(x: number): string {
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function checkFinite(what: string, value: number, allowNegative: boolean): void {
  if (!Number.isFinite(value) || (!allowNegative && value < 0)) {
    throw new RangeError(
      `${what} ${value} is not a finite${allowNegative ? '' : ' non-negative'} number`,
    );
  }
}

/**
 * The unit index k for `value` in powers of `base`: the largest whose figure, once rounded to
 * 3 significant digits, is at least 1 (so 999,999 B reads '1.00 MB', not '1000 kB').
 */
function scale(value: number, base: number, units: number): number {
  let k = 0;
  while (k < units - 1 && Number(sig3(value / base ** (k + 1))) >= 1) k++;
  return k;
}

/**
 * '1.07 GB (1 GiB)', '16.4 kB (16 KiB)', '1.00 GB (954 MiB)', '256 B'. GB = 1e9 B, GiB = 2^30 B.
 * The binary figure is shown whole when it is exact, since granted limits usually are.
 */
export function formatBytes(bytes: number): string {
  checkFinite('byte count', bytes, false);
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  const d = scale(bytes, 1000, DECIMAL.length);
  const b = scale(bytes, 1024, BINARY.length);
  const decimal = `${sig3(bytes / 1000 ** d)} ${DECIMAL[d]}`;
  const x = bytes / 1024 ** b;
  const binary = `${Number.isInteger(x) ? x : sig3(x)} ${BINARY[b]}`;
  return `${decimal} (${binary})`;
}

const SECOND_UNITS: readonly (readonly [number, string])[] = [
  [1, 's'],
  [1e-3, 'ms'],
  [1e-6, 'µs'],
  [1e-9, 'ns'],
];

/** '1.50 s', '123 ms', '65.5 µs', '12.0 ns', '0 s'; minutes and beyond stay in seconds. */
export function formatSeconds(seconds: number): string {
  checkFinite('duration', seconds, true);
  if (seconds === 0) return '0 s';
  const a = Math.abs(seconds);
  // The first unit, largest first, whose rounded figure is at least 1 (so 0.99996 s reads
  // '1.00 s', not '1000 ms'); below a nanosecond, nanoseconds.
  for (const [factor, unit] of SECOND_UNITS) {
    if (Number(sig3(a / factor)) >= 1 || unit === 'ns') return `${sig3(seconds / factor)} ${unit}`;
  }
  return `${sig3(seconds)} s`;
}

/**
 * Bytes per second as 'x.xx GB/s' (1 GB = 1e9 B), always in GB/s with two decimals as
 * nccl-tests prints algbw and busbw, so that rows of a table compare at a glance.
 */
export function formatBandwidth(bytesPerSecond: number): string {
  checkFinite('bandwidth', bytesPerSecond, false);
  return `${(bytesPerSecond / 1e9).toFixed(2)} GB/s`;
}
