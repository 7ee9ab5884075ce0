// Every plan builder by collective and algorithm: the CLI, the executor's tests, the bench
// and the view find algorithms here, so adding one is adding a line.
import type { Collective, CollectiveSpec, Plan } from './plan.ts';
import { ringAllGather, ringAllReduce, ringReduceScatter } from './ring.ts';

export type PlanBuilder = (spec: CollectiveSpec) => Plan;

export const ALGORITHMS: Readonly<Record<Collective, Readonly<Record<string, PlanBuilder>>>> = {
  allreduce: { ring: ringAllReduce },
  reducescatter: { ring: ringReduceScatter },
  allgather: { ring: ringAllGather },
  broadcast: {},
  reduce: {},
  alltoall: {},
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
