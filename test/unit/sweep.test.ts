// The sweep's model side (no GPU): curves priced from the plans equal the textbook by hand on a
// switch, the ring/tree crossover lands where the book says, and on one GPU (one shared memory
// system) the ring never overtakes the tree. Also the plot's axis helpers.
import { describe, expect, it } from 'vitest';
import { localFabric, switchFabric } from '../../src/fabric/topologies.ts';
import {
  crossover,
  curveCrossing,
  logSizes,
  type ModelPoint,
  type ModelSpec,
  modelCurves,
} from '../../src/view/collectives/sweep.ts';
import {
  decadeTicks,
  formatSize,
  formatTick,
  sizeTicks,
} from '../../src/view/collectives/sweep-axes.ts';

// N = 8 ranks on one switch, alpha = 1 us, beta = 1 GB/s: alpha beta = 1000 B.
const N = 8;
const ALPHA = 1e-6;
const BETA = 1e9;
const LINK = { alpha_s: ALPHA, beta_Bps: BETA };
// Powers of two from 128 B (32 floats: 4 per rank, one vec4 granule each) to 1 MiB.
const SIZES = Array.from({ length: 14 }, (_, k) => 128 * 2 ** k);

const ringByHand = (m: number) => 2 * (N - 1) * (ALPHA + m / N / BETA);
const treeByHand = (m: number) => 2 * Math.log2(N) * (ALPHA + m / BETA);
// The book's exact crossover: (N-1-L) alpha beta / (L - (N-1)/N), L = log2 8 = 3.
const BOOK_BYTES = (4 * ALPHA * BETA) / (3 - 7 / 8);

function spec(overrides: Partial<ModelSpec> = {}): ModelSpec {
  return {
    collective: 'allreduce',
    algorithms: ['ring', 'tree'],
    ranks: N,
    sizes: SIZES,
    fabric: switchFabric(N, LINK),
    inPlace: true,
    closedFormLink: LINK,
    ...overrides,
  };
}

function curve(curves: ReturnType<typeof modelCurves>, algorithm: string, kind: string) {
  const c = curves.find((x) => x.algorithm === algorithm && x.kind === kind);
  if (!c) throw new Error(`no ${kind} curve of ${algorithm}`);
  return c.points;
}

describe('modelCurves', () => {
  const curves = modelCurves(spec());

  it('gives a priced and a closed-form curve per algorithm, in order', () => {
    expect(curves.map((c) => `${c.kind} ${c.algorithm}`)).toEqual([
      'priced ring',
      'closed-form ring',
      'priced tree',
      'closed-form tree',
    ]);
    for (const c of curves) expect(c.points.map((p) => p.bytes)).toEqual(SIZES);
  });

  it('prices ring and tree on a switch as the book computes them by hand', () => {
    for (const [alg, byHand] of [
      ['ring', ringByHand],
      ['tree', treeByHand],
    ] as const) {
      for (const kind of ['priced', 'closed-form']) {
        for (const p of curve(curves, alg, kind)) {
          expect(p.time_s / byHand(p.bytes)).toBeCloseTo(1, 12);
          // busbw = S / t x 2(N-1)/N
          expect(p.busbw_Bps / (((p.bytes / p.time_s) * (2 * (N - 1))) / N)).toBeCloseTo(1, 12);
        }
      }
    }
    // 1 MiB ring: 14 x (1 us + 131072 B / 1 GB/s) = 14 x 132.072 us.
    expect(curve(curves, 'ring', 'priced').at(-1)?.time_s).toBeCloseTo(14 * 132.072e-6, 12);
  });

  it('leaves out closed forms without a link, and rounds sizes down to whole elements', () => {
    const c = modelCurves(spec({ closedFormLink: undefined, sizes: [1027, 130, 1024] }));
    expect(c.map((x) => x.kind)).toEqual(['priced', 'priced']);
    expect(c[0]?.points.map((p) => p.bytes)).toEqual([128, 1024]);
  });

  it('refuses a size smaller than one element and an unknown algorithm', () => {
    expect(() => modelCurves(spec({ sizes: [2] }))).toThrow(RangeError);
    expect(() => modelCurves(spec({ algorithms: ['nope'] }))).toThrow(/no algorithm 'nope'/);
  });
});

describe('crossover', () => {
  it('finds the book figure and the model curves crossing at the same size', () => {
    const s = spec();
    const curves = modelCurves(s);
    const refined = crossover({ collective: 'allreduce', ranks: N, link: LINK, curves, model: s });
    expect(refined.book_bytes).toBeCloseTo(BOOK_BYTES, 6); // 1882.35 B
    expect(refined.book_approx_bytes).toBeCloseTo((N * ALPHA * BETA) / 3, 6);
    expect(refined.faster_below).toBe('tree');
    expect(Math.abs((refined.model_bytes as number) / BOOK_BYTES - 1)).toBeLessThan(0.01);
    // Without the spec, interpolated between 1 KiB and 2 KiB in log-log: near, not exact.
    const interpolated = crossover({ collective: 'allreduce', ranks: N, curves });
    expect(interpolated.book_bytes).toBeNull();
    expect(Math.abs((interpolated.model_bytes as number) / BOOK_BYTES - 1)).toBeLessThan(0.05);
    // The pair either way round: the same size, the same winner below it.
    const reversed = crossover({
      collective: 'allreduce',
      ranks: N,
      curves,
      pair: ['tree', 'ring'],
    });
    expect(reversed.model_bytes).toBeCloseTo(interpolated.model_bytes as number, 6);
    expect(reversed.faster_below).toBe('tree');
    // The closed-form curves cross where ringTreeCrossover says, too.
    const book = curveCrossing(
      curve(curves, 'ring', 'closed-form'),
      curve(curves, 'tree', 'closed-form'),
    );
    expect(Math.abs((book?.bytes as number) / BOOK_BYTES - 1)).toBeLessThan(0.05);
  });

  it('has no model crossing on one GPU: ring and tree move the same bytes through one memory', () => {
    const s = spec({
      fabric: localFabric(N, { alpha_s: 20e-6, beta_Bps: 2e9, gamma_s_per_B: 1e-10 }),
      sizes: logSizes(1024, 1 << 30, 1),
    });
    const c = crossover({ collective: 'allreduce', ranks: N, curves: modelCurves(s), model: s });
    expect(c.model_bytes).toBeNull();
    expect(c.faster_below).toBeNull();
  });

  it('has no book figure for other collectives or when the tree never wins', () => {
    expect(crossover({ collective: 'broadcast', ranks: 8, link: LINK }).book_bytes).toBeNull();
    expect(crossover({ collective: 'allreduce', ranks: 3, link: LINK }).book_bytes).toBeNull();
  });
});

describe('curveCrossing', () => {
  const pts = (xs: number[], f: (x: number) => number): ModelPoint[] =>
    xs.map((bytes) => ({ bytes, time_s: f(bytes), busbw_Bps: 0 }));

  it('is exact for power laws (straight in log-log)', () => {
    const xs = [1, 10, 1000, 1e5];
    const hit = curveCrossing(
      pts(xs, (x) => x),
      pts(xs, () => 100),
    );
    expect(hit).toMatchObject({ below: 1, above: 2, atPoint: false });
    expect(hit?.bytes).toBeCloseTo(100, 9);
  });

  it('returns a point where the curves meet and then part, and null when they only touch', () => {
    const xs = [1, 2, 3, 4];
    const a = pts(xs, () => 1);
    expect(
      curveCrossing(
        a,
        pts(xs, (x) => [2, 1, 0.5, 0.5][x - 1] as number),
      )?.bytes,
    ).toBe(2);
    expect(
      curveCrossing(
        a,
        pts(xs, (x) => [2, 1, 2, 2][x - 1] as number),
      ),
    ).toBeNull();
    expect(curveCrossing(a, a)).toBeNull();
  });
});

describe('logSizes', () => {
  it('steps by factors of two, in whole elements', () => {
    expect(logSizes(1024, 1 << 20, 1)).toEqual(Array.from({ length: 11 }, (_, k) => 1024 * 2 ** k));
    const fine = logSizes(1000, 5000, 4);
    expect(fine[0]).toBe(1000);
    expect(fine.at(-1)).toBe(5000);
    for (const b of fine) expect(b % 4).toBe(0);
    expect(() => logSizes(0, 10)).toThrow(RangeError);
  });
});

describe('sweep axes', () => {
  it('labels sizes in binary units', () => {
    expect([768, 1024, 1536, 65536, 1 << 20, 9.27 * 2 ** 20].map(formatSize)).toEqual([
      '768 B',
      '1 KiB',
      '1.5 KiB',
      '64 KiB',
      '1 MiB',
      '9.3 MiB',
    ]);
  });

  it('spaces size ticks by powers of two that fit the width', () => {
    expect(sizeTicks(1024, 1 << 20, 1100, 90)).toHaveLength(11);
    expect(sizeTicks(1024, 1 << 20, 300, 90).map(formatSize)).toEqual(['1 KiB', '32 KiB', '1 MiB']);
    expect(sizeTicks(1000, 3000, 800, 90)).toEqual([1024, 2048]);
  });

  it('puts value ticks on decades, with 2 and 5 when the range is narrow', () => {
    expect(decadeTicks(0.05, 300)).toEqual([0.1, 1, 10, 100]);
    expect(decadeTicks(3, 40)).toEqual([5, 10, 20]);
    expect([0.01, 0.5, 20, 3000, 40000, 1e6].map(formatTick)).toEqual([
      '0.01',
      '0.5',
      '20',
      '3000',
      '40k',
      '1M',
    ]);
  });
});
