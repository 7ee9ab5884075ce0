import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.ts';
import {
  parseRate as parseBandwidth,
  parseSize as parseByteSize,
  parseCount,
  parseDecimal,
  parseSecondsPerByte,
  parseTime,
} from '../../src/cli/grammar.ts';
import * as model from '../../src/model/units-parse.ts';

// The CLI's grammar (src/cli/grammar.ts) is the model's (src/model/units-parse.ts, which the
// pages' URLs share) made strict where a person types: a bare number needs a unit on a time or
// a rate, b and bit are bits only on a rate, a negative value says so.

describe('parseTime', () => {
  it.each([
    ['500ns', 500e-9],
    ['1.5us', 1.5e-6],
    ['1.5 µs', 1.5e-6],
    ['1.5μs', 1.5e-6],
    ['2ms', 2e-3],
    ['5e-6s', 5e-6],
    ['3s', 3],
    ['0', 0],
    ['250ps', 250e-12],
    ['.5us', 0.5e-6],
  ])('%s is %d s', (text, seconds) => {
    expect(parseTime('--alpha', text)).toBe(seconds);
  });

  it.each(['', 'fast', '5 sec', '1.5uss', 'us', '1e', 'Infinity'])(
    'rejects %j naming the option and value',
    (text) => {
      expect(() => parseTime('--alpha', text)).toThrow(UsageError);
      expect(() => parseTime('--alpha', text)).toThrow(`--alpha '${text}' is not a time`);
    },
  );

  it('asks for a unit on a bare number other than 0, and names a negative time', () => {
    expect(() => parseTime('--alpha', '1.5')).toThrow(
      "--alpha '1.5' needs a unit: 1.5s, 1.5ms, 1.5us, ...",
    );
    expect(() => parseTime('--alpha', '5e-6')).toThrow("--alpha '5e-6' needs a unit");
    expect(() => parseTime('--alpha', '-1us')).toThrow("--alpha '-1us' is negative");
  });

  it('says the limit', () => {
    expect(() => parseTime('--slo', '0s', { min: 1e-9 })).toThrow(
      "--slo '0s' must be at least 1.00 ns",
    );
  });
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
    ['140e9B/s', 140e9],
    ['1GiB/s', 2 ** 30],
    ['25kB/s', 25e3],
    ['8bps', 1],
  ])('%s is %d B/s', (text, bytesPerSecond) => {
    expect(parseBandwidth('--beta', text)).toBe(bytesPerSecond);
  });

  it.each(['50GBs', '50gb/s', 'GB/s', '50 GB', '1Gibps'])('rejects %j', (text) => {
    expect(() => parseBandwidth('--beta', text)).toThrow(`--beta '${text}' is not a bandwidth`);
  });

  it('asks for a unit on a bare number and names a negative rate', () => {
    expect(() => parseBandwidth('--beta', '140e9')).toThrow(
      "--beta '140e9' needs a unit: 140e9GB/s, 140e9B/s, 140e9Gbps, ...",
    );
    expect(() => parseBandwidth('--beta', '-5GB/s')).toThrow("--beta '-5GB/s' is negative");
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
    ['1MIB', 2 ** 20],
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

  it.each(['', 'lots', '1XB'])('rejects %j', (text) => {
    expect(() => parseByteSize('--bytes', text)).toThrow(`--bytes '${text}' is not a size`);
  });

  it.each([
    ['1Gb', "--bytes '1Gb': 'Gb' is bits, and --bytes is a size in bytes: write 1GB"],
    ['1mib', "--bytes '1mib': 'mib' is bits"],
    ['8bit', "--bytes '8bit': 'bit' is bits"],
    ['1MB/s', "--bytes '1MB/s' is a rate"],
    ['-1MB', "--bytes '-1MB' is negative"],
  ])('refuses %j, saying why', (text, message) => {
    expect(() => parseByteSize('--bytes', text)).toThrow(message);
  });

  it('rejects part of a byte', () => {
    expect(() => parseByteSize('--bytes', '1.5')).toThrow(
      "--bytes '1.5' is not a whole number of bytes",
    );
  });
});

describe('parseSecondsPerByte', () => {
  it.each([
    ['2e-12s/B', 2e-12],
    ['2ps/B', 2e-12],
    ['0.5ns / B', 0.5e-9],
    ['500GB/s', 1 / 500e9],
  ])('%s is %d s/B', (text, gamma) => {
    expect(parseSecondsPerByte('--gamma', text)).toBe(gamma);
  });

  it.each(['quick', '2ps', '5 parsecs/B', '2e-12'])('rejects %j', (text) => {
    expect(() => parseSecondsPerByte('--gamma', text)).toThrow(UsageError);
  });
});

describe('parseCount', () => {
  it.each([
    ['8', 8],
    ['4K', 4096],
    ['4k', 4096],
    ['1M', 2 ** 20],
    ['1e6', 1e6],
    ['1.5K', 1536],
  ])('%s is %i', (text, n) => {
    expect(parseCount('--tokens', text, { min: 1, max: 2 ** 30 })).toBe(n);
  });

  it.each([
    ['1e20', "--ranks '1e20' must be at most 64"],
    ['1e400', "--ranks '1e400' must be at most 64"],
    ['0', "--ranks '0' must be at least 1"],
    ['-4', "--ranks '-4' must be at least 1"],
    ['2.5', "--ranks '2.5' must be a whole number from 1 to 64"],
    ['2x', "--ranks '2x' is not a count"],
    ['', "--ranks '' is not a count"],
  ])('refuses %j: %s', (text, message) => {
    expect(() => parseCount('--ranks', text, { min: 1, max: 64 })).toThrow(message);
  });
});

describe('parseDecimal', () => {
  it('takes a plain number in range, and inf where allowed', () => {
    expect(parseDecimal('-f', '2', { min: 1.01, max: 1024 })).toBe(2);
    expect(parseDecimal('--rate', 'inf', { min: 0, max: 1e9, inf: true })).toBe(Infinity);
    expect(() => parseDecimal('-f', '1', { min: 1.01, max: 1024 })).toThrow(
      "-f '1' must be at least 1.01",
    );
    expect(() => parseDecimal('-f', 'two', { min: 1.01, max: 1024 })).toThrow(
      "-f 'two' is not a number",
    );
    expect(() => parseDecimal('-f', 'inf', { min: 1, max: 2 })).toThrow("-f 'inf' is not a number");
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
