// The naive AllReduce: every rank reads every peer's input and reduces it into its own result.
// N - 1 reduce steps; at step k rank r adds the input of rank (r + k) mod N, so each step is a
// permutation (every rank reads one peer and is read by one), not an incast on one rank.
//
// Each rank needs its peers' inputs intact while it reduces into its own result, so the input
// is kept in 'send' throughout: out of place it is there already and a first 'local copy' step
// puts each rank's own input into 'recv'; in place a first 'scratch copy' step copies 'recv' (the
// input) into 'send', which peers then read. Either way N steps (N = 1: nothing in place, the
// local copy out of place).
//
// Rank r reduces in the order r, r + 1, ..., r - 1, so with floats the ranks' results can differ
// in their last bits (every order is exact for the integers the definition tests use); a
// fixed order would have every rank read rank k at step k, an N-to-1 incast each step.
import { copy, place, planBase, ranksOf, reduce, region, step } from './build.ts';
import type { CollectiveSpec, Plan, Step } from './plan.ts';

export function directAllReduce(spec: CollectiveSpec): Plan {
  const base = planBase(spec, 'allreduce', 'direct');
  const { ranks: n, count, inPlace } = spec;
  const steps: Step[] = [];
  if (!inPlace) {
    steps.push(
      step(
        'local copy',
        ranksOf(n).map((r) => copy(place(r, 'send', 0), place(r, 'recv', 0), count, r)),
      ),
    );
  } else if (n > 1) {
    steps.push(
      step(
        'scratch copy',
        ranksOf(n).map((r) => copy(place(r, 'recv', 0), place(r, 'send', 0), count, r)),
      ),
    );
  }
  for (let k = 1; k < n; k++) {
    steps.push(
      step(
        'reduce',
        ranksOf(n).map((r) => {
          const peer = (r + k) % n;
          return reduce(place(peer, 'send', 0), place(r, 'recv', 0), count, peer);
        }),
      ),
    );
  }
  return {
    ...base,
    sizes: {
      send: ranksOf(n).map(() => (inPlace && n === 1 ? 0 : count)),
      recv: ranksOf(n).map(() => count),
    },
    input: ranksOf(n).map(() => region(inPlace ? 'recv' : 'send', 0, count)),
    output: ranksOf(n).map(() => region('recv', 0, count)),
    steps,
  };
}
