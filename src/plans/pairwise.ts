// Pairwise-exchange AllToAll (MPI's pairwise algorithm for any N): at step k = 1 .. N-1 rank r
// sends its block for rank (r + k) mod N straight to that rank (and gets rank (r - k)'s block
// for it), so every step is a permutation of the ranks: N - 1 link steps.
//
// Layout (semantics.ts): rank i's input is `count` elements, block j = chunk j of
// chunkBounds(count, N); rank j's output is the concatenation over i of rank i's block j, so it
// holds N * size(block j) elements, block i at i * size(block j) (uneven blocks make that more,
// or less, than count).
//
// Out of place, input 'send', output 'recv': a first 'local copy' step puts each rank's own
// block j at its spot j * size(j). In place (input and output both in 'recv', which holds
// max(count, N * size(j)) elements), blocks land where input not yet sent still lies, so a first
// 'scratch copy' step copies the input into 'send' (as MPI_IN_PLACE implementations use a
// temporary buffer) and every later op reads from there; the own block's copy goes into the
// first exchange step, beside it (it writes block j, the exchange block j - 1). Either way N
// steps (N = 1: nothing in place, the local copy out of place).
import { copy, place, planBase, ranksOf, region, step } from './build.ts';
import { type CollectiveSpec, chunkBounds, type Op, type Plan, type Step } from './plan.ts';

export function pairwiseAllToAll(spec: CollectiveSpec): Plan {
  const base = planBase(spec, 'alltoall', 'pairwise');
  const { ranks: n, count, inPlace } = spec;
  const bounds = chunkBounds(count, n);
  const at = (j: number) => bounds[j] as number;
  const size = (j: number) => at(j + 1) - at(j);
  const own = (j: number) =>
    copy(place(j, 'send', at(j)), place(j, 'recv', j * size(j)), size(j), j);
  const steps: Step[] = [];
  if (!inPlace) {
    steps.push(step('local copy', ranksOf(n).map(own)));
  } else if (n > 1) {
    steps.push(
      step(
        'scratch copy',
        ranksOf(n).map((r) => copy(place(r, 'recv', 0), place(r, 'send', 0), count, r)),
      ),
    );
  }
  for (let k = 1; k < n; k++) {
    const ops: Op[] = inPlace && k === 1 ? ranksOf(n).map(own) : [];
    for (let r = 0; r < n; r++) {
      const j = (r + k) % n;
      ops.push(copy(place(r, 'send', at(j)), place(j, 'recv', r * size(j)), size(j), j));
    }
    steps.push(step('alltoall', ops));
  }
  return {
    ...base,
    sizes: {
      send: ranksOf(n).map(() => (inPlace && n === 1 ? 0 : count)),
      recv: ranksOf(n).map((j) => (inPlace ? Math.max(count, n * size(j)) : n * size(j))),
    },
    input: ranksOf(n).map(() => region(inPlace ? 'recv' : 'send', 0, count)),
    output: ranksOf(n).map((j) => region('recv', 0, n * size(j))),
    steps,
  };
}
