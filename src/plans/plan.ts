// A plan is data: the ranks' buffers and, step by step, the ops that move and reduce chunks
// between them. Builders (ring.ts, tree.ts, ...) make plans; the CPU interpreter, the GPU
// executor, the cost model and the view all read the same plan, so they cannot drift apart.
import type { Dtype, RedOp } from './dtype.ts';

export const COLLECTIVES = [
  'allreduce',
  'reducescatter',
  'allgather',
  'broadcast',
  'reduce',
  'alltoall',
] as const;
export type Collective = (typeof COLLECTIVES)[number];

/** Every rank has these buffers; a plan says how many elements each holds on each rank. */
export type BufferName = 'send' | 'recv';

/** A place in one rank's buffer, in elements. */
export interface Place {
  readonly rank: number;
  readonly buffer: BufferName;
  readonly offset: number;
}

/** A contiguous run of elements in one buffer of one rank (the rank is the array index). */
export interface Region {
  readonly buffer: BufferName;
  readonly offset: number;
  readonly count: number;
}

export interface Op {
  /** copy: dst = src; reduce: dst = dst op src (the plan's redop), element by element. */
  readonly kind: 'copy' | 'reduce';
  readonly src: Place;
  readonly dst: Place;
  /** Elements moved (and reduced). */
  readonly count: number;
  /** Which chunk of the message this is, for the view's colours and the trace. */
  readonly chunk: number;
}

export interface Step {
  /** What the step belongs to, e.g. 'reduce-scatter', 'all-gather', 'fold-in'. */
  readonly phase: string;
  /** Ops of one step run concurrently: none reads or writes what another writes. */
  readonly ops: readonly Op[];
}

export interface Plan {
  readonly collective: Collective;
  readonly algorithm: string;
  readonly ranks: number;
  /** nccl-tests' count: AllReduce, Broadcast, Reduce: elements per rank; AllGather: elements
   * of the gathered result; ReduceScatter, AllToAll: elements of each rank's input. */
  readonly count: number;
  readonly dtype: Dtype;
  readonly redop: RedOp;
  readonly root: number;
  /** In place: the result overwrites the input in 'recv'; out of place: 'send' is input. */
  readonly inPlace: boolean;
  /** Elements of each buffer on each rank: sizes[buffer][rank]. */
  readonly sizes: Readonly<Record<BufferName, readonly number[]>>;
  /** Where each rank's input lies before step 0 (count 0 for ranks that give none). */
  readonly input: readonly Region[];
  /** Where each rank's result lies after the last step (count 0 for ranks that get none). */
  readonly output: readonly Region[];
  readonly steps: readonly Step[];
}

/** A link an op uses: the ordered pair (src rank, dst rank), or none for a rank-local op. */
export function linkOf(op: Op): readonly [number, number] | undefined {
  return op.src.rank === op.dst.rank ? undefined : [op.src.rank, op.dst.rank];
}

/** Chunks start on multiples of this many elements (16 B) so each can use vec4 lanes. */
export const CHUNK_GRANULE = 4;

/**
 * Splits `count` elements into `parts` contiguous chunks as evenly as possible in whole
 * granules: the first chunks hold one granule more, the last also takes the count % granule
 * elements left over (granule 1 when there are fewer granules than parts). Returns parts + 1
 * bounds: chunkBounds(10, 4, 1) = [0, 3, 6, 8, 10], chunkBounds(18, 2) = [0, 8, 18].
 */
export function chunkBounds(count: number, parts: number, granule = CHUNK_GRANULE): number[] {
  // Too few elements for every chunk to get a granule: split element by element.
  if (Math.floor(count / granule) < parts) granule = 1;
  const units = Math.floor(count / granule);
  const base = Math.floor(units / parts);
  const extra = units % parts;
  const bounds = [0];
  for (let i = 0; i < parts; i++) {
    bounds.push((bounds[i] as number) + (base + (i < extra ? 1 : 0)) * granule);
  }
  bounds[parts] = count;
  return bounds;
}

/** What every plan builder takes: nccl-tests' parameters of one collective call. */
export interface CollectiveSpec {
  readonly ranks: number;
  readonly count: number;
  readonly dtype: Dtype;
  readonly redop: RedOp;
  readonly inPlace: boolean;
  /** Broadcast and Reduce: the rank that holds or gets the result. Others: ignored (0). */
  readonly root?: number;
  /**
   * The hierarchical AllReduce: G, the ranks of one node (nodes are G consecutive ranks); it
   * must divide `ranks`. Absent: the largest divisor of `ranks` that is <= 8. Others: ignored.
   */
  readonly ranksPerNode?: number;
}
