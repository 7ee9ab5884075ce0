// Recursive halving and doubling (Thakur, Rabenseifner & Gropp 2005; Rabenseifner's AllReduce):
// ReduceScatter by recursive halving, AllGather by recursive doubling, AllReduce as the one then
// the other, each in log2 N steps for N a power of two.
//
// N not a power of two: p' = the largest power of two <= N, q = N - p'. The first 2q ranks pair
// up, (2i, 2i+1): a fold-in step sends what the odd rank holds to the even one (which reduces
// it, or keeps it for AllGather); then p' ranks run the power-of-two algorithm, rank 2i for
// itself and 2i+1, every rank r >= 2q as "virtual rank" r - q; a fold-out step copies to each
// odd rank what it must end with. That is 2 steps more: 2 log2 p' + 2 for AllReduce,
// log2 p' + 2 for the other two.
//
// Halving, at distance d = p'/2, p'/4, ..., 1: virtual rank v holds a window of 2d blocks (the
// aligned block of 2d that contains v); it keeps the half its bit d selects and sends the other
// half to v XOR d, which reduces it into its own. After log2 p' steps v holds block v, reduced
// over all ranks. Doubling retraces it, d = 1, 2, ..., p'/2: v sends its window of d blocks to
// v XOR d, which copies it. A rank writes only the half it keeps and reads only the half it
// gives away, so no step has a hazard.
//
// Blocks: AllReduce cuts the message into p' chunks, block v = chunk v. ReduceScatter and
// AllGather need rank r to own chunk r of chunkBounds(count, N), so virtual rank v's block is
// the chunks of the ranks it stands for: chunks 2v and 2v+1 for v < q, chunk v + q otherwise;
// those are contiguous, in order, so every window is one range.
import {
  allGatherLayout,
  allReduceLayout,
  copy,
  localCopyStep,
  place,
  planBase,
  ranksOf,
  reduce,
  reduceScatterLayout,
  step,
} from './build.ts';
import { type CollectiveSpec, chunkBounds, type Op, type Plan, type Step } from './plan.ts';

/** The power-of-two core of N ranks: p' virtual ranks, q folded pairs. */
export interface Fold {
  readonly p: number;
  readonly q: number;
  /** The rank that plays virtual rank v. */
  readonly real: (v: number) => number;
}

export function foldOf(n: number): Fold {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  const q = n - p;
  return { p, q, real: (v) => (v < q ? 2 * v : v + q) };
}

/** log2 of a power of two. */
function log2(p: number): number {
  return Math.round(Math.log2(p));
}

/** Steps of an rhd plan over N ranks in place: log2 p' per phase, + 2 when N is not 2^k. */
export function rhdSteps(n: number, phases: 1 | 2): number {
  const { p, q } = foldOf(n);
  return phases * log2(p) + (q > 0 ? 2 : 0);
}

/**
 * Recursive halving over the virtual ranks on 'recv'. `edges` has p' + 1 bounds (block v is
 * [edges[v], edges[v+1])); `label` names the chunk an op starts at.
 */
function halvingSteps(fold: Fold, edges: readonly number[], label: (b: number) => number): Step[] {
  const steps: Step[] = [];
  for (let d = fold.p / 2; d >= 1; d /= 2) {
    const ops: Op[] = [];
    for (let v = 0; v < fold.p; v++) {
      const lo = v & ~(2 * d - 1);
      const give = v & d ? lo : lo + d;
      const at = edges[give] as number;
      ops.push(
        reduce(
          place(fold.real(v), 'recv', at),
          place(fold.real(v ^ d), 'recv', at),
          (edges[give + d] as number) - at,
          label(give),
        ),
      );
    }
    steps.push(step('reduce-scatter', ops));
  }
  return steps;
}

/** Recursive doubling over the virtual ranks on 'recv': v starts with block v. */
function doublingSteps(fold: Fold, edges: readonly number[], label: (b: number) => number): Step[] {
  const steps: Step[] = [];
  for (let d = 1; d < fold.p; d *= 2) {
    const ops: Op[] = [];
    for (let v = 0; v < fold.p; v++) {
      const lo = v & ~(d - 1);
      const at = edges[lo] as number;
      ops.push(
        copy(
          place(fold.real(v), 'recv', at),
          place(fold.real(v ^ d), 'recv', at),
          (edges[lo + d] as number) - at,
          label(lo),
        ),
      );
    }
    steps.push(step('all-gather', ops));
  }
  return steps;
}

/** Ops of the pairs (2i, 2i+1), i < q, for a fold step. */
function pairs(fold: Fold, op: (even: number, odd: number) => Op[]): Op[] {
  return ranksOf(fold.q).flatMap((i) => op(2 * i, 2 * i + 1));
}

/** Block edges for ReduceScatter and AllGather: virtual rank v owns its ranks' chunks. */
function foldedEdges(fold: Fold, bounds: readonly number[]): number[] {
  return [...ranksOf(fold.p).map((v) => bounds[fold.real(v)] as number), bounds.at(-1) as number];
}

/**
 * `middle` wrapped in the fold when N is not a power of two: a fold-in step before (each pair's
 * odd rank hands its data to the even one) and a fold-out step after (the result goes back).
 */
function aroundFold(
  fold: Fold,
  foldIn: (even: number, odd: number) => Op[],
  middle: readonly Step[],
  foldOut: (even: number, odd: number) => Op[],
): Step[] {
  if (fold.q === 0) return [...middle];
  return [step('fold-in', pairs(fold, foldIn)), ...middle, step('fold-out', pairs(fold, foldOut))];
}

/**
 * AllReduce: fold-in (if N is not 2^k), halving, doubling, fold-out; 2 log2 N steps for N = 2^k,
 * 2 floor(log2 N) + 2 otherwise; + 1 out of place (a local copy into 'recv' for every rank but
 * the odd ones of the folded pairs, which send their input from 'send' and get the result
 * whole in the fold-out).
 */
export function rhdAllReduce(spec: CollectiveSpec): Plan {
  const base = planBase(spec, 'allreduce', 'rhd');
  const { ranks: n, count, inPlace } = spec;
  const fold = foldOf(n);
  const edges = chunkBounds(count, fold.p);
  const folded = (r: number) => r < 2 * fold.q && r % 2 === 1;
  const steps: Step[] = [];
  if (!inPlace) {
    steps.push(
      localCopyStep(
        ranksOf(n).filter((r) => !folded(r)),
        () => count,
      ),
    );
  }
  steps.push(
    ...aroundFold(
      fold,
      (even, odd) => [
        reduce(place(odd, inPlace ? 'recv' : 'send', 0), place(even, 'recv', 0), count, 0),
      ],
      [...halvingSteps(fold, edges, (b) => b), ...doublingSteps(fold, edges, (b) => b)],
      (even, odd) => [copy(place(even, 'recv', 0), place(odd, 'recv', 0), count, 0)],
    ),
  );
  return {
    ...base,
    ...allReduceLayout(spec),
    steps,
  };
}

/**
 * ReduceScatter (layout as the ring's: 'recv' holds the whole input as working space, rank r's
 * result is chunk r of it): fold-in (odd sends its whole input, even reduces), halving over the
 * folded blocks, fold-out (even copies chunk 2i+1 of its result to rank 2i+1). log2 N steps for
 * N = 2^k, floor(log2 N) + 2 otherwise; + 1 out of place (the local copy into 'recv').
 */
export function rhdReduceScatter(spec: CollectiveSpec): Plan {
  const base = planBase(spec, 'reducescatter', 'rhd');
  const { ranks: n, count, inPlace } = spec;
  const fold = foldOf(n);
  const bounds = chunkBounds(count, n);
  const chunk = (r: number) => [
    bounds[r] as number,
    (bounds[r + 1] as number) - (bounds[r] as number),
  ];
  const steps: Step[] = [];
  if (!inPlace) {
    steps.push(
      localCopyStep(
        ranksOf(n),
        () => count,
        undefined,
        (r) => r,
      ),
    );
  }
  steps.push(
    ...aroundFold(
      fold,
      (even, odd) => [reduce(place(odd, 'recv', 0), place(even, 'recv', 0), count, 0)],
      halvingSteps(fold, foldedEdges(fold, bounds), fold.real),
      (even, odd) => {
        const [at, size] = chunk(odd) as [number, number];
        return [copy(place(even, 'recv', at), place(odd, 'recv', at), size, odd)];
      },
    ),
  );
  return {
    ...base,
    ...reduceScatterLayout(spec),
    steps,
  };
}

/**
 * AllGather (layout as the ring's: rank r gives chunk r; in place it already lies at its spot in
 * 'recv'): fold-in (odd copies its chunk to even), doubling over the folded blocks, fold-out
 * (even copies the whole result to rank 2i+1: one message, though chunk 2i+1 is already there).
 * log2 N steps for N = 2^k, floor(log2 N) + 2 otherwise; + 1 out of place (the local copy into
 * 'recv' of every rank but the odd ones of the folded pairs, which send from 'send').
 */
export function rhdAllGather(spec: CollectiveSpec): Plan {
  const base = planBase(spec, 'allgather', 'rhd');
  const { ranks: n, count, inPlace } = spec;
  const fold = foldOf(n);
  const bounds = chunkBounds(count, n);
  const at = (r: number) => bounds[r] as number;
  const part = (r: number) => at(r + 1) - at(r);
  const steps: Step[] = [];
  const folded = (r: number) => r < 2 * fold.q && r % 2 === 1;
  if (!inPlace) {
    steps.push(
      localCopyStep(
        ranksOf(n).filter((r) => !folded(r)),
        part,
        at,
        (r) => r,
      ),
    );
  }
  steps.push(
    ...aroundFold(
      fold,
      (even, odd) => [
        copy(
          inPlace ? place(odd, 'recv', at(odd)) : place(odd, 'send', 0),
          place(even, 'recv', at(odd)),
          part(odd),
          odd,
        ),
      ],
      doublingSteps(fold, foldedEdges(fold, bounds), fold.real),
      (even, odd) => [copy(place(even, 'recv', 0), place(odd, 'recv', 0), count, 0)],
    ),
  );
  return {
    ...base,
    ...allGatherLayout(spec),
    steps,
  };
}
