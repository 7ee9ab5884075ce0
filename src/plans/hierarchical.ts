// Hierarchical AllReduce (MODELS.md; NCCL's and Horovod's two-level scheme): ranks form K
// nodes of G consecutive ranks (node k holds ranks kG .. kG + G - 1, local index i = r mod G).
//
//   1. reduce-scatter (intra): a ring inside every node, all nodes in the same steps, on the
//      message cut into G chunks; local rank i ends with its node's sum of chunk i. G-1 steps.
//   2. allreduce (inter): for each i, a ring AllReduce across the K nodes among the ranks of
//      local index i, on chunk i cut into K sub-chunks; the G rings run in the same steps.
//      2(K-1) steps; every rank of local index i then holds chunk i reduced over all N ranks.
//   3. all-gather (intra): a ring inside every node hands each rank the other G-1 chunks.
//      G-1 steps.
//
// 2(G-1) + 2(K-1) steps in place, + 1 out of place (a local copy from 'send' into 'recv'
// first, as the ring does). Each step every rank sends one message and receives one.
//
// G is spec.ranksPerNode when given (it must divide N), else the largest divisor of N that is
// <= 8 (a DGX node): N <= 8 is one node (the plain ring inside it), a prime N > 8 is N nodes of
// one rank (the plain ring across them).
//
// Op.chunk counts in sub-chunks, the N = G K pieces of phase 2 (sub-chunk c of chunk i is
// piece iK + c): an op of phase 1 or 3 moves all of chunk i and is labelled with its first
// piece, iK. So one node (K = 1) or one rank a node (G = 1) labels ops as the ring does.
import { checkRanks } from '../fabric/checks.ts';
import { allReduceLayout, copy, mod, place, planBase, ranksOf, reduce, step } from './build.ts';
import { type CollectiveSpec, chunkBounds, type Op, type Plan, type Step } from './plan.ts';

/** The most ranks a node gets when the spec does not say (a DGX H100 node: 8 GPUs). */
export const DEFAULT_MAX_RANKS_PER_NODE = 8;

export interface Hierarchy {
  /** G: ranks per node. */
  readonly ranksPerNode: number;
  /** K = N / G. */
  readonly nodes: number;
}

/**
 * G and K for N ranks: G = `ranksPerNode` when given (a RangeError unless it is a whole number
 * that divides N), else the largest divisor of N that is <= 8.
 */
export function hierarchyOf(ranks: number, ranksPerNode?: number): Hierarchy {
  checkRanks(ranks);
  let g = ranksPerNode;
  if (g === undefined) {
    g = Math.min(ranks, DEFAULT_MAX_RANKS_PER_NODE);
    while (ranks % g !== 0) g--;
  } else if (!Number.isInteger(g) || g < 1 || ranks % g !== 0) {
    throw new RangeError(`ranks per node ${g} must be a whole number that divides ranks ${ranks}`);
  }
  return { ranksPerNode: g, nodes: ranks / g };
}

/**
 * Steps s = 0 .. n-2 of a ring over `members` (position p sends to position p + 1) on 'recv':
 * at step s position p passes piece (p - s + shift) mod n, [bounds[c], bounds[c + 1]), to
 * the next, which reduces it into its own or copies it. Reducing with shift -1, position p ends
 * with piece p reduced over the ring; copying with shift 0 from there, every position ends
 * with every piece (ring.ts, over any set of ranks).
 */
function ringOps(
  members: readonly number[],
  bounds: readonly number[],
  s: number,
  shift: number,
  kind: 'reduce' | 'copy',
  label: (c: number) => number,
): Op[] {
  const n = members.length;
  const make = kind === 'reduce' ? reduce : copy;
  return members.map((rank, p) => {
    const c = mod(p - s + shift, n);
    const at = bounds[c] as number;
    const next = members[(p + 1) % n] as number;
    return make(
      place(rank, 'recv', at),
      place(next, 'recv', at),
      (bounds[c + 1] as number) - at,
      label(c),
    );
  });
}

/** One ring's phase run on many disjoint rings at once: steps 0 .. n-2 of each, side by side. */
function ringPhase(
  phase: string,
  rings: readonly {
    readonly members: readonly number[];
    readonly bounds: readonly number[];
    readonly label: (c: number) => number;
  }[],
  size: number,
  shift: number,
  kind: 'reduce' | 'copy',
): Step[] {
  const steps: Step[] = [];
  for (let s = 0; s < size - 1; s++) {
    steps.push(
      step(
        phase,
        rings.flatMap((r) => ringOps(r.members, r.bounds, s, shift, kind, r.label)),
      ),
    );
  }
  return steps;
}

export function hierarchicalAllReduce(spec: CollectiveSpec): Plan {
  const base = planBase(spec, 'allreduce', 'hierarchical');
  const { ranks: n, count, inPlace } = spec;
  const { ranksPerNode: g, nodes: k } = hierarchyOf(n, spec.ranksPerNode);
  // Chunk i of the message (phases 1 and 3), and sub-chunk c of chunk i (phase 2).
  const bounds = chunkBounds(count, g);
  const subBounds = ranksOf(g).map((i) => {
    const at = bounds[i] as number;
    return chunkBounds((bounds[i + 1] as number) - at, k).map((b) => at + b);
  });
  const intra = ranksOf(k).map((node) => ({
    members: ranksOf(g).map((i) => node * g + i),
    bounds,
    label: (i: number) => i * k,
  }));
  const inter = ranksOf(g).map((i) => ({
    members: ranksOf(k).map((node) => node * g + i),
    bounds: subBounds[i] as number[],
    label: (c: number) => i * k + c,
  }));
  const steps = [
    ...(inPlace
      ? []
      : [
          step(
            'local copy',
            ranksOf(n).map((r) => copy(place(r, 'send', 0), place(r, 'recv', 0), count, r)),
          ),
        ]),
    // Local rank i ends with its node's sum of chunk i.
    ...ringPhase('reduce-scatter (intra)', intra, g, -1, 'reduce'),
    // A ring AllReduce of chunk i across the nodes: reduce-scatter leaves node position p with
    // sub-chunk (p + 1) mod K complete, which the all-gather (shift 1) passes on.
    ...ringPhase('allreduce (inter)', inter, k, 0, 'reduce'),
    ...ringPhase('allreduce (inter)', inter, k, 1, 'copy'),
    // Local rank i holds chunk i reduced over all ranks and passes it round its node.
    ...ringPhase('all-gather (intra)', intra, g, 0, 'copy'),
  ];
  return {
    ...base,
    ...allReduceLayout(spec),
    steps,
  };
}
