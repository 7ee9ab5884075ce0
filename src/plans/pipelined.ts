// Pipelined ring (chain) Broadcast and Reduce: the message is cut into C chunks that flow along
// the ring, rank to rank; chunk c leaves a rank one step after chunk c - 1 did, so all links of
// the chain work at once once the pipeline is full. N - 1 + C - 1 steps.
//
// Chunks: C = N by default (chunkBounds(count, N), the very chunks of the ring AllReduce, so the
// pipeline takes 2N - 2 steps of M/N each, as the ring AllReduce does); `chunks` sets another
// C. More chunks shorten the fill and drain (their share of the time falls as (N - 2)/(N + C - 2))
// at the price of one more alpha a chunk; which C is best depends on the fabric's alpha*beta.
import { copy, mod, place, planBase, ranksOf, reduce, region, step } from './build.ts';
import { type BufferName, type CollectiveSpec, chunkBounds, type Op, type Plan } from './plan.ts';

export interface PipelineOptions {
  /** Chunks the message is cut into (default: the rank count). */
  readonly chunks?: number;
}

/** The chunk count C a pipelined ring plan of `spec` uses. */
export function pipelineChunks(spec: CollectiveSpec, options: PipelineOptions = {}): number {
  const chunks = options.chunks ?? spec.ranks;
  if (!Number.isInteger(chunks) || chunks < 1) {
    throw new RangeError(`chunks ${chunks} must be a whole number >= 1`);
  }
  return chunks;
}

/**
 * The pipeline over chain positions 0 .. N-1: at step t, position p passes chunk t - p to
 * position p + 1 (when that chunk exists). The receiver writes the chunk the sender sent; it
 * sends the chunk before it, so no rank reads and writes one range in a step.
 */
function pipelineSteps(
  n: number,
  bounds: readonly number[],
  phase: string,
  hop: (p: number, c: number, at: number, count: number) => Op,
  extra: (t: number) => Op[] = () => [],
) {
  const chunks = bounds.length - 1;
  const steps = [];
  for (let t = 0; n > 1 && t < n + chunks - 2; t++) {
    const ops = extra(t);
    for (let p = Math.max(0, t - chunks + 1); p <= Math.min(t, n - 2); p++) {
      const c = t - p;
      const at = bounds[c] as number;
      ops.push(hop(p, c, at, (bounds[c + 1] as number) - at));
    }
    steps.push(step(phase, ops));
  }
  return steps;
}

/**
 * Broadcast from spec.root along the ring root, root + 1, ...: N + C - 2 steps (0 for one rank).
 * Out of place the root sends from 'send' and copies chunk c into its own 'recv' in step c, beside
 * sending it, so no step is added (with one rank that copy is the only step).
 */
export function ringBroadcast(spec: CollectiveSpec, options: PipelineOptions = {}): Plan {
  const base = planBase(spec, 'broadcast', 'ring');
  const { ranks: n, count, inPlace } = spec;
  const root = base.root;
  const bounds = chunkBounds(count, pipelineChunks(spec, options));
  const chunks = bounds.length - 1;
  const rank = (p: number) => mod(root + p, n);
  const from: BufferName = inPlace ? 'recv' : 'send';
  const rootCopy = (c: number): Op[] => {
    if (inPlace || c >= chunks) return [];
    const at = bounds[c] as number;
    return [
      copy(place(root, 'send', at), place(root, 'recv', at), (bounds[c + 1] as number) - at, c),
    ];
  };
  const steps = pipelineSteps(
    n,
    bounds,
    'broadcast',
    (p, c, at, size) =>
      copy(place(rank(p), p === 0 ? from : 'recv', at), place(rank(p + 1), 'recv', at), size, c),
    rootCopy,
  );
  if (n === 1 && !inPlace) {
    steps.push(
      step('local copy', [copy(place(root, 'send', 0), place(root, 'recv', 0), count, 0)]),
    );
  }
  return {
    ...base,
    sizes: {
      send: ranksOf(n).map((r) => (!inPlace && r === root ? count : 0)),
      recv: ranksOf(n).map(() => count),
    },
    input: ranksOf(n).map((r) => region(from, 0, r === root ? count : 0)),
    output: ranksOf(n).map(() => region('recv', 0, count)),
    steps,
  };
}

/**
 * Reduce to spec.root along the ring root + 1, root + 2, ..., root: each rank reduces the partial
 * chunk it receives into its own and passes it on; N + C - 2 steps, + 1 out of place (a first
 * step copies every rank's input but the chain head's into its 'recv', where it accumulates;
 * the head sends from 'send'). In place, ranks accumulate in their own 'recv' (their input is
 * consumed). The result is the root's 'recv'.
 */
export function ringReduce(spec: CollectiveSpec, options: PipelineOptions = {}): Plan {
  const base = planBase(spec, 'reduce', 'ring');
  const { ranks: n, count, inPlace } = spec;
  const root = base.root;
  const bounds = chunkBounds(count, pipelineChunks(spec, options));
  // Chain position p is rank root + 1 + p: the head (p = 0) is root + 1, the tail (N - 1) root.
  const rank = (p: number) => mod(root + 1 + p, n);
  const position = (r: number) => mod(r - root - 1, n);
  const accumulates = (p: number) => p > 0 || p === n - 1;
  const steps = [];
  if (!inPlace) {
    steps.push(
      step(
        'local copy',
        ranksOf(n)
          .filter(accumulates)
          .map((p) => copy(place(rank(p), 'send', 0), place(rank(p), 'recv', 0), count, 0)),
      ),
    );
  }
  steps.push(
    ...pipelineSteps(n, bounds, 'reduce', (p, c, at, size) =>
      reduce(
        place(rank(p), inPlace || accumulates(p) ? 'recv' : 'send', at),
        place(rank(p + 1), 'recv', at),
        size,
        c,
      ),
    ),
  );
  return {
    ...base,
    sizes: {
      send: ranksOf(n).map(() => (inPlace ? 0 : count)),
      recv: ranksOf(n).map((r) => (inPlace || accumulates(position(r)) ? count : 0)),
    },
    input: ranksOf(n).map(() => region(inPlace ? 'recv' : 'send', 0, count)),
    output: ranksOf(n).map((r) => region('recv', 0, r === root ? count : 0)),
    steps,
  };
}
