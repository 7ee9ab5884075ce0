// The hierarchical AllReduce plan: how it picks G, its steps and phases, every node size of a
// few rank counts against the definition, and its price on a two-level fabric against the
// two-level model (src/model/hierarchical.ts) and the one-link closed form.
import { describe, expect, it } from 'vitest';
import { allocateBuffers, interpret } from '../../src/exec/interpreter/steps.ts';
import { LINK_PRESETS } from '../../src/fabric/presets.ts';
import { type LinkSpec, switchFabric, twoLevelFabric } from '../../src/fabric/topologies.ts';
import {
  allReduceHierarchicalUniform,
  allReduceRing,
  CLOSED_FORMS,
  closedForm,
} from '../../src/model/closed-forms.ts';
import { allReduceHierarchical } from '../../src/model/hierarchical.ts';
import { pricePlan } from '../../src/model/pricer.ts';
import { hierarchicalAllReduce, hierarchyOf } from '../../src/plans/hierarchical.ts';
import { type CollectiveSpec, linkOf, type Plan } from '../../src/plans/plan.ts';
import { ringAllReduce } from '../../src/plans/ring.ts';
import { expectedOutputs } from '../../src/plans/semantics.ts';
import { validatePlan } from '../../src/plans/validate.ts';
import { integerInputs, placeInputs, readOutputs } from '../plan-check.ts';

const divisors = (n: number) =>
  Array.from({ length: n }, (_, i) => i + 1).filter((g) => n % g === 0);

function spec(ranks: number, count: number, inPlace: boolean, ranksPerNode?: number) {
  return {
    ranks,
    count,
    dtype: 'float',
    redop: 'sum',
    inPlace,
    ...(ranksPerNode === undefined ? {} : { ranksPerNode }),
  } as const satisfies CollectiveSpec;
}

function expectDefinition(plan: Plan, seed: number): void {
  validatePlan(plan);
  const inputs = integerInputs(plan, seed);
  const buffers = allocateBuffers(plan);
  placeInputs(plan, buffers, inputs);
  interpret(plan, buffers);
  expect(readOutputs(plan, buffers)).toEqual(expectedOutputs(plan, inputs));
}

describe('hierarchyOf: G ranks a node, K = N / G nodes', () => {
  it('takes the largest divisor of N that is <= 8 unless told', () => {
    const cases: [number, number][] = [
      [1, 1],
      [2, 2],
      [7, 7],
      [8, 8],
      [9, 3],
      [12, 6],
      [16, 8],
      [17, 1],
      [30, 6],
      [31, 1],
      [64, 8],
      [100, 5],
      [256, 8],
    ];
    for (const [n, g] of cases) {
      expect(hierarchyOf(n), `N = ${n}`).toEqual({ ranksPerNode: g, nodes: n / g });
    }
  });

  it('takes ranksPerNode when it divides N, and names it when not', () => {
    expect(hierarchyOf(16, 4)).toEqual({ ranksPerNode: 4, nodes: 4 });
    expect(hierarchyOf(16, 16)).toEqual({ ranksPerNode: 16, nodes: 1 });
    expect(hierarchyOf(16, 1)).toEqual({ ranksPerNode: 1, nodes: 16 });
    for (const bad of [3, 0, 2.5, 32]) {
      expect(() => hierarchyOf(16, bad)).toThrow(
        `ranks per node ${bad} must be a whole number that divides ranks 16`,
      );
    }
    expect(() => hierarchicalAllReduce(spec(12, 8, true, 5))).toThrow(RangeError);
  });
});

describe('the hierarchical AllReduce plan', () => {
  it('meets the definition for every node size G of N, in 2(G-1) + 2(K-1) steps (+1 out of place)', () => {
    for (const n of [1, 2, 6, 12, 16, 24, 30]) {
      for (const g of divisors(n)) {
        const k = n / g;
        for (const count of [0, 1, n - 1, 4 * n + 3, 103, 64 * n]) {
          for (const inPlace of [true, false]) {
            const plan = hierarchicalAllReduce(spec(n, count, inPlace, g));
            const local = inPlace ? 0 : 1;
            expect(plan.steps, `N ${n} G ${g} count ${count}`).toHaveLength(
              2 * (g - 1) + 2 * (k - 1) + local,
            );
            expectDefinition(plan, n * 1009 + g * 31 + count);
          }
        }
      }
    }
  });

  it('names its phases: local copy, reduce-scatter (intra), allreduce (inter), all-gather (intra)', () => {
    const phases = hierarchicalAllReduce(spec(12, 4096, false, 4)).steps.map((s) => s.phase);
    expect(phases).toEqual([
      'local copy',
      ...Array(3).fill('reduce-scatter (intra)'),
      ...Array(4).fill('allreduce (inter)'),
      ...Array(3).fill('all-gather (intra)'),
    ]);
  });

  it('keeps intra steps inside a node and inter steps on one local index, one message a rank', () => {
    for (const [n, g] of [
      [12, 4],
      [24, 8],
      [30, 6],
      [16, 2],
    ] as const) {
      const plan = hierarchicalAllReduce(spec(n, 999, true, g));
      for (const s of plan.steps) {
        const links = s.ops.map(linkOf).filter((l) => l !== undefined);
        expect(links).toHaveLength(n);
        for (const [a, b] of links) {
          if (s.phase.endsWith('(intra)')) expect(Math.floor(a / g)).toBe(Math.floor(b / g));
          else {
            expect(a % g).toBe(b % g);
            expect(Math.floor(b / g)).toBe((Math.floor(a / g) + 1) % (n / g));
          }
        }
        expect(new Set(links.map(([a]) => a)).size).toBe(n);
        expect(new Set(links.map(([, b]) => b)).size).toBe(n);
      }
    }
  });

  it('labels ops with the N pieces of phase 2: chunk i of phases 1 and 3 is piece iK', () => {
    const plan = hierarchicalAllReduce(spec(12, 4800, true, 4));
    const labels = (phase: string) =>
      [
        ...new Set(
          plan.steps.filter((s) => s.phase === phase).flatMap((s) => s.ops.map((o) => o.chunk)),
        ),
      ].sort((a, b) => a - b);
    expect(labels('reduce-scatter (intra)')).toEqual([0, 3, 6, 9]);
    expect(labels('allreduce (inter)')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('is the ring AllReduce, op for op, with one rank a node', () => {
    for (const n of [2, 5, 13]) {
      for (const inPlace of [true, false]) {
        const ops = (p: Plan) => p.steps.map((s) => s.ops);
        expect(ops(hierarchicalAllReduce(spec(n, 1001, inPlace, 1)))).toEqual(
          ops(ringAllReduce(spec(n, 1001, inPlace))),
        );
      }
    }
  });
});

describe('priced on a two-level fabric, a NIC per rank: the two-level model, exactly', () => {
  // Even counts (every piece whole granules) make each step one piece a rank; gamma on.
  const gamma = 1e-12;
  const uniform: LinkSpec = { alpha_s: 3e-6, beta_Bps: 25e9 };
  const ab = (l: LinkSpec) => ({ alpha: l.alpha_s, beta: l.beta_Bps, gamma });
  const cases = [
    [2, 4],
    [4, 8],
    [3, 6],
    [8, 2],
    [1, 8],
    [8, 1],
  ] as const;

  function price(nodes: number, g: number, intra: LinkSpec, inter: LinkSpec, nics = g) {
    const count = nodes * g * 4 * 25;
    const plan = hierarchicalAllReduce(spec(nodes * g, count, true, g));
    const fabric = twoLevelFabric(
      { nodes, ranksPerNode: g, intra, inter, nicsPerNode: nics },
      { gamma_s_per_B: gamma },
    );
    return { plan, bytes: count * 4, priced: pricePlan(plan, fabric), fabric };
  }

  const close = (got: number, want: number, what: string) =>
    expect(Math.abs(got - want), what).toBeLessThanOrEqual(1e-12 * want);

  it.each(cases)('%i nodes x %i ranks, uniform links: total and every phase', (nodes, g) => {
    const { plan, bytes, priced } = price(nodes, g, uniform, uniform);
    const model = allReduceHierarchical(bytes, {
      nodes,
      ranksPerNode: g,
      intra: ab(uniform),
      inter: ab(uniform),
    });
    close(priced.total_s, model.time, 'total');
    const phase = (name: string) =>
      priced.steps.reduce((t, s, i) => t + (plan.steps[i]?.phase === name ? s.time_s : 0), 0);
    close(phase('reduce-scatter (intra)'), model.phases.reduce_scatter_intra.time, 'RS');
    close(phase('allreduce (inter)'), model.phases.allreduce_inter.time, 'AR');
    close(phase('all-gather (intra)'), model.phases.all_gather_intra.time, 'AG');
    // One link for both levels: the closed form the bench's analytic column uses.
    close(
      priced.total_s,
      closedForm('allreduce', 'hierarchical', nodes * g, bytes, {
        ...ab(uniform),
        ranksPerNode: g,
      }).time,
      'closed form',
    );
  });

  it.each(cases)('%i nodes x %i ranks, NVLink inside, InfiniBand across', (nodes, g) => {
    const { nvlink4 } = LINK_PRESETS;
    const ib = LINK_PRESETS['ib-ndr'];
    const { bytes, priced } = price(nodes, g, nvlink4, ib);
    const model = allReduceHierarchical(bytes, {
      nodes,
      ranksPerNode: g,
      intra: ab(nvlink4),
      inter: ab(ib),
    });
    close(priced.total_s, model.time, 'total');
  });

  it('out of place the local copy is free without memory_Bps, count / memory_Bps with it', () => {
    const [nodes, g] = [4, 8];
    const count = nodes * g * 4 * 25;
    const inPlace = price(nodes, g, uniform, uniform).priced.total_s;
    const oop = hierarchicalAllReduce(spec(nodes * g, count, false, g));
    const two = { nodes, ranksPerNode: g, intra: uniform, inter: uniform, nicsPerNode: g };
    close(pricePlan(oop, twoLevelFabric(two, { gamma_s_per_B: gamma })).total_s, inPlace, 'free');
    const memory_Bps = 1e12;
    close(
      pricePlan(oop, twoLevelFabric(two, { gamma_s_per_B: gamma, memory_Bps })).total_s,
      inPlace + (count * 4) / memory_Bps,
      'copy',
    );
  });

  it("one NIC a node: the G rings share it, the model's inter beta divided by G", () => {
    const [nodes, g] = [4, 8];
    const { bytes, priced } = price(nodes, g, uniform, uniform, 1);
    const model = allReduceHierarchical(bytes, {
      nodes,
      ranksPerNode: g,
      intra: ab(uniform),
      inter: { ...ab(uniform), beta: uniform.beta_Bps / g },
    });
    close(priced.total_s, model.time, 'total');
  });
});

describe('the one-link closed form', () => {
  const p = { alpha: 5e-6, beta: 50e9, gamma: 1e-12 };
  const M = 1e9;

  it('is the two-level model with both levels on one link, G as the plan picks it', () => {
    for (const n of [12, 16, 30, 64, 256]) {
      const { ranksPerNode, nodes } = hierarchyOf(n);
      const two = allReduceHierarchical(M, { nodes, ranksPerNode, intra: p, inter: p });
      const one = allReduceHierarchicalUniform(n, M, p);
      expect(one.steps).toBe(two.steps);
      expect(one.time).toBeCloseTo(two.time, 15);
      expect(one.reduce_term).toBeCloseTo(two.reduce_term as number, 15);
    }
    const four = allReduceHierarchicalUniform(16, M, { ...p, ranksPerNode: 4 });
    expect(four.steps).toBe(2 * 3 + 2 * 3);
    expect(() => allReduceHierarchicalUniform(16, M, { ...p, ranksPerNode: 3 })).toThrow(
      'ranks per node 3 must be a whole number that divides ranks 16',
    );
  });

  it("moves the ring's bytes, 2((N-1)/N) M, in 2(G-1) + 2(K-1) steps", () => {
    for (const n of [2, 8, 13, 24, 256]) {
      const { ranksPerNode: g, nodes: k } = hierarchyOf(n);
      const t = CLOSED_FORMS.allreduce.hierarchical?.(n, M, p);
      const ring = allReduceRing(n, M, p);
      expect(t?.bandwidth_term).toBeCloseTo(ring.bandwidth_term, 15);
      expect(t?.steps).toBe(2 * (g - 1) + 2 * (k - 1));
    }
  });

  it('equals the plan priced on a uniform switch for uneven N too (N = 12, 30)', () => {
    const link: LinkSpec = { alpha_s: 3e-6, beta_Bps: 25e9 };
    for (const n of [12, 30]) {
      const count = n * 4 * 10;
      const plan = hierarchicalAllReduce(spec(n, count, true));
      const priced = pricePlan(plan, switchFabric(n, link)).total_s;
      const form = closedForm('allreduce', 'hierarchical', n, count * 4, {
        alpha: link.alpha_s,
        beta: link.beta_Bps,
      }).time;
      expect(Math.abs(priced - form) / form).toBeLessThan(1e-12);
    }
  });
});
