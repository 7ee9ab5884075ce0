// NCCL's double binary tree AllReduce (Sanders, Speck & Träff 2009; NCCL 2.4): two binary trees
// over the ranks, each reducing then broadcasting one half of the message, pipelined in chunks.
//
// The trees are NCCL's (src/graph/trees.cc, ncclGetBtree / ncclGetDtree), ported as they are:
// - tree 0 is a binary tree in rank order rooted at 0: a rank's lowest set bit `bit` gives its
//   parent (rank ^ bit) | (bit << 1) (or rank ^ bit when that is out of range) and its
//   children rank -/+ bit/2 (the right one shrunk into range); rank 0 has one child, the
//   largest power of two below N. Odd ranks are its leaves, even ranks its interior nodes.
// - tree 1 is tree 0 mirrored (rank r plays N - 1 - r) when N is even, or shifted by one (rank r
//   plays r - 1 mod N) when N is odd. Either way the odd ranks become the interior nodes, so a
//   rank that is interior in one tree is a leaf in the other (for odd N but rank 0, which is
//   tree 0's root and interior in tree 1). Roots: 0 and N - 1 (N even) or 1 (N odd).
//
// Message and chunks: chunkBounds(count, 2C) cuts the message into 2C chunks; tree k carries
// chunks kC .. kC + C - 1 (its half), so the trees never touch the same range and their steps
// simply overlay. C = 8 by default (`chunks` sets another C).
//
// Schedule, per tree (h and h' are step offsets, d(v) the depth of v, the root at depth 0):
// - up: v sends its partial chunk c to its parent, which reduces it into its own, at step
//   c + h'(v). A leaf has h = 0; a node's two children land chunk c in the same range of the
//   parent, so they must go in different steps: its children, taken by (h, rank), get
//   h' = max(h, h' of the previous child + 1), and h(v) = 1 + the largest h' of its children.
//   In a complete subtree that is two steps a level; a lone or shallower child costs one.
// - down: the root's chunk c is complete after step c + h(root) - 1; v at depth d receives the
//   final chunk c from its parent at step c + h(root) + d - 1, so chunk c moves down one level
//   a step right behind chunk c - 1.
// At one rank in one step, its children's two chunks, its own send up, the chunk it gets from
// its parent and the one it passes down are all different chunks (the offsets h'(a) < h'(b) <
// h'(v) < h(root) + d - 1 < h(root) + d are distinct), so no step has a hazard, and a chunk is
// overwritten by the broadcast only after it went up. Steps of tree k: C + h(root) + D - 1
// (D its depth); the plan takes the longer of the two, + 1 out of place (the local copy).
import { allReduceLayout, copy, place, planBase, ranksOf, reduce, step } from './build.ts';
import { type BufferName, type CollectiveSpec, chunkBounds, type Op, type Plan } from './plan.ts';

export interface DbtreeOptions {
  /** Chunks each tree's half of the message is cut into (default 8). */
  readonly chunks?: number;
}

export const DBTREE_CHUNKS = 8;

/** A tree over ranks 0 .. N-1: each rank's parent (-1 at the root) and children. */
export interface RankTree {
  readonly root: number;
  readonly parent: readonly number[];
  readonly children: readonly (readonly number[])[];
}

/** NCCL's ncclGetBtree for one rank: [parent, child 0, child 1], -1 where there is none. */
export function ncclBtree(n: number, rank: number): [number, number, number] {
  let bit = 1;
  for (; bit < n; bit <<= 1) if (bit & rank) break;
  if (rank === 0) return [-1, -1, n > 1 ? bit >> 1 : -1];
  let up = (rank ^ bit) | (bit << 1);
  if (up >= n) up = rank ^ bit;
  let lowbit = bit >> 1;
  const down0 = lowbit === 0 ? -1 : rank - lowbit;
  let down1 = lowbit === 0 ? -1 : rank + lowbit;
  while (down1 >= n) {
    down1 = lowbit === 0 ? -1 : rank + lowbit;
    lowbit >>= 1;
  }
  return [up, down0, down1];
}

function treeFrom(n: number, node: (r: number) => [number, number, number]): RankTree {
  const links = ranksOf(n).map(node);
  const parent = links.map((l) => l[0]);
  const children = links.map((l) => [l[1], l[2]].filter((c) => c >= 0));
  return { root: parent.indexOf(-1), parent, children };
}

/** NCCL's ncclGetDtree: tree 0 the btree, tree 1 its mirror (N even) or shift by one (N odd). */
export function ncclDtree(n: number): [RankTree, RankTree] {
  const first = treeFrom(n, (r) => ncclBtree(n, r));
  const as = (f: (x: number) => number) => (l: [number, number, number]) =>
    l.map((x) => (x === -1 ? -1 : f(x))) as [number, number, number];
  const second =
    n % 2 === 1
      ? treeFrom(n, (r) => as((x) => (x + 1) % n)(ncclBtree(n, (r - 1 + n) % n)))
      : treeFrom(n, (r) => as((x) => n - 1 - x)(ncclBtree(n, n - 1 - r)));
  return [first, second];
}

interface TreeSchedule {
  /** Step offset at which a rank sends chunk 0 up (h'), -1 at the root. */
  readonly up: readonly number[];
  /** Step offset at which a rank receives chunk 0 from its parent, -1 at the root. */
  readonly down: readonly number[];
  /** Steps the tree needs for C chunks, less C: h(root) + D - 1 (0 for a lone root). */
  readonly span: number;
}

function schedule(tree: RankTree): TreeSchedule {
  const n = tree.parent.length;
  const up = ranksOf(n).map(() => -1);
  const height = ranksOf(n).map(() => 0);
  const depth = ranksOf(n).map(() => 0);
  // Breadth-first from the root; walked backwards, every rank comes after its children.
  const order = [tree.root];
  for (let i = 0; i < order.length; i++) {
    const v = order[i] as number;
    for (const c of tree.children[v] ?? []) {
      depth[c] = (depth[v] as number) + 1;
      order.push(c);
    }
  }
  for (const v of [...order].reverse()) {
    const kids = [...(tree.children[v] ?? [])].sort(
      (a, b) => (height[a] as number) - (height[b] as number) || a - b,
    );
    let last = -1;
    for (const c of kids) {
      last = Math.max(height[c] as number, last + 1);
      up[c] = last;
    }
    height[v] = last + 1;
  }
  const top = height[tree.root] as number;
  const deepest = Math.max(...depth);
  const down = depth.map((d, v) => (v === tree.root ? -1 : top + d - 1));
  return { up, down, span: deepest === 0 ? 0 : top + deepest - 1 };
}

/** The chunk count C per tree a dbtree plan uses (a RangeError for one below 1). */
export function dbtreeChunks(options: DbtreeOptions = {}): number {
  const chunks = options.chunks ?? DBTREE_CHUNKS;
  if (!Number.isInteger(chunks) || chunks < 1) {
    throw new RangeError(`chunks ${chunks} must be a whole number >= 1`);
  }
  return chunks;
}

/**
 * AllReduce by NCCL's double binary tree, each tree carrying half the message in C chunks
 * (layout as the ring AllReduce: in place 'recv' is input and result; out of place 'send' is
 * input and a first step copies, for each tree where a rank has children, its half into 'recv';
 * leaves send from 'send').
 */
export function dbtreeAllReduce(spec: CollectiveSpec, options: DbtreeOptions = {}): Plan {
  const base = planBase(spec, 'allreduce', 'dbtree');
  const { ranks: n, count, inPlace } = spec;
  const chunks = dbtreeChunks(options);
  const bounds = chunkBounds(count, 2 * chunks);
  const trees = ncclDtree(n);
  const plans = trees.map(schedule);
  const half = (k: number): [number, number] => [
    bounds[k * chunks] as number,
    bounds[(k + 1) * chunks] as number,
  ];
  const accumulates = (tree: RankTree, r: number) =>
    r === tree.root || (tree.children[r]?.length ?? 0) > 0;

  const steps = [];
  if (!inPlace) {
    const ops: Op[] = [];
    trees.forEach((tree, k) => {
      const [lo, hi] = half(k);
      for (const r of ranksOf(n)) {
        if (accumulates(tree, r)) {
          ops.push(copy(place(r, 'send', lo), place(r, 'recv', lo), hi - lo, k * chunks));
        }
      }
    });
    steps.push(step('local copy', ops));
  }
  const total = Math.max(...plans.map((p) => (p.span === 0 ? 0 : p.span + chunks)));
  for (let t = 0; t < total; t++) {
    const ops: Op[] = [];
    let goingUp = false;
    let goingDown = false;
    trees.forEach((tree, k) => {
      const { up, down } = plans[k] as TreeSchedule;
      for (let r = 0; r < n; r++) {
        const parent = tree.parent[r] as number;
        if (parent < 0) continue;
        const chunkUp = t - (up[r] as number);
        if (chunkUp >= 0 && chunkUp < chunks) {
          goingUp = true;
          const c = k * chunks + chunkUp;
          const at = bounds[c] as number;
          const from: BufferName = inPlace || accumulates(tree, r) ? 'recv' : 'send';
          ops.push(
            reduce(
              place(r, from, at),
              place(parent, 'recv', at),
              (bounds[c + 1] as number) - at,
              c,
            ),
          );
        }
        const chunkDown = t - (down[r] as number);
        if (chunkDown >= 0 && chunkDown < chunks) {
          goingDown = true;
          const c = k * chunks + chunkDown;
          const at = bounds[c] as number;
          ops.push(
            copy(
              place(parent, 'recv', at),
              place(r, 'recv', at),
              (bounds[c + 1] as number) - at,
              c,
            ),
          );
        }
      }
    });
    steps.push(
      step(goingUp && goingDown ? 'reduce+broadcast' : goingUp ? 'reduce' : 'broadcast', ops),
    );
  }
  return {
    ...base,
    ...allReduceLayout(spec),
    steps,
  };
}

/** Steps of a dbtree AllReduce plan in place (out of place: one more). */
export function dbtreeSteps(n: number, options: DbtreeOptions = {}): number {
  const chunks = dbtreeChunks(options);
  return Math.max(...ncclDtree(n).map((t) => schedule(t).span)) + (n > 1 ? chunks : 0);
}
