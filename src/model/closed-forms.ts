// The textbook's closed forms (alpha-beta-gamma; MODELS.md): N ranks, M bytes (AllReduce,
// Broadcast, Reduce: the buffer each rank holds; AllGather: the full gathered result;
// ReduceScatter, AllToAll: each rank's full input), alpha seconds per message, beta bytes per
// second, gamma seconds per byte reduced. Every form returns its latency, bandwidth and
// reduction terms apart, so a reader sees which one dominates.
//
// Rounding where log2(N) is not whole (the book assumes N = 2^k):
// - trees use ceil(log2 N) levels: each round at most doubles the ranks holding the data, so
//   reaching N ranks takes ceil(log2 N) rounds (the binomial tree the plan builders make);
// - the double binary tree uses floor(log2 N), the depth of a complete binary tree over N
//   ranks, as NCCL's own latency model does (log2i in src/graph/tuning.cc);
// - halving-doubling runs on the largest power of two p' <= N, with one fold-in step before
//   (the N - p' extra ranks hand their data to a partner) and one fold-out step after (they
//   take their result back): 2 steps more than N = p' would take.
// N = 1 costs nothing in every form.

import {
  ceilLog2,
  checkAlpha,
  checkBeta,
  checkBytes,
  checkGamma,
  checkRanks,
  floorLog2,
} from '../fabric/checks.ts';
import { hierarchyOf } from '../plans/hierarchical.ts';
import type { Collective } from '../plans/plan.ts';

/** One link's alpha (s per message), beta (B/s) and, where reductions are priced, gamma. */
export interface AlphaBeta {
  readonly alpha: number;
  readonly beta: number;
  readonly gamma?: number;
}

export interface ModelParams extends AlphaBeta {
  /** Pipeline chunks of the ring Broadcast and Reduce; absent: the count that is fastest. */
  readonly chunks?: number;
  /**
   * The hierarchical AllReduce: ranks per node G, dividing N (as CollectiveSpec's); absent:
   * the largest divisor of N that is <= 8, as the plan builder picks.
   */
  readonly ranksPerNode?: number;
}

/** Seconds; time = latency_term + bandwidth_term + (reduce_term ?? 0). */
export interface CostTerms {
  readonly time: number;
  readonly latency_term: number;
  readonly bandwidth_term: number;
  /** Present when gamma was given and the collective reduces. */
  readonly reduce_term?: number;
  /** Sequential steps, each paying one alpha (for the pipelined forms: pipeline stages). */
  readonly steps: number;
  /** Pipeline chunks, for the pipelined ring Broadcast and Reduce. */
  readonly chunks?: number;
}

export type ClosedForm = (ranks: number, bytes: number, params: ModelParams) => CostTerms;

function checkInputs(ranks: number, bytes: number, p: ModelParams): void {
  checkRanks(ranks);
  checkBytes(bytes);
  checkAlpha(p.alpha);
  checkBeta(p.beta);
  if (p.gamma !== undefined) checkGamma(p.gamma);
  if (p.chunks !== undefined && (!Number.isInteger(p.chunks) || p.chunks < 1)) {
    throw new RangeError(`chunks ${p.chunks} must be a whole number >= 1`);
  }
  if (p.ranksPerNode !== undefined) hierarchyOf(ranks, p.ranksPerNode);
}

/** Assembles terms: steps alphas, `moved` bytes over beta, `reduced` bytes times gamma. */
function terms(steps: number, moved: number, reduced: number, p: ModelParams): CostTerms {
  const latency_term = steps * p.alpha;
  const bandwidth_term = moved / p.beta;
  const reduce_term = p.gamma === undefined || reduced === 0 ? undefined : reduced * p.gamma;
  return {
    time: latency_term + bandwidth_term + (reduce_term ?? 0),
    latency_term,
    bandwidth_term,
    ...(reduce_term === undefined ? {} : { reduce_term }),
    steps,
  };
}

/** Wraps a form with input checks and the N = 1 case (nothing to do, no time). */
function form(body: ClosedForm): ClosedForm {
  return (ranks, bytes, params) => {
    checkInputs(ranks, bytes, params);
    if (ranks === 1) return terms(0, 0, 0, params);
    return body(ranks, bytes, params);
  };
}

const isPowerOfTwo = (n: number) => 2 ** floorLog2(n) === n;

/** Ring AllReduce: reduce-scatter then all-gather, 2(N-1) steps of M/N bytes each. */
export const allReduceRing = form((n, m, p) =>
  terms(2 * (n - 1), 2 * ((n - 1) / n) * m, ((n - 1) / n) * m, p),
);

/**
 * The book's tree AllReduce: a binomial reduce to a root then a broadcast, the full message
 * on every hop, 2 ceil(log2 N) (alpha + M/beta). The pessimistic form; see dbtree for NCCL's.
 */
export const allReduceTree = form((n, m, p) => {
  const levels = ceilLog2(n);
  return terms(2 * levels, 2 * levels * m, levels * m, p);
});

/**
 * NCCL-style double binary tree, fully pipelined: two complementary binary trees each carry
 * M/2 in small chunks, so the latency is the first chunk's trip up and down the tree,
 * 2 floor(log2 N) alpha, and the bandwidth term is each rank's traffic over its link. NCCL
 * counts that traffic as 2M per rank (tuning.cc converts tree busbw to algbw with a ratio of
 * 1/2): a rank inner in one tree sends M/2 up and M/2 to each of two children, and as a leaf
 * of the other tree M/2 more. So T = 2 floor(log2 N) alpha + 2M/beta (+ M gamma: an inner
 * rank reduces two children's halves). For N = 2 each tree is one edge and ranks move only
 * M: the form overstates that case, as NCCL's count does.
 */
export const allReduceDoubleBinaryTree = form((n, m, p) => terms(2 * floorLog2(n), 2 * m, m, p));

/**
 * Recursive halving-doubling (Rabenseifner): reduce-scatter by recursive halving, all-gather
 * by recursive doubling, 2 log2(N) alpha + 2((N-1)/N) M/beta. For N not a power of two the
 * standard fold: the N - p' extra ranks send all M to a partner first and get all M back
 * last, 2 more steps and 2M more bytes on the critical path.
 */
export const allReduceHalvingDoubling = form((n, m, p) => {
  if (isPowerOfTwo(n)) return terms(2 * Math.log2(n), 2 * ((n - 1) / n) * m, ((n - 1) / n) * m, p);
  const q = 2 ** floorLog2(n);
  return terms(2 * floorLog2(n) + 2, 2 * m + 2 * ((q - 1) / q) * m, m + ((q - 1) / q) * m, p);
});

/**
 * Direct: each rank reads the whole buffer of every peer and reduces it into its own. One
 * port per rank serializes the N-1 reads: (N-1) alpha + (N-1) M/beta (+ (N-1) M gamma).
 * The naive baseline; N-1 times the data of the ring.
 */
export const allReduceDirect = form((n, m, p) => terms(n - 1, (n - 1) * m, (n - 1) * m, p));

/** Ring AllGather or ReduceScatter: N-1 steps of M/N bytes. */
const ringHalf = (reduces: boolean) =>
  form((n, m, p) => terms(n - 1, ((n - 1) / n) * m, reduces ? ((n - 1) / n) * m : 0, p));

/**
 * Recursive halving (ReduceScatter) or doubling (AllGather): log2(N) alpha + ((N-1)/N) M/beta.
 * Not a power of two: fold-in (ReduceScatter: the whole input M; AllGather: one's block M/N),
 * log2(p') steps over p' ranks, fold-out (ReduceScatter: the block M/N; AllGather: all M).
 */
const rhdHalf = (reduces: boolean) =>
  form((n, m, p) => {
    if (isPowerOfTwo(n)) {
      return terms(Math.log2(n), ((n - 1) / n) * m, reduces ? ((n - 1) / n) * m : 0, p);
    }
    const q = 2 ** floorLog2(n);
    const inner = ((q - 1) / q) * m;
    return terms(floorLog2(n) + 2, m + m / n + inner, reduces ? m + inner : 0, p);
  });

export const reduceScatterRing = ringHalf(true);
export const allGatherRing = ringHalf(false);
export const reduceScatterHalving = rhdHalf(true);
export const allGatherDoubling = rhdHalf(false);

/**
 * Hierarchical AllReduce on K = N/G nodes of G ranks (G as hierarchyOf picks it: params'
 * ranksPerNode, else the largest divisor of N that is <= 8) with one alpha and beta for both
 * levels, the one link a closed form has (the bench's analytic column): RS_intra(M) +
 * AR_ring_inter(M/G over K nodes) + AG_intra(M). It moves 2((G-1)/G) M + 2((K-1)/K) M/G =
 * 2((N-1)/N) M bytes, the ring's bandwidth term, in 2(G-1) + 2(K-1) steps instead of 2(N-1).
 * The two-level form, with its own intra and inter links, is allReduceHierarchical
 * (hierarchical.ts), which `fleetlab model allreduce --algo hierarchical` prints.
 */
export const allReduceHierarchicalUniform = form((n, m, p) => {
  const { ranksPerNode: g, nodes: k } = hierarchyOf(n, p.ranksPerNode);
  const intra = ((g - 1) / g) * m;
  const inter = ((k - 1) / k) * (m / g);
  return terms(2 * (g - 1) + 2 * (k - 1), 2 * intra + 2 * inter, intra + inter, p);
});

/** Pairwise AllToAll: N-1 steps, in each every rank sends one M/N block to one peer. */
export const allToAllPairwise = form((n, m, p) => terms(n - 1, ((n - 1) / n) * m, 0, p));

/** Binomial-tree Broadcast or Reduce: ceil(log2 N) (alpha + M/beta), the full message a hop. */
const treeRooted = (reduces: boolean) =>
  form((n, m, p) => {
    const levels = ceilLog2(n);
    return terms(levels, levels * m, reduces ? levels * m : 0, p);
  });

export const broadcastTree = treeRooted(false);
export const reduceTree = treeRooted(true);

/**
 * The chunk count that minimizes (N+C-2)(alpha + M/(C beta)): C* = sqrt((N-2) M / (alpha
 * beta)), the better of its floor and ceiling, at least 1 and at most one chunk per byte.
 */
export function bestRingChunks(n: number, m: number, alpha: number, beta: number): number {
  const most = Math.max(1, Math.floor(m));
  const ideal = Math.sqrt(((n - 2) * m) / (alpha * beta));
  if (!(ideal > 1)) return 1;
  if (ideal >= most) return most;
  const cost = (c: number) => (n + c - 2) * (alpha + m / (c * beta));
  const lo = Math.floor(ideal);
  return cost(lo) <= cost(lo + 1) ? lo : lo + 1;
}

/**
 * Pipelined ring (a chain from the root) Broadcast or Reduce with C chunks: N+C-2 stages of
 * alpha + M/(C beta), (N+C-2)(alpha + M/(C beta)); the first chunk takes N-1 stages to reach
 * the end, the other C-1 follow one stage apart. Reduce adds M/C gamma a stage.
 */
const ringRooted = (reduces: boolean) =>
  form((n, m, p) => {
    const chunks = p.chunks ?? bestRingChunks(n, m, p.alpha, p.beta);
    const stages = n + chunks - 2;
    return {
      ...terms(stages, (stages * m) / chunks, reduces ? (stages * m) / chunks : 0, p),
      chunks,
    };
  });

export const broadcastRing = ringRooted(false);
export const reduceRing = ringRooted(true);

/** Every closed form by collective and algorithm; the first algorithm is the default. */
export const CLOSED_FORMS: Readonly<Record<Collective, Readonly<Record<string, ClosedForm>>>> = {
  allreduce: {
    ring: allReduceRing,
    tree: allReduceTree,
    dbtree: allReduceDoubleBinaryTree,
    rhd: allReduceHalvingDoubling,
    direct: allReduceDirect,
    hierarchical: allReduceHierarchicalUniform,
  },
  reducescatter: { ring: reduceScatterRing, rhd: reduceScatterHalving },
  allgather: { ring: allGatherRing, rhd: allGatherDoubling },
  broadcast: { tree: broadcastTree, ring: broadcastRing },
  reduce: { tree: reduceTree, ring: reduceRing },
  alltoall: { pairwise: allToAllPairwise },
};

/** The closed form of `algorithm` for `collective`; RangeError naming those that exist. */
export function closedForm(
  collective: Collective,
  algorithm: string,
  ranks: number,
  bytes: number,
  params: ModelParams,
): CostTerms {
  const forms = CLOSED_FORMS[collective];
  const f = Object.hasOwn(forms, algorithm) ? forms[algorithm] : undefined;
  if (!f) {
    throw new RangeError(
      `algorithm '${algorithm}' has no closed form for ${collective} (${Object.keys(forms).join(', ')})`,
    );
  }
  return f(ranks, bytes, params);
}
