// Every plan builder by collective and algorithm: the CLI, the executor's tests, the bench
// and the view find algorithms here, so adding one is adding a line.
import { dbtreeAllReduce } from './dbtree.ts';
import { directAllReduce } from './direct.ts';
import { hierarchicalAllReduce } from './hierarchical.ts';
import { pairwiseAllToAll } from './pairwise.ts';
import { ringBroadcast, ringReduce } from './pipelined.ts';
import type { Collective, CollectiveSpec, Plan } from './plan.ts';
import { rhdAllGather, rhdAllReduce, rhdReduceScatter } from './rhd.ts';
import { ringAllGather, ringAllReduce, ringReduceScatter } from './ring.ts';
import { treeAllReduce, treeBroadcast, treeReduce } from './tree.ts';

export type PlanBuilder = (spec: CollectiveSpec) => Plan;

export const ALGORITHMS: Readonly<Record<Collective, Readonly<Record<string, PlanBuilder>>>> = {
  allreduce: {
    ring: ringAllReduce,
    tree: treeAllReduce,
    dbtree: (spec) => dbtreeAllReduce(spec),
    rhd: rhdAllReduce,
    direct: directAllReduce,
    hierarchical: hierarchicalAllReduce,
  },
  reducescatter: { ring: ringReduceScatter, rhd: rhdReduceScatter },
  allgather: { ring: ringAllGather, rhd: rhdAllGather },
  broadcast: { tree: treeBroadcast, ring: (spec) => ringBroadcast(spec) },
  reduce: { tree: treeReduce, ring: (spec) => ringReduce(spec) },
  alltoall: { pairwise: pairwiseAllToAll },
};

/** The builder of `algorithm` for `collective`, or a RangeError listing the ones there are. */
export function builderFor(collective: Collective, algorithm: string): PlanBuilder {
  const builder = ALGORITHMS[collective][algorithm];
  if (!builder) {
    const known = Object.keys(ALGORITHMS[collective]).join(', ') || 'none yet';
    throw new RangeError(`no algorithm '${algorithm}' for ${collective} (have: ${known})`);
  }
  return builder;
}
