// Lock-step plans built by hand, independent of the builders in src/plans: the step pricer's
// and the event-driven pricer's tests price them against the closed forms, so a builder's bug
// cannot hide in both the plan and its price.
import type { Op, Plan, Step } from '../src/plans/plan.ts';

/** In-place float AllReduce plans of `count` elements per rank (4 B each). */

export function op(
  kind: Op['kind'],
  src: number,
  dst: number,
  offset: number,
  count: number,
  chunk = 0,
): Op {
  return {
    kind,
    src: { rank: src, buffer: 'recv', offset },
    dst: { rank: dst, buffer: 'recv', offset },
    count,
    chunk,
  };
}

export function plan(algorithm: string, ranks: number, count: number, steps: Step[]): Plan {
  return {
    collective: 'allreduce',
    algorithm,
    ranks,
    count,
    dtype: 'float',
    redop: 'sum',
    root: 0,
    inPlace: true,
    sizes: { send: Array(ranks).fill(0), recv: Array(ranks).fill(count) },
    input: Array(ranks).fill({ buffer: 'recv', offset: 0, count }),
    output: Array(ranks).fill({ buffer: 'recv', offset: 0, count }),
    steps,
  };
}

/**
 * Ring AllReduce, count divisible by n: 2(n-1) steps. Reduce-scatter step s: rank r reduces
 * its chunk (r - s) mod n into rank r+1; all-gather step s: rank r copies its chunk
 * (r + 1 - s) mod n to rank r+1.
 */
export function ringAllReducePlan(n: number, count: number): Plan {
  const c = count / n;
  const mod = (x: number) => ((x % n) + n) % n;
  const phase = (name: string, kind: Op['kind'], chunkOf: (r: number, s: number) => number) =>
    Array.from({ length: n - 1 }, (_, s) => ({
      phase: name,
      ops: Array.from({ length: n }, (_, r) => {
        const chunk = chunkOf(r, s);
        return op(kind, r, mod(r + 1), chunk * c, c, chunk);
      }),
    }));
  return plan('ring', n, count, [
    ...phase('reduce-scatter', 'reduce', (r, s) => mod(r - s)),
    ...phase('all-gather', 'copy', (r, s) => mod(r + 1 - s)),
  ]);
}

/** Binomial tree, n = 2^k: reduce to rank 0 (distance 1, 2, 4...), then broadcast back. */
export function treeAllReducePlan(n: number, count: number): Plan {
  const levels = Math.log2(n);
  const steps: Step[] = [];
  for (let k = 0; k < levels; k++) {
    const d = 2 ** k;
    const senders = Array.from({ length: n }, (_, r) => r).filter((r) => r % (2 * d) === d);
    steps.push({ phase: 'reduce', ops: senders.map((r) => op('reduce', r, r - d, 0, count)) });
  }
  for (let k = levels - 1; k >= 0; k--) {
    const d = 2 ** k;
    const senders = Array.from({ length: n }, (_, r) => r).filter((r) => r % (2 * d) === 0);
    steps.push({ phase: 'broadcast', ops: senders.map((r) => op('copy', r, r + d, 0, count)) });
  }
  return plan('tree', n, count, steps);
}
