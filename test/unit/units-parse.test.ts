import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.ts';
import {
  parseBandwidth,
  parseByteSize,
  parseSecondsPerByte,
  parseTime,
} from '../../src/cli/units-parse.ts';
import * as model from '../../src/model/units-parse.ts';

describe('parseTime', () => {
  it.each([
    ['500ns', 500e-9],
    ['1.5us', 1.5e-6],
    ['1.5 µs', 1.5e-6],
    ['1.5μs', 1.5e-6],
    ['2ms', 2e-3],
    ['5e-6', 5e-6],
    ['3s', 3],
    ['0', 0],
    ['250ps', 250e-12],
    ['.5us', 0.5e-6],
  ])('%s is %d s', (text, seconds) => {
    expect(parseTime('--alpha', text)).toBe(seconds);
  });

  it.each(['', 'fast', '-1us', '5 sec', '1.5uss', 'us', '1e', 'Infinity'])(
    'rejects %j naming the option and value',
    (text) => {
      expect(() => parseTime('--alpha', text)).toThrow(UsageError);
      expect(() => parseTime('--alpha', text)).toThrow(`--alpha '${text}' is not a time`);
    },
  );
});

describe('parseBandwidth', () => {
  it.each([
    ['50GB/s', 50e9],
    ['50 GB/s', 50e9],
    ['12.5GBps', 12.5e9],
    ['400Gbps', 50e9],
    ['400Gb/s', 50e9],
    ['100Gbit/s', 12.5e9],
    ['1.6Tbps', 200e9],
    ['900GB/s', 900e9],
    ['140e9', 140e9],
    ['1GiB/s', 2 ** 30],
    ['25kB/s', 25e3],
    ['8bps', 1],
  ])('%s is %d B/s', (text, bytesPerSecond) => {
    expect(parseBandwidth('--beta', text)).toBe(bytesPerSecond);
  });

  it.each(['50GBs', '50gb/s', 'GB/s', '-5GB/s', '50 GB', '1Gibps'])('rejects %j', (text) => {
    expect(() => parseBandwidth('--beta', text)).toThrow(`--beta '${text}' is not a bandwidth`);
  });

  it('rejects a zero bandwidth', () => {
    expect(() => parseBandwidth('--beta', '0GB/s')).toThrow(
      "--beta '0GB/s' must be more than 0 B/s",
    );
  });
});

describe('parseByteSize', () => {
  it.each([
    ['1MB', 1e6],
    ['1MiB', 2 ** 20],
    ['1mib', 2 ** 20],
    ['64M', 64 * 2 ** 20],
    ['4K', 4096],
    ['140e9', 140e9],
    ['1GB', 1e9],
    ['1 GiB', 2 ** 30],
    ['2TB', 2e12],
    ['1.5KB', 1500],
    ['0', 0],
    ['4096B', 4096],
  ])('%s is %i B', (text, bytes) => {
    expect(parseByteSize('--bytes', text)).toBe(bytes);
  });

  it.each(['', 'lots', '-1MB', '1XB', '1MB/s'])('rejects %j', (text) => {
    expect(() => parseByteSize('--bytes', text)).toThrow(`--bytes '${text}' is not a size`);
  });

  it('rejects part of a byte', () => {
    expect(() => parseByteSize('--bytes', '1.5')).toThrow(
      "--bytes '1.5' is not a whole number of bytes",
    );
  });
});

describe('parseSecondsPerByte', () => {
  it.each([
    ['2e-12', 2e-12],
    ['2ps/B', 2e-12],
    ['0.5ns / B', 0.5e-9],
    ['500GB/s', 1 / 500e9],
  ])('%s is %d s/B', (text, gamma) => {
    expect(parseSecondsPerByte('--gamma', text)).toBe(gamma);
  });

  it.each(['quick', '2ps', '5 parsecs/B'])('rejects %j', (text) => {
    expect(() => parseSecondsPerByte('--gamma', text)).toThrow(UsageError);
  });
});

describe('the parsers in src/model, which the view shares', () => {
  it('throw RangeError (the CLI turns it into UsageError)', () => {
    expect(() => model.parseTime('alpha', 'soon')).toThrow(RangeError);
    expect(() => model.parseTime('alpha', 'soon')).not.toThrow(UsageError);
    expect(() => parseTime('--alpha', 'soon')).toThrow(UsageError);
  });

  it('scale decimal units by shifting the written decimal, so they match the literal', () => {
    // 1.9 / 1e6 is one ulp below 1.9e-6; '1.1' x 1e3 is not 1100 in binary arithmetic.
    expect(model.parseTime('alpha', '1.9us')).toBe(1.9e-6);
    expect(model.parseTime('alpha', '0.3ms')).toBe(0.3e-3);
    expect(model.parseByteSize('bytes', '1.1kB')).toBe(1100);
    expect(model.parseBandwidth('beta', '1.1GB/s')).toBe(1.1e9);
    expect(model.parseBandwidth('beta', '0.7Gbps')).toBe(0.7e9 / 8);
  });
});
