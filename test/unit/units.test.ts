import { describe, expect, it } from 'vitest';
import { formatBandwidth, formatBytes, formatSeconds } from '../../src/model/units.ts';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [256, '256 B'],
    [999, '999 B'],
    [1000, '1.00 kB (1000 B)'],
    [1024, '1.02 kB (1 KiB)'],
    [16_384, '16.4 kB (16 KiB)'],
    [999_999, '1.00 MB (977 KiB)'],
    [134_217_728, '134 MB (128 MiB)'],
    [268_435_456, '268 MB (256 MiB)'],
    [2 ** 30, '1.07 GB (1 GiB)'],
    [1e9, '1.00 GB (954 MiB)'],
    [2 ** 32 - 1, '4.29 GB (4.00 GiB)'],
    [2 ** 40, '1.10 TB (1 TiB)'],
  ])('%d B reads %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it('refuses what is not a byte count', () => {
    expect(() => formatBytes(-1)).toThrow(RangeError);
    expect(() => formatBytes(Number.NaN)).toThrow(RangeError);
    expect(() => formatBytes(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe('formatSeconds', () => {
  it.each([
    [0, '0 s'],
    [1.5, '1.50 s'],
    [125, '125 s'],
    [0.123, '123 ms'],
    [0.99996, '1.00 s'],
    [65.536e-6, '65.5 µs'],
    [100e-6, '100 µs'],
    [12e-9, '12.0 ns'],
    [1e-12, '0.00 ns'],
    [-2.5e-3, '-2.50 ms'],
  ])('%d s reads %s', (seconds, text) => {
    expect(formatSeconds(seconds)).toBe(text);
  });

  it('refuses what is not finite', () => {
    expect(() => formatSeconds(Number.NaN)).toThrow(RangeError);
  });
});

describe('formatBandwidth', () => {
  it('speaks GB/s with two decimals, as nccl-tests does', () => {
    expect(formatBandwidth(0)).toBe('0.00 GB/s');
    expect(formatBandwidth(1.1e9)).toBe('1.10 GB/s');
    expect(formatBandwidth(18_765_432_100)).toBe('18.77 GB/s');
    expect(formatBandwidth(2 ** 30)).toBe('1.07 GB/s');
  });

  it('refuses a negative rate', () => {
    expect(() => formatBandwidth(-1)).toThrow(RangeError);
  });
});
