// Binomial trees, the full message each hop (the textbook's pessimistic "tree"): Reduce to a
// root in ceil(log2 N) steps, Broadcast from it in ceil(log2 N) steps, AllReduce as the one
// then the other (root 0) in 2 ceil(log2 N) steps.
//
// Ranks are taken relative to the root, v = (r - root) mod N. Reduce, step s = 0, 1, ...: every
// v with v mod 2^(s+1) = 2^s reduces its whole buffer into v - 2^s. Broadcast retraces those
// edges backwards, farthest first: at step s every v with v mod 2^(L-s) = 0 copies to
// v + 2^(L-1-s) (L = ceil(log2 N)). Each rank receives from at most one peer a step, and no
// rank both sends and receives in the same step, so no step has a hazard.
import {
  allReduceLayout,
  copy,
  mod,
  place,
  planBase,
  ranksOf,
  reduce,
  region,
  step,
} from './build.ts';
import type { BufferName, CollectiveSpec, Plan, Step } from './plan.ts';

/** ceil(log2 n): the levels of a binomial tree over n ranks (0 for one rank). */
export function ceilLog2(n: number): number {
  let levels = 0;
  while (2 ** levels < n) levels++;
  return levels;
}

/**
 * Relative ranks that receive in the binomial reduce (v even with v + 1 < N), and the root:
 * they accumulate in 'recv'; the others only ever send their input.
 */
function accumulates(v: number, n: number): boolean {
  return v === 0 || (v % 2 === 0 && v + 1 < n);
}

/**
 * The reduce phase toward `root` on 'recv'. Out of place (input in 'send'), a first step copies
 * the input of every accumulating rank into its 'recv'; leaves send straight from 'send'.
 */
function binomialReduceSteps(n: number, root: number, count: number, inPlace: boolean): Step[] {
  const rank = (v: number) => mod(v + root, n);
  const steps: Step[] = [];
  if (!inPlace) {
    steps.push(
      step(
        'local copy',
        ranksOf(n)
          .filter((v) => accumulates(v, n))
          .map((v) => copy(place(rank(v), 'send', 0), place(rank(v), 'recv', 0), count, 0)),
      ),
    );
  }
  const levels = ceilLog2(n);
  for (let s = 0; s < levels; s++) {
    const d = 2 ** s;
    const ops = [];
    for (let v = d; v < n; v += 2 * d) {
      const from: BufferName = inPlace || accumulates(v, n) ? 'recv' : 'send';
      ops.push(reduce(place(rank(v), from, 0), place(rank(v - d), 'recv', 0), count, 0));
    }
    steps.push(step('reduce', ops));
  }
  return steps;
}

/**
 * The broadcast phase from `root`, into every rank's 'recv'. The root reads its message from
 * `rootBuffer`; when that is 'send' (Broadcast out of place), the root also copies it into its
 * own 'recv' in the first step (or in a step of its own when there is no other rank).
 */
function binomialBroadcastSteps(
  n: number,
  root: number,
  count: number,
  rootBuffer: BufferName,
): Step[] {
  const rank = (v: number) => mod(v + root, n);
  const levels = ceilLog2(n);
  const steps: Step[] = [];
  for (let s = 0; s < levels; s++) {
    const d = 2 ** (levels - 1 - s);
    const ops = [];
    if (s === 0 && rootBuffer === 'send') {
      ops.push(copy(place(root, 'send', 0), place(root, 'recv', 0), count, 0));
    }
    for (let v = 0; v + d < n; v += 2 * d) {
      const from: BufferName = v === 0 ? rootBuffer : 'recv';
      ops.push(copy(place(rank(v), from, 0), place(rank(v + d), 'recv', 0), count, 0));
    }
    steps.push(step('broadcast', ops));
  }
  if (levels === 0 && rootBuffer === 'send') {
    steps.push(
      step('local copy', [copy(place(root, 'send', 0), place(root, 'recv', 0), count, 0)]),
    );
  }
  return steps;
}

/**
 * Reduce to spec.root: ceil(log2 N) steps, + 1 out of place (the local copy into 'recv' of the
 * ranks that accumulate). In place, interior ranks accumulate in their own 'recv' (their input
 * is consumed, as ReduceScatter in place consumes the chunks a rank does not keep); out of
 * place only the root and interior ranks have a 'recv'. The result is the root's 'recv'.
 */
export function treeReduce(spec: CollectiveSpec): Plan {
  const base = planBase(spec, 'reduce', 'tree');
  const { ranks: n, count, inPlace } = spec;
  const root = base.root;
  const hasRecv = (r: number) => inPlace || accumulates(mod(r - root, n), n);
  return {
    ...base,
    sizes: {
      send: ranksOf(n).map(() => (inPlace ? 0 : count)),
      recv: ranksOf(n).map((r) => (hasRecv(r) ? count : 0)),
    },
    input: ranksOf(n).map(() => region(inPlace ? 'recv' : 'send', 0, count)),
    output: ranksOf(n).map((r) => region('recv', 0, r === root ? count : 0)),
    steps: binomialReduceSteps(n, root, count, inPlace),
  };
}

/**
 * Broadcast from spec.root: ceil(log2 N) steps in and out of place (out of place the root
 * copies its 'send' into its 'recv' during the first step; with one rank that copy is the only
 * step). Only the root gives input; every rank's 'recv' is the result.
 */
export function treeBroadcast(spec: CollectiveSpec): Plan {
  const base = planBase(spec, 'broadcast', 'tree');
  const { ranks: n, count, inPlace } = spec;
  const root = base.root;
  const from: BufferName = inPlace ? 'recv' : 'send';
  return {
    ...base,
    sizes: {
      send: ranksOf(n).map((r) => (!inPlace && r === root ? count : 0)),
      recv: ranksOf(n).map(() => count),
    },
    input: ranksOf(n).map((r) => region(from, 0, r === root ? count : 0)),
    output: ranksOf(n).map(() => region('recv', 0, count)),
    steps: binomialBroadcastSteps(n, root, count, from),
  };
}

/**
 * AllReduce as binomial Reduce to rank 0 then binomial Broadcast from it, the full message each
 * hop: 2 ceil(log2 N) steps, + 1 out of place (the local copy of the accumulating ranks).
 */
export function treeAllReduce(spec: CollectiveSpec): Plan {
  const base = planBase(spec, 'allreduce', 'tree');
  const { ranks: n, count, inPlace } = spec;
  return {
    ...base,
    ...allReduceLayout(spec),
    steps: [
      ...binomialReduceSteps(n, 0, count, inPlace),
      ...binomialBroadcastSteps(n, 0, count, 'recv'),
    ],
  };
}
