// Every registered plan builder priced on a uniform switch (a crossbar: one uplink and one
// downlink per rank) against its closed form, where the closed form is exact: N a power of
// two, counts that split into equal chunks, no reduction cost (gamma 0), in place.
import { describe, expect, it } from 'vitest';
import { switchFabric } from '../../src/fabric/topologies.ts';
import { closedForm } from '../../src/model/closed-forms.ts';
import { pricePlan } from '../../src/model/pricer.ts';
import type { Collective } from '../../src/plans/plan.ts';
import { ALGORITHMS } from '../../src/plans/registry.ts';

const link = { alpha_s: 3e-6, beta_Bps: 25e9 };
const params = { alpha: link.alpha_s, beta: link.beta_Bps };

// The closed forms that are exact for the plans built here; the others (dbtree's pipeline,
// direct, the pipelined rings) model a different schedule and are compared in the bench.
const EXACT: readonly (readonly [Collective, string])[] = [
  ['allreduce', 'ring'],
  ['allreduce', 'tree'],
  ['allreduce', 'rhd'],
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

describe('builders priced on a uniform switch equal their closed forms', () => {
  it.each(EXACT)('%s %s, N = 2, 4, 8, 16, 32', (collective, algorithm) => {
    const build = ALGORITHMS[collective][algorithm];
    if (!build) throw new Error(`${collective} ${algorithm} is not registered`);
    for (const n of [2, 4, 8, 16, 32]) {
      const count = n * n * 4 * 16;
      const plan = build({ ranks: n, count, dtype: 'float', redop: 'sum', inPlace: true, root: 0 });
      const priced = pricePlan(plan, switchFabric(n, link)).total_s;
      const form = closedForm(collective, algorithm, n, count * 4, params).time;
      expect(Math.abs(priced - form) / form, `N = ${n}`).toBeLessThan(1e-12);
    }
  });
});
