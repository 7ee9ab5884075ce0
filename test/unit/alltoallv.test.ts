// AllToAllv (src/plans/experts/alltoallv.ts): both algorithms meet the definition for count
// matrices even, skewed, sparse and random; the graph is valid; the pricer on a switch equals the
// closed form for pairwise (a permutation a step) and the balanced matrix gives the book's sizing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocateBuffers, cloneBuffers, interpret } from '../../src/exec/interpreter/steps.ts';
import { switchFabric } from '../../src/fabric/topologies.ts';
import { allToAllvSeconds, balancedCounts } from '../../src/model/alltoallv.ts';
import { priceGraph } from '../../src/model/event-pricer.ts';
import { moeSizing } from '../../src/model/moe.ts';
import {
  ALLTOALLV_ALGORITHMS,
  allToAllv,
  checkCounts,
  skewedCounts,
} from '../../src/plans/experts/alltoallv.ts';
import { graphOf } from '../../src/plans/from-steps.ts';
import type { Plan } from '../../src/plans/plan.ts';
import { expectedOutputs } from '../../src/plans/semantics.ts';
import { planOf } from '../../src/plans/to-steps.ts';
import { validatePlan } from '../../src/plans/validate.ts';
import { validateGraph } from '../../src/plans/validate-graph.ts';
import { integerInputs, placeInputs, readOutputs } from '../plan-check.ts';

function meetsDefinition(plan: Plan, seed: number): void {
  validatePlan(plan);
  const graph = graphOf(plan);
  validateGraph(graph);
  const inputs = integerInputs(plan, seed);
  const buffers = allocateBuffers(plan);
  placeInputs(plan, buffers, inputs);
  const got = readOutputs(plan, interpret(plan, cloneBuffers(buffers)));
  expect(got).toEqual(expectedOutputs(plan, inputs));
  // The graph read back as steps is the same plan (the executor runs it so).
  const again = planOf(graph);
  expect(readOutputs(again, interpret(again, cloneBuffers(buffers)))).toEqual(got);
}

const matrix = (n: number, max: number) =>
  fc.array(fc.array(fc.nat(max), { minLength: n, maxLength: n }), { minLength: n, maxLength: n });

describe('AllToAllv', () => {
  it.each(ALLTOALLV_ALGORITHMS)('%s meets the definition for any count matrix', (algo) => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }).chain((n) => matrix(n, 40)),
        fc.integer({ min: 1, max: 1000 }),
        (counts, seed) => {
          meetsDefinition(allToAllv({ ranks: counts.length, counts, dtype: 'int32' }, algo), seed);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('pairwise: a local copy and N - 1 steps, each a permutation; direct: one exchange step', () => {
    const counts = skewedCounts(4, 100, 1);
    const p = allToAllv({ ranks: 4, counts, dtype: 'float' }, 'pairwise');
    expect(p.steps.map((s) => s.ops.length)).toEqual([4, 4, 4, 4]);
    for (const s of p.steps.slice(1)) {
      expect(new Set(s.ops.map((o) => o.src.rank)).size).toBe(4);
      expect(new Set(s.ops.map((o) => o.dst.rank)).size).toBe(4);
    }
    const d = allToAllv({ ranks: 4, counts, dtype: 'float' }, 'direct');
    expect(d.steps.map((s) => s.ops.length)).toEqual([4, 12]);
    expect(d.sizes.send).toEqual([100, 100, 100, 100]);
    // Rank 0 is the hot receiver: 4 x 48 of skew 1's 100 (weights 1, 1/2, 1/3, 1/4).
    expect(counts[0]).toEqual([48, 24, 16, 12]);
    expect(d.sizes.recv).toEqual([192, 96, 64, 48]);
  });

  it('empty blocks make no ops; an all-zero matrix is a plan with no steps', () => {
    const counts = [
      [0, 5, 0],
      [0, 0, 0],
      [7, 0, 1],
    ];
    const p = allToAllv({ ranks: 3, counts, dtype: 'float' }, 'pairwise');
    expect(p.steps.flatMap((s) => s.ops).map((o) => [o.src.rank, o.dst.rank, o.count])).toEqual([
      [2, 2, 1],
      [0, 1, 5],
      [2, 0, 7],
    ]);
    const none = allToAllv(
      {
        ranks: 3,
        counts: balancedCounts([
          [0, 0, 0],
          [0, 0, 0],
          [0, 0, 0],
        ]),
        dtype: 'float',
      },
      'direct',
    );
    expect(none.steps).toEqual([]);
  });

  it.each([
    [2, [[1, 2]], /counts has 1 rows; ranks 2 needs 2/],
    [2, [[1, 2], [3]], /counts\[1\] has 1 entries/],
    [
      2,
      [
        [1, -2],
        [3, 4],
      ],
      /counts\[0\]\[1\] -2 must be a whole number >= 0/,
    ],
    [
      2,
      [
        [1, 2.5],
        [3, 4],
      ],
      /counts\[0\]\[1\] 2.5/,
    ],
    [0, [], /ranks 0 must be a whole number from 1 to 256/],
    [
      2,
      [
        [2 ** 28, 1],
        [0, 0],
      ],
      /rank 0 sends 268435457 elements, more than 268435456/,
    ],
  ])('ranks %d, counts %j: a RangeError naming the entry', (ranks, counts, message) => {
    expect(() => checkCounts(ranks, counts)).toThrow(message);
  });

  it('skewedCounts: every rank sends count elements; skew 0 is the even split', () => {
    expect(skewedCounts(4, 10, 0)[0]).toEqual([3, 3, 2, 2]);
    for (const row of skewedCounts(8, 1001, 1.5)) expect(row.reduce((s, c) => s + c, 0)).toBe(1001);
    expect(() => skewedCounts(4, 10, -1)).toThrow(/skew -1 must be a number from 0 to 8/);
  });
});

describe('AllToAllv priced', () => {
  const link = { alpha_s: 3e-6, beta_Bps: 50e9 };
  const form = { ...link, elementBytes: 4 };

  it('pairwise on a switch equals its closed form, skewed or not (a permutation a step)', () => {
    for (const skew of [0, 0.5, 2]) {
      const counts = skewedCounts(8, 64_000, skew);
      const plan = allToAllv({ ranks: 8, counts, dtype: 'float' }, 'pairwise');
      // The local copy is free on a switch's fabric (no link), as in the closed form.
      const priced = priceGraph(graphOf(plan), switchFabric(8, link));
      const want = allToAllvSeconds('pairwise', counts, form) as number;
      expect(Math.abs(priced.total_s - want) / want).toBeLessThan(1e-9);
    }
  });

  it('a hot receiver costs more than the same bytes spread evenly', () => {
    const counts = skewedCounts(8, 64_000, 1);
    const hot = allToAllvSeconds('pairwise', counts, form) as number;
    const even = allToAllvSeconds('pairwise', balancedCounts(counts), form) as number;
    // Every pairwise step waits for its transfer into rank 0 (about 2.9x the mean here).
    expect(hot).toBeGreaterThan(1.3 * even);
    const plan = allToAllv({ ranks: 8, counts, dtype: 'float' }, 'direct');
    const priced = priceGraph(graphOf(plan), switchFabric(8, link));
    // On a switch rank 0's downlink takes 8 x its share: at least its bytes over beta.
    const into0 = counts.reduce((s, row, i) => s + (i === 0 ? 0 : (row[0] as number)), 0);
    expect(priced.total_s).toBeGreaterThanOrEqual((into0 * 4) / link.beta_Bps);
  });

  it("balanced counts give the book's sizing: serialized (N - 1) t, parallel t", () => {
    // Example 11: 4096 tokens, 8 GPUs, H 2048 BF16, top-1: 64 tokens from each rank to each.
    const s = moeSizing({
      tokens: 4096,
      ranks: 8,
      hidden: 2048,
      dtypeBytes: 2,
      experts: 64,
      topK: 1,
      alpha_s: 3e-6,
      beta_Bps: 50e9,
    });
    const counts = Array.from({ length: 8 }, () => Array.from({ length: 8 }, () => 64 * 2048));
    const f = { alpha_s: 3e-6, beta_Bps: 50e9, elementBytes: 2 };
    expect(allToAllvSeconds('pairwise', counts, f)).toBeCloseTo(s.serialized_s, 15);
    expect(allToAllvSeconds('direct', counts, f)).toBeCloseTo(s.parallel_s, 15);
  });
});
