// Small helpers every plan builder shares: checking a spec, naming places, making ops.
import { DTYPES, isDtype, isRedOp, REDOPS } from './dtype.ts';
import {
  type BufferName,
  type CollectiveSpec,
  chunkBounds,
  type Op,
  type Place,
  type Plan,
  type Region,
  type Step,
} from './plan.ts';

/** The most ranks a plan runs with on the GPU (every rank's buffers in this GPU's memory). */
export const MAX_RANKS = 256;
/** The most ranks a plan is built for: pricing and reading a fleet-sized plan needs no GPU. */
export const MAX_PLAN_RANKS = 4096;

/** Throws a RangeError naming the value and the limit for a spec no plan can have. */
export function checkSpec(spec: CollectiveSpec): void {
  const { ranks, count, root = 0 } = spec;
  if (!Number.isInteger(ranks) || ranks < 1 || ranks > MAX_PLAN_RANKS) {
    throw new RangeError(`ranks ${ranks} must be a whole number from 1 to ${MAX_PLAN_RANKS}`);
  }
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`count ${count} must be a whole number >= 0`);
  }
  if (!Number.isInteger(root) || root < 0 || root >= ranks) {
    throw new RangeError(`root ${root} must be a rank from 0 to ${ranks - 1}`);
  }
  // The types say this already; a library caller in plain JavaScript gets the same words.
  if (!isDtype(spec.dtype)) {
    throw new RangeError(`dtype '${spec.dtype}' is unknown (dtypes: ${DTYPES.join(', ')})`);
  }
  if (!isRedOp(spec.redop)) {
    throw new RangeError(`redop '${spec.redop}' is unknown (redops: ${REDOPS.join(', ')})`);
  }
  if (typeof spec.inPlace !== 'boolean') {
    throw new RangeError(`inPlace ${String(spec.inPlace)} must be true or false`);
  }
}

export function place(rank: number, buffer: BufferName, offset: number): Place {
  return { rank, buffer, offset };
}

export function region(buffer: BufferName, offset: number, count: number): Region {
  return { buffer, offset, count };
}

export function copy(src: Place, dst: Place, count: number, chunk: number): Op {
  return { kind: 'copy', src, dst, count, chunk };
}

export function reduce(src: Place, dst: Place, count: number, chunk: number): Op {
  return { kind: 'reduce', src, dst, count, chunk };
}

/** A step, leaving out ops that move nothing (chunks of an uneven split can be empty). */
export function step(phase: string, ops: readonly Op[]): Step {
  return { phase, ops: ops.filter((o) => o.count > 0) };
}

/** rank r's index modulo n, for ring neighbours in both directions. */
export function mod(r: number, n: number): number {
  return ((r % n) + n) % n;
}

export function ranksOf(n: number): number[] {
  return Array.from({ length: n }, (_, r) => r);
}

/** The fields every plan of `spec` shares. */
export function planBase(
  spec: CollectiveSpec,
  collective: Plan['collective'],
  algorithm: string,
): Pick<
  Plan,
  'collective' | 'algorithm' | 'ranks' | 'count' | 'dtype' | 'redop' | 'root' | 'inPlace'
> {
  checkSpec(spec);
  return {
    collective,
    algorithm,
    ranks: spec.ranks,
    count: spec.count,
    dtype: spec.dtype,
    redop: spec.redop,
    root: spec.root ?? 0,
    inPlace: spec.inPlace,
  };
}

/**
 * The buffers of an AllReduce-shaped plan: every rank's input and result are `count` elements
 * in 'recv' (in place) or input in 'send' and result in 'recv' (out of place).
 */
export function allReduceLayout(spec: CollectiveSpec): Pick<Plan, 'sizes' | 'input' | 'output'> {
  const { ranks: n, count, inPlace } = spec;
  return {
    sizes: {
      send: ranksOf(n).map(() => (inPlace ? 0 : count)),
      recv: ranksOf(n).map(() => count),
    },
    input: ranksOf(n).map(() => region(inPlace ? 'recv' : 'send', 0, count)),
    output: ranksOf(n).map(() => region('recv', 0, count)),
  };
}

/**
 * Out of place, the ranks named first copy their input from 'send' into 'recv', where the
 * algorithm works: rank r copies count(r) elements to offset at(r), labelled chunk(r).
 */
export function localCopyStep(
  ranks: readonly number[],
  count: (r: number) => number,
  at: (r: number) => number = () => 0,
  chunk: (r: number) => number = () => 0,
): Step {
  return step(
    'local copy',
    ranks.map((r) => copy(place(r, 'send', 0), place(r, 'recv', at(r)), count(r), chunk(r))),
  );
}

/**
 * The buffers of a ReduceScatter: every rank's whole input in 'recv' (in place) or 'send' (out
 * of place, with 'recv' as the working copy); rank r's result is chunk r of 'recv'.
 */
export function reduceScatterLayout(
  spec: CollectiveSpec,
): Pick<Plan, 'sizes' | 'input' | 'output'> {
  const bounds = chunkBounds(spec.count, spec.ranks);
  const at = (r: number) => bounds[r] as number;
  return {
    ...allReduceLayout(spec),
    output: ranksOf(spec.ranks).map((r) => region('recv', at(r), at(r + 1) - at(r))),
  };
}

/**
 * The buffers of an AllGather: rank r gives chunk r (in place already at its spot in 'recv',
 * out of place alone in 'send'); every rank's result is the whole of 'recv'.
 */
export function allGatherLayout(spec: CollectiveSpec): Pick<Plan, 'sizes' | 'input' | 'output'> {
  const { ranks: n, count, inPlace } = spec;
  const bounds = chunkBounds(count, n);
  const at = (r: number) => bounds[r] as number;
  const part = (r: number) => at(r + 1) - at(r);
  return {
    sizes: {
      send: ranksOf(n).map((r) => (inPlace ? 0 : part(r))),
      recv: ranksOf(n).map(() => count),
    },
    input: ranksOf(n).map((r) =>
      inPlace ? region('recv', at(r), part(r)) : region('send', 0, part(r)),
    ),
    output: ranksOf(n).map(() => region('recv', 0, count)),
  };
}
