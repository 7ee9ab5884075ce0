// nccl-tests' bandwidths (doc/PERFORMANCE.md there): algbw = S / t with S the size it prints,
// and busbw = algbw x a factor per collective, the share of S each rank's link must carry, so
// that busbw compares with the link's bandwidth whatever the rank count.

import { checkBytes, checkRanks } from '../fabric/checks.ts';
import type { Collective } from '../plans/plan.ts';

/**
 * AllReduce 2(n-1)/n; ReduceScatter, AllGather, AllToAll (n-1)/n; Broadcast, Reduce 1.
 * AllToAllv (nccl-tests has none): AllToAll's (n-1)/n of the size, each rank's input, the
 * share that leaves a rank were the split even; a skewed split shows as a lower busbw.
 */
export function busBwFactor(collective: Collective | 'alltoallv', ranks: number): number {
  checkRanks(ranks);
  switch (collective) {
    case 'allreduce':
      return (2 * (ranks - 1)) / ranks;
    case 'reducescatter':
    case 'allgather':
    case 'alltoall':
    case 'alltoallv':
      return (ranks - 1) / ranks;
    case 'broadcast':
    case 'reduce':
      return 1;
  }
}

/** algbw = S / t, in bytes per second. */
export function algBw(bytes: number, seconds: number): number {
  checkBytes(bytes);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new RangeError(`time ${seconds} s must be a finite number > 0`);
  }
  return bytes / seconds;
}

/** busbw = algbw x busBwFactor, in bytes per second. */
export function busBw(
  collective: Collective,
  ranks: number,
  bytes: number,
  seconds: number,
): number {
  return algBw(bytes, seconds) * busBwFactor(collective, ranks);
}
