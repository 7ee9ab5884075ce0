// Ring collectives (Patarasuk & Yuan; the textbook's worked example): the message is cut into
// N chunks; each step every rank passes one chunk to its right neighbour. ReduceScatter takes
// N-1 steps, AllGather N-1, AllReduce is one then the other: 2(N-1) steps.
import {
  allGatherLayout,
  allReduceLayout,
  copy,
  localCopyStep,
  mod,
  place,
  planBase,
  ranksOf,
  reduce,
  reduceScatterLayout,
  step,
} from './build.ts';
import { type CollectiveSpec, chunkBounds, type Plan, type Step } from './plan.ts';

/**
 * N-1 steps of one ring pass on 'recv': at step s, rank r sends chunk (r - s + shift) mod N to
 * rank r + 1, which reduces it into its own (reduce-scatter) or copies it (all-gather).
 * Reduce-scatter: after N-1 steps rank r holds the fully reduced chunk (r + 1 + shift) mod N.
 * All-gather: rank r starts with the complete chunk (r + shift) mod N and ends with all.
 */
function ringPass(
  kind: 'reduce' | 'copy',
  n: number,
  bounds: readonly number[],
  shift: number,
): Step[] {
  const move = kind === 'reduce' ? reduce : copy;
  const steps: Step[] = [];
  for (let s = 0; s < n - 1; s++) {
    const ops = ranksOf(n).map((r) => {
      const c = mod(r - s + shift, n);
      const at = bounds[c] as number;
      return move(
        place(r, 'recv', at),
        place(mod(r + 1, n), 'recv', at),
        (bounds[c + 1] as number) - at,
        c,
      );
    });
    steps.push(step(kind === 'reduce' ? 'reduce-scatter' : 'all-gather', ops));
  }
  return steps;
}

/** Out of place, each rank first copies its input into 'recv', where the ring works. */
function localCopy(n: number, count: (r: number) => number, at: (r: number) => number): Step {
  return localCopyStep(ranksOf(n), count, at, (r) => r);
}

export function ringAllReduce(spec: CollectiveSpec): Plan {
  const base = planBase(spec, 'allreduce', 'ring');
  const { ranks: n, count } = spec;
  const bounds = chunkBounds(count, n);
  const steps = [
    ...(spec.inPlace
      ? []
      : [
          localCopy(
            n,
            () => count,
            () => 0,
          ),
        ]),
    ...ringPass('reduce', n, bounds, 0),
    // Rank r now holds the reduced chunk (r + 1) mod N and passes it on.
    ...ringPass('copy', n, bounds, 1),
  ];
  return {
    ...base,
    ...allReduceLayout(spec),
    steps,
  };
}

/**
 * Out of place, 'recv' holds the whole input as working space (the ring reduces into the
 * receiver's copy and must not write 'send'); rank r's result is chunk r of it.
 */
export function ringReduceScatter(spec: CollectiveSpec): Plan {
  const base = planBase(spec, 'reducescatter', 'ring');
  const { ranks: n, count } = spec;
  const bounds = chunkBounds(count, n);
  const steps = [
    ...(spec.inPlace
      ? []
      : [
          localCopy(
            n,
            () => count,
            () => 0,
          ),
        ]),
    ...ringPass('reduce', n, bounds, -1),
  ];
  return {
    ...base,
    ...reduceScatterLayout(spec),
    steps,
  };
}

/** Rank r contributes chunk r of the result (in place: already at its spot in 'recv'). */
export function ringAllGather(spec: CollectiveSpec): Plan {
  const base = planBase(spec, 'allgather', 'ring');
  const { ranks: n, count } = spec;
  const bounds = chunkBounds(count, n);
  const part = (r: number) => (bounds[r + 1] as number) - (bounds[r] as number);
  const steps = [
    ...(spec.inPlace ? [] : [localCopy(n, part, (r) => bounds[r] as number)]),
    ...ringPass('copy', n, bounds, 0),
  ];
  return {
    ...base,
    ...allGatherLayout(spec),
    steps,
  };
}
