// Both pricers, the step pricer (src/model/pricer.ts, the reference) and the event-driven pricer
// (src/model/event-pricer.ts, on the plan as a validated graph), equal the closed forms where the
// closed form is exact: uniform rings and switches, N where the chunks split evenly, in place.
// One table of cases, run against each pricer, so the two cannot be held to different cases.
import { describe, expect, it } from 'vitest';
import type { Fabric } from '../../src/fabric/fabric.ts';
import { localFabric, ringFabric, switchFabric } from '../../src/fabric/topologies.ts';
import {
  allGatherRing,
  allReduceRing,
  allReduceTree,
  closedForm,
  reduceScatterRing,
} from '../../src/model/closed-forms.ts';
import { priceGraph } from '../../src/model/event-pricer.ts';
import { pricePlan } from '../../src/model/pricer.ts';
import { graphOf } from '../../src/plans/from-steps.ts';
import type { Collective, Plan } from '../../src/plans/plan.ts';
import { ALGORITHMS } from '../../src/plans/registry.ts';
import { ringAllGather, ringAllReduce, ringReduceScatter } from '../../src/plans/ring.ts';
import { validateGraph } from '../../src/plans/validate-graph.ts';
import { ringAllReducePlan, treeAllReducePlan } from '../hand-plans.ts';

const alpha_s = 5e-6;
const beta_Bps = 50e9;
const gamma_s_per_B = 2e-12;
const link = { alpha_s, beta_Bps };
const model = { alpha: alpha_s, beta: beta_Bps, gamma: gamma_s_per_B };
const relativeError = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** A pricer's total seconds for a plan on a fabric. */
type Pricer = (plan: Plan, fabric: Fabric) => number;

const PRICERS: readonly (readonly [string, Pricer])[] = [
  ['step pricer', (plan, fabric) => pricePlan(plan, fabric).total_s],
  [
    'event pricer',
    (plan, fabric) => {
      // The event pricer trusts the graph's dependencies: validate them first.
      const graph = graphOf(plan);
      validateGraph(graph);
      return priceGraph(graph, fabric).total_s;
    },
  ],
];

// The closed forms that are exact for the plans built here; the others (dbtree's pipeline, the
// pipelined rings) model a different schedule and are compared in the bench.
const EXACT: readonly (readonly [Collective, string])[] = [
  ['allreduce', 'ring'],
  ['allreduce', 'tree'],
  ['allreduce', 'rhd'],
  ['allreduce', 'direct'],
  // One link for both levels: on a uniform switch every step is one chunk a rank.
  ['allreduce', 'hierarchical'],
  ['reducescatter', 'ring'],
  ['reducescatter', 'rhd'],
  ['allgather', 'ring'],
  ['allgather', 'rhd'],
  ['broadcast', 'tree'],
  ['reduce', 'tree'],
  ['alltoall', 'pairwise'],
];

describe.each(PRICERS)('the %s equals the closed form where it is exact', (_, price) => {
  it.each([2, 3, 4, 5, 8, 16, 31])('hand-built ring AllReduce of %i ranks on a ring', (n) => {
    const count = n * 1024;
    const got = price(ringAllReducePlan(n, count), ringFabric(n, link, { gamma_s_per_B }));
    expect(relativeError(got, allReduceRing(n, count * 4, model).time)).toBeLessThan(1e-12);
  });

  it.each([2, 5, 8])('hand-built ring AllReduce of %i ranks on a switch', (n) => {
    const count = n * 4096;
    const got = price(ringAllReducePlan(n, count), switchFabric(n, link, { gamma_s_per_B }));
    expect(relativeError(got, allReduceRing(n, count * 4, model).time)).toBeLessThan(1e-12);
  });

  it.each([2, 4, 8, 16, 64])('binomial tree AllReduce of %i ranks on a switch', (n) => {
    // The event pricer sees the tree in program order (graphOf): its root still sends to one
    // child a step, as the book's form has it.
    const got = price(treeAllReducePlan(n, 250_000), switchFabric(n, link, { gamma_s_per_B }));
    expect(relativeError(got, allReduceTree(n, 1e6, model).time)).toBeLessThan(1e-12);
  });

  it.each([
    ['allreduce', ringAllReduce, allReduceRing],
    ['reducescatter', ringReduceScatter, reduceScatterRing],
    ['allgather', ringAllGather, allGatherRing],
  ] as const)('the ring %s builder on a uniform ring and switch, in place', (_, build, form) => {
    // Counts divisible by N x 4 elements, so every chunk is the same whole number of granules.
    for (const n of [2, 3, 8, 16]) {
      const count = n * 4 * 250;
      const plan = build({ ranks: n, count, dtype: 'float', redop: 'sum', inPlace: true });
      const want = form(n, count * 4, model).time;
      for (const f of [
        ringFabric(n, link, { gamma_s_per_B }),
        switchFabric(n, link, { gamma_s_per_B }),
      ]) {
        expect(relativeError(price(plan, f), want), `${f.name} N = ${n}`).toBeLessThan(1e-12);
      }
    }
  });

  it('out of place adds a local copy, free unless the fabric prices rank memory', () => {
    const n = 4;
    const count = 4000;
    const plan = ringAllReduce({ ranks: n, count, dtype: 'float', redop: 'sum', inPlace: false });
    const want = allReduceRing(n, count * 4, model).time;
    const free = price(plan, ringFabric(n, link, { gamma_s_per_B }));
    expect(relativeError(free, want)).toBeLessThan(1e-12);
    const priced = price(plan, ringFabric(n, link, { gamma_s_per_B, memory_Bps: 1e12 }));
    expect(relativeError(priced, want + (count * 4) / 1e12)).toBeLessThan(1e-12);
  });

  it('on the local GPU every step is one memory system moving all ranks’ data', () => {
    // Each ring step moves n chunks of M/n through the one memory: alpha + M/beta a step, and
    // reduce-scatter steps reduce all n chunks on the one GPU: gamma M.
    const n = 8;
    const bytes = n * 1000 * 4;
    const got = price(ringAllReducePlan(n, bytes / 4), localFabric(n, { ...link, gamma_s_per_B }));
    const want = 2 * (n - 1) * (alpha_s + bytes / beta_Bps) + (n - 1) * bytes * gamma_s_per_B;
    expect(relativeError(got, want)).toBeLessThan(1e-12);
  });

  it.each(EXACT)('the registered %s %s, N = 2, 4, 8, 16, 32, on a switch', (collective, algo) => {
    const build = ALGORITHMS[collective][algo];
    if (!build) throw new Error(`${collective} ${algo} is not registered`);
    const lk = { alpha_s: 3e-6, beta_Bps: 25e9 };
    for (const n of [2, 4, 8, 16, 32]) {
      const count = n * n * 4 * 16;
      const plan = build({ ranks: n, count, dtype: 'float', redop: 'sum', inPlace: true, root: 0 });
      const form = closedForm(collective, algo, n, count * 4, {
        alpha: lk.alpha_s,
        beta: lk.beta_Bps,
      }).time;
      expect(relativeError(price(plan, switchFabric(n, lk)), form), `N = ${n}`).toBeLessThan(1e-12);
    }
  });
});
