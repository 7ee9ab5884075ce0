import { describe, expect, it } from 'vitest';
import { algBw, busBw, busBwFactor } from '../../src/model/busbw.ts';
import {
  allGatherDoubling,
  allGatherRing,
  allReduceDirect,
  allReduceDoubleBinaryTree,
  allReduceHalvingDoubling,
  allReduceRing,
  allReduceTree,
  allToAllPairwise,
  bestRingChunks,
  broadcastRing,
  broadcastTree,
  CLOSED_FORMS,
  closedForm,
  reduceRing,
  reduceScatterHalving,
  reduceScatterRing,
  reduceTree,
} from '../../src/model/closed-forms.ts';
import { allReduceHierarchical } from '../../src/model/hierarchical.ts';
import { p2pCrossover, pointToPoint, ringTreeCrossover } from '../../src/model/p2p.ts';
import { COLLECTIVES } from '../../src/plans/plan.ts';

// The book's numbers: N = 8 ranks, M = 1 GB = 1e9 B, alpha = 5 us, beta = 50 GB/s.
// M / beta = 1e9 / 50e9 = 20 ms; (N-1)/N = 7/8; log2 8 = 3.
const BOOK = { alpha: 5e-6, beta: 50e9 };
const M = 1e9;

/** Equal to 1e-12 relative. */
const close = (actual: number, expected: number) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-12 * Math.abs(expected));

describe('the closed forms on the book numbers, computed by hand', () => {
  it('ring AllReduce: 2(N-1) alpha + 2((N-1)/N) M/beta = 70 us + 35 ms', () => {
    // 2 x 7 x 5 us = 70 us; 2 x 7/8 x 20 ms = 35 ms; total 35.07 ms.
    const t = allReduceRing(8, M, BOOK);
    close(t.latency_term, 70e-6);
    close(t.bandwidth_term, 35e-3);
    close(t.time, 35.07e-3);
    expect(t.steps).toBe(14);
    expect(t.reduce_term).toBeUndefined();
  });

  it('ring AllReduce with gamma adds ((N-1)/N) M gamma', () => {
    // 7/8 x 1e9 B x 2e-12 s/B = 1.75 ms.
    const t = allReduceRing(8, M, { ...BOOK, gamma: 2e-12 });
    close(t.reduce_term as number, 1.75e-3);
    close(t.time, 36.82e-3);
  });

  it('tree AllReduce (book form): 2 log2(N) (alpha + M/beta) = 6 x 20.005 ms', () => {
    const t = allReduceTree(8, M, BOOK);
    close(t.latency_term, 30e-6);
    close(t.bandwidth_term, 120e-3);
    close(t.time, 120.03e-3);
  });

  it('halving-doubling: 2 log2(N) alpha + 2((N-1)/N) M/beta = 30 us + 35 ms', () => {
    const t = allReduceHalvingDoubling(8, M, BOOK);
    close(t.time, 35.03e-3);
    expect(t.steps).toBe(6);
  });

  it('double binary tree: 2 floor(log2 N) alpha + 2M/beta = 30 us + 40 ms', () => {
    const t = allReduceDoubleBinaryTree(8, M, { ...BOOK, gamma: 1e-12 });
    close(t.time, 40.03e-3 + 1e-3);
  });

  it('direct: (N-1) alpha + (N-1) M/beta = 35 us + 140 ms', () => {
    close(allReduceDirect(8, M, BOOK).time, 140.035e-3);
  });

  it('AllGather, ReduceScatter and AllToAll: (N-1) alpha + ((N-1)/N) M/beta = 35 us + 17.5 ms', () => {
    for (const f of [allGatherRing, reduceScatterRing, allToAllPairwise]) {
      close(f(8, M, BOOK).time, 17.535e-3);
    }
    // Recursive halving / doubling: log2(N) alpha = 15 us instead of 35 us.
    close(allGatherDoubling(8, M, BOOK).time, 17.515e-3);
    close(reduceScatterHalving(8, M, BOOK).time, 17.515e-3);
  });

  it('Broadcast and Reduce: tree log2(N)(alpha + M/beta), ring (N+C-2)(alpha + M/(C beta))', () => {
    close(broadcastTree(8, M, BOOK).time, 60.015e-3);
    close(reduceTree(8, M, { ...BOOK, gamma: 1e-12 }).time, 60.015e-3 + 3e-3);
    // C = 4 chunks: 10 stages of 5 us + 5 ms = 50.05 ms.
    const ring = broadcastRing(8, M, { ...BOOK, chunks: 4 });
    close(ring.time, 50.05e-3);
    expect(ring.steps).toBe(10);
    expect(ring.chunks).toBe(4);
    // Reduce: each stage also reduces a chunk, 10 x 250 MB x 1e-12 s/B = 2.5 ms.
    close(reduceRing(8, M, { ...BOOK, chunks: 4, gamma: 1e-12 }).time, 52.55e-3);
  });

  it('point to point: alpha + n/beta and n* = alpha beta = 250 kB', () => {
    close(pointToPoint(1e6, BOOK).time, 25e-6);
    close(p2pCrossover(BOOK), 250e3);
  });

  it('ring vs tree crossover: the book N alpha beta / log2 N, and where the forms meet', () => {
    const c = ringTreeCrossover(8, BOOK);
    close(c.approx_bytes, (8 * 250e3) / 3);
    // (N-1-L) alpha beta / (L - (N-1)/N) = 4 x 250 kB / 2.125.
    close(c.exact_bytes, 1e6 / 2.125);
    close(allReduceRing(8, c.exact_bytes, BOOK).time, allReduceTree(8, c.exact_bytes, BOOK).time);
    expect(ringTreeCrossover(2, BOOK).exact_bytes).toBe(0);
    expect(() => ringTreeCrossover(1, BOOK)).toThrow('ranks 1 must be >= 2');
  });
});

describe('rounding where N is not a power of two', () => {
  const unit = { alpha: 1, beta: 1, gamma: 1 };

  it('trees take ceil(log2 N) levels', () => {
    expect(allReduceTree(6, 4, unit)).toMatchObject({
      steps: 6,
      latency_term: 6,
      bandwidth_term: 24,
    });
    expect(broadcastTree(5, 1, unit).steps).toBe(3);
    expect(broadcastTree(4, 1, unit).steps).toBe(2);
  });

  it('the double binary tree is floor(log2 N) deep', () => {
    expect(allReduceDoubleBinaryTree(6, 4, unit).steps).toBe(4);
    expect(allReduceDoubleBinaryTree(8, 4, unit).steps).toBe(6);
  });

  it('halving-doubling adds a fold-in and a fold-out step on p = 2^floor(log2 N)', () => {
    // N = 6, p = 4: 2 x 2 + 2 steps; bytes M + 2 (3/4) M + M = 3.5 M; reduced M + (3/4) M.
    expect(allReduceHalvingDoubling(6, 4, unit)).toMatchObject({
      steps: 6,
      bandwidth_term: 14,
      reduce_term: 7,
    });
    // ReduceScatter N = 6, M = 6: fold-in 6 B, (3/4) 6 B over p = 4, fold-out 6/6 B.
    expect(reduceScatterHalving(6, 6, unit)).toMatchObject({
      steps: 4,
      bandwidth_term: 11.5,
      reduce_term: 10.5,
    });
    expect(allGatherDoubling(6, 6, unit)).toMatchObject({ steps: 4, bandwidth_term: 11.5 });
  });
});

describe('what every form shares', () => {
  const forms = Object.entries(CLOSED_FORMS).flatMap(([c, byAlgo]) =>
    Object.entries(byAlgo).map(([a, f]) => [`${c} ${a}`, f] as const),
  );

  it.each(forms)('%s costs nothing on one rank', (_, f) => {
    expect(f(1, 1e9, { ...BOOK, gamma: 1e-12 })).toMatchObject({
      time: 0,
      latency_term: 0,
      bandwidth_term: 0,
    });
  });

  it.each(forms)('%s time is the sum of its terms', (_, f) => {
    const t = f(7, 3e6, { ...BOOK, gamma: 1e-12 });
    close(t.time, t.latency_term + t.bandwidth_term + (t.reduce_term ?? 0));
  });

  it.each(forms)('%s refuses bad input, naming the value and the limit', (_, f) => {
    expect(() => f(0, 1, BOOK)).toThrow('ranks 0 must be a whole number >= 1');
    expect(() => f(2.5, 1, BOOK)).toThrow(RangeError);
    expect(() => f(4, -1, BOOK)).toThrow('bytes -1 must be a finite number >= 0');
    expect(() => f(4, 1, { alpha: -1, beta: 1 })).toThrow(
      'alpha -1 s must be a finite number >= 0',
    );
    expect(() => f(4, 1, { alpha: 1, beta: 0 })).toThrow('beta 0 B/s must be a finite number > 0');
    expect(() => f(4, 1, { alpha: 1, beta: 1, gamma: -1 })).toThrow('gamma -1 s/B');
  });

  it('no AllReduce beats the bandwidth lower bound 2((N-1)/N) M/beta; the ring attains it', () => {
    for (const n of [2, 3, 5, 8, 64]) {
      const bound = (2 * ((n - 1) / n) * M) / BOOK.beta;
      for (const f of Object.values(CLOSED_FORMS.allreduce)) {
        expect(f(n, M, BOOK).bandwidth_term).toBeGreaterThanOrEqual(bound * (1 - 1e-12));
      }
      close(allReduceRing(n, M, BOOK).bandwidth_term, bound);
    }
  });

  it('closedForm finds a form by name and names those that exist when not', () => {
    expect(closedForm('allreduce', 'ring', 8, M, BOOK)).toEqual(allReduceRing(8, M, BOOK));
    expect(() => closedForm('broadcast', 'rhd', 8, M, BOOK)).toThrow(
      "algorithm 'rhd' has no closed form for broadcast (tree, ring)",
    );
    expect(() => closedForm('allreduce', 'toString', 8, M, BOOK)).toThrow(RangeError);
  });
});

describe('the pipelined ring Broadcast', () => {
  it('picks the chunk count that is fastest', () => {
    for (const [n, m] of [
      [8, 64 * 2 ** 20],
      [3, 1e6],
      [16, 1e9],
    ] as const) {
      const cost = (c: number) => broadcastRing(n, m, { ...BOOK, chunks: c }).time;
      let best = 1;
      for (let c = 2; c <= 5000; c++) if (cost(c) < cost(best)) best = c;
      expect(bestRingChunks(n, m, BOOK.alpha, BOOK.beta)).toBe(best);
      expect(broadcastRing(n, m, BOOK).chunks).toBe(best);
    }
  });

  it('takes one chunk for two ranks or an empty message, and one per byte when alpha is 0', () => {
    expect(bestRingChunks(2, 1e9, 1e-6, 1e9)).toBe(1);
    expect(bestRingChunks(8, 0, 1e-6, 1e9)).toBe(1);
    expect(bestRingChunks(8, 1000, 0, 1e9)).toBe(1000);
    expect(() => broadcastRing(8, M, { ...BOOK, chunks: 0 })).toThrow(
      'chunks 0 must be a whole number >= 1',
    );
  });
});

describe('hierarchical AllReduce', () => {
  const nvlink = { alpha: 2e-6, beta: 450e9 };

  it('is RS inside + ring AllReduce of M/G across + AG inside', () => {
    // 4 nodes x 8: RS_intra = AG_intra = 7 x 2 us + 7/8 x 1e9 / 450e9 s;
    // inter: ring over 4 nodes on 125 MB: 6 x 5 us + 2 x 3/4 x 125e6 / 50e9 s = 30 us + 3.75 ms.
    const t = allReduceHierarchical(M, { nodes: 4, ranksPerNode: 8, intra: nvlink, inter: BOOK });
    const intra = 14e-6 + 0.875e9 / 450e9;
    close(t.phases.reduce_scatter_intra.time, intra);
    close(t.phases.allreduce_inter.time, 30e-6 + 3.75e-3);
    close(t.time, 2 * intra + 30e-6 + 3.75e-3);
    expect(t.steps).toBe(7 + 6 + 7);
  });

  it('is the ring AllReduce when there is one node, or one rank per node', () => {
    const one = allReduceHierarchical(M, { nodes: 1, ranksPerNode: 8, intra: BOOK, inter: nvlink });
    close(one.time, allReduceRing(8, M, BOOK).time);
    const flat = allReduceHierarchical(M, {
      nodes: 8,
      ranksPerNode: 1,
      intra: nvlink,
      inter: BOOK,
    });
    close(flat.time, allReduceRing(8, M, BOOK).time);
  });

  it('names a bad node count', () => {
    expect(() =>
      allReduceHierarchical(M, { nodes: 0, ranksPerNode: 8, intra: BOOK, inter: BOOK }),
    ).toThrow('nodes 0 must be a whole number >= 1');
  });
});

describe("nccl-tests' bus bandwidth", () => {
  it.each([
    ['allreduce', 8, 1.75],
    ['reducescatter', 8, 0.875],
    ['allgather', 4, 0.75],
    ['alltoall', 2, 0.5],
    ['broadcast', 8, 1],
    ['reduce', 3, 1],
    ['allreduce', 1, 0],
  ] as const)('%s on %i ranks: factor %d', (collective, n, factor) => {
    expect(busBwFactor(collective, n)).toBe(factor);
  });

  it('covers every collective', () => {
    for (const c of COLLECTIVES) expect(busBwFactor(c, 4)).toBeGreaterThan(0);
  });

  it('algbw = S/t and busbw = algbw x factor', () => {
    expect(algBw(1e9, 0.5)).toBe(2e9);
    expect(busBw('allreduce', 8, 1e9, 0.5)).toBe(3.5e9);
    expect(() => algBw(1, 0)).toThrow('time 0 s must be a finite number > 0');
  });
});
