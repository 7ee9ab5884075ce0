import { describe, expect, it } from 'vitest';
import { Table } from '../../src/cli/table.ts';
import { sweepSizes } from '../../src/exec/calibration/microbench.ts';
import { median } from '../../src/exec/measure/median.ts';

describe('Table', () => {
  it('aligns header and rows to the same right edges, header lines start with #', () => {
    const t = new Table([
      { title: 'size', unit: '(B)' },
      { title: 'time', unit: '(us)' },
    ]);
    const [title, unit] = t.header();
    const row = t.row(['4096', '12.5']);
    expect(title?.startsWith('#')).toBe(true);
    expect(unit?.startsWith('#')).toBe(true);
    expect(title?.length).toBe(row.length);
    expect(unit?.length).toBe(row.length);
    expect(row.trimEnd().endsWith('12.5')).toBe(true);
    expect(() => t.row(['1'])).toThrow('table row has 1 cells for 2 columns');
  });
});

describe('sweepSizes', () => {
  it('goes from min to max by the factor, rounded to 16 B', () => {
    expect(sweepSizes({ minBytes: 4096, maxBytes: 65536, stepFactor: 2 })).toEqual([
      4096, 8192, 16384, 32768, 65536,
    ]);
    expect(sweepSizes({ minBytes: 1000, maxBytes: 5000, stepFactor: 2 })).toEqual([
      1008, 2000, 4000,
    ]);
    expect(sweepSizes({ minBytes: 64, maxBytes: 64, stepFactor: 2 })).toEqual([64]);
  });
});

describe('median', () => {
  it('ignores NaN (dropped timestamp pairs) and averages the middle two', () => {
    expect(median([3, Number.NaN, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([Number.NaN])).toBeNaN();
  });
});

describe('Table.labels', () => {
  it('starts each label over its column, however wide the columns before it', () => {
    const t = new Table([
      { title: 'size', unit: '(B)', width: 4 },
      { title: 'time', unit: '(us)', width: 6 },
      { title: 'median', unit: '(us)', width: 6 },
      { title: 'time', unit: '(us)', width: 6 },
    ]);
    const [titles] = t.header();
    const line = t.labels([
      [1, 'out-of-place'],
      [3, 'in-place'],
    ]);
    // Each label begins where its column's cell begins in the header.
    const cellStart = (i: number) => 1 + [4, 6, 6].slice(0, i).reduce((s, w) => s + w + 2, 0);
    expect(line.indexOf('out-of-place')).toBe(cellStart(1));
    expect(line.indexOf('in-place')).toBe(cellStart(3));
    expect(titles?.slice(cellStart(3)).trim()).toBe('time');
  });
});
