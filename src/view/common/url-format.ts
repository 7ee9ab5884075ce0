// Quantities written back into a URL as people would type them ('4K', '1.9us', '450GB/s'),
// each exact: parsing the text with src/model/units-parse.ts gives back the very same number,
// so a link round-trips. Where no short form is exact, the plain number is (bytes, seconds,
// B/s), since JavaScript prints every number so that it reads back unchanged.
import { parseBandwidth, parseTime } from '../../model/units-parse.ts';

/** A unit and how many of it make one base unit (byte, second, B/s), largest first. */
type Units = readonly (readonly [string, number])[];

const BINARY_SIZES: Units = [
  ['G', 2 ** 30],
  ['M', 2 ** 20],
  ['K', 2 ** 10],
];
const DECIMAL_SIZES: Units = [
  ['GB', 1e9],
  ['MB', 1e6],
  ['kB', 1e3],
];

/** '512K', '1M', '1MB', '16': binary units (as nccl-tests) where whole, then decimal. */
export function sizeText(bytes: number): string {
  for (const [unit, f] of [...BINARY_SIZES, ...DECIMAL_SIZES]) {
    if (bytes >= f && bytes % f === 0) return `${bytes / f}${unit}`;
  }
  return String(bytes);
}

/**
 * The value in the largest unit it is at least 1 of, with the fewest digits that parse back
 * exactly; `per` is how many units make one base unit (1e6 us in a second).
 */
function exactText(value: number, units: Units, parse: (text: string) => number): string {
  const [unit, per] = units.find(([, per]) => value * per >= 1) ?? ['', 1];
  if (value > 0 && unit !== '') {
    for (let digits = 1; digits <= 17; digits++) {
      const text = `${Number((value * per).toPrecision(digits))}${unit}`;
      if (parse(text) === value) return text;
    }
  }
  // Both print the shortest digits that read back exactly; '1.8999999999999998e-6' beats
  // '0.0000018999999999999998'.
  const [plain, exponent] = [String(value), value.toExponential()];
  return exponent.length < plain.length ? exponent : plain;
}

const TIMES: Units = [
  ['s', 1],
  ['ms', 1e3],
  ['us', 1e6],
  ['ns', 1e9],
];

/** Seconds as '1.9us', '500ns', '2ms' (0 and odd values as plain seconds). */
export function timeText(seconds: number): string {
  return exactText(seconds, TIMES, (t) => parseTime('time', t));
}

// Bandwidth is per second, so a unit 1e9 times larger holds 1e-9 as many: GB/s is 1e-9 of B/s.
const BANDWIDTHS: Units = [
  ['GB/s', 1e-9],
  ['MB/s', 1e-6],
  ['kB/s', 1e-3],
];

/** Bytes per second as '450GB/s', '12.5GB/s' (odd values as plain B/s). */
export function bandwidthText(bytesPerSecond: number): string {
  return exactText(bytesPerSecond, BANDWIDTHS, (t) => parseBandwidth('bandwidth', t));
}
