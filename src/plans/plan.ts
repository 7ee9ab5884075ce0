// A plan is data: the ranks' buffers and, step by step, the ops that move and reduce chunks
// between them. Builders (ring.ts, tree.ts, ...) make plans; the CPU interpreter, the GPU
// executor, the cost model and the view all read the same plan, so they cannot drift apart.
import type { KernelCall } from '../kernels/kernel.ts';
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
export const BUFFER_NAMES = ['send', 'recv'] as const;
export type BufferName = (typeof BUFFER_NAMES)[number];

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

/**
 * A compute kernel on one rank's own buffers (tensor-parallel plans): which kernel of the
 * registry (src/kernels/registry.ts), its operands as regions of the rank's buffers (f32,
 * row-major matrices) and its params, e.g. matmulOp(rank, { a, b, c }, { m, k, n }). Kernels
 * live beside the moving ops of a step, not among them: a move has a link and bytes, a kernel
 * has a rank and flops, and every reader of a plan (executor, pricer, view) treats the two
 * differently.
 */
export type KernelOp = KernelCall<Region>;

export interface Step {
  /** What the step belongs to, e.g. 'reduce-scatter', 'all-gather', 'fold-in'. */
  readonly phase: string;
  /** Ops of one step run concurrently: none reads or writes what another writes. */
  readonly ops: readonly Op[];
  /** Kernels of the step, concurrent with its ops and with each other (tensor parallel). */
  readonly kernels?: readonly KernelOp[];
}

/** The tensor-parallel layouts (Megatron-LM) a plan can carry out. */
export const LAYOUTS = ['column', 'row', 'mlp', 'attention'] as const;
export type Layout = (typeof LAYOUTS)[number];

/**
 * Where a block of a logical matrix lies: rows [row0, row0 + rows) x columns [col0, col0 +
 * cols) of `tensor`, stored row-major in `region` of `rank`'s buffer. The view draws weight
 * blocks by owner from these; tests scatter full matrices into ranks' buffers and gather them.
 */
export interface Shard {
  readonly tensor: string;
  readonly rank: number;
  readonly region: Region;
  readonly row0: number;
  readonly col0: number;
  readonly rows: number;
  readonly cols: number;
}

/** What a tensor-parallel plan computes, on which logical matrices. */
export interface LayerInfo {
  readonly layout: Layout;
  /** X is m x k; the layer's weight is k x n (mlp: W1 k x n, W2 n x k; attention: n heads
   * of k / n, Wq, Wk, Wv, Wo all k x k). */
  readonly m: number;
  readonly k: number;
  readonly n: number;
  /** The collective that carries the partial results (none for a plain column-parallel). */
  readonly comm: { readonly collective: Collective; readonly algorithm: string } | null;
  /** Every logical matrix's shape: tensors.X = [m, k], ... */
  readonly tensors: Readonly<Record<string, readonly [number, number]>>;
  readonly shards: readonly Shard[];
  /** Which tensors are inputs (filled before step 0) and which is the result. */
  readonly inputs: readonly string[];
  readonly result: string;
}

/** A gradient bucket of a data-parallel step: a run of 'grad' and the layers it holds. */
export interface BucketInfo {
  readonly offset: number;
  readonly count: number;
  /** Layers whose gradients it holds, highest first (the order the backward completes them). */
  readonly layers: readonly number[];
}

/** A run of elements of a buffer. */
export interface Run {
  readonly offset: number;
  readonly count: number;
}

/** A pipeline-parallel step's schedule: per stage its passes in order, and what they hold. */
export interface PipelineInfo {
  readonly schedule: string;
  readonly stages: number;
  readonly microbatches: number;
  readonly virtual: number;
  /** order[stage]: its passes, forward F or backward B of micro-batch mb on local chunk. */
  readonly order: readonly (readonly {
    readonly pass: 'F' | 'B';
    readonly mb: number;
    readonly chunk: number;
  }[])[];
  /** The most micro-batch activations (per chunk) each stage holds at once. */
  readonly peak_activations: readonly number[];
}

/** A training step of the MLP (src/plans/training/): the model, the batch and its sharding. */
export interface TrainingInfo {
  readonly mode: 'dp' | 'pp';
  readonly layers: number;
  readonly d: number;
  readonly batch: number;
  /** The slices of the batch whose gradients are summed into the step's: rows per rank
   * (data parallel) or per micro-batch (pipeline parallel). */
  readonly rows: readonly number[];
  /** The runs of 'params' each rank holds, updated, after the step (all of it in data
   * parallelism up to ZeRO 2, its shards in ZeRO 3, its stage's layers in a pipeline), and
   * of 'grad' it holds summed over the batch (its shards from ZeRO 1 on). */
  readonly owns: readonly { readonly params: readonly Run[]; readonly grads: readonly Run[] }[];
  /** The ZeRO stage of a data-parallel step (0: plain). */
  readonly zero: 0 | 1 | 2 | 3;
  /** The gradients' collective (null where there is none). */
  readonly comm: { readonly collective: Collective; readonly algorithm: string } | null;
  readonly buckets: readonly BucketInfo[];
  /** Whether a bucket's collective may start before the whole backward pass is done. */
  readonly overlap: boolean;
  readonly pipeline?: PipelineInfo;
}

export interface Plan {
  /** What the plan carries out: a collective, a tensor-parallel layer (see `layer`) or a
   * training step (see `training`). */
  readonly collective: Collective | 'alltoallv' | 'tensor-parallel' | 'training' | 'moe';
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
  /** Tensor-parallel plans: the layer and where its matrices' shards lie. */
  readonly layer?: LayerInfo;
  /** Training steps: the model, the batch's sharding and the gradient buckets. */
  readonly training?: TrainingInfo;
  /** AllToAllv plans (src/plans/experts/alltoallv.ts): who sends how many elements to whom. */
  readonly exchange?: ExchangeInfo;
  /** MoE layers (run as graphs; this is their packed lock-step form). */
  readonly moe?: MoeInfo;
}

/**
 * A mixture-of-experts layer's graph (src/plans/experts/moe-layer.ts): its shape, and in the
 * layer phase the routing it was built for (the router phase has none yet).
 */
export interface MoeInfo {
  readonly phase: 'router' | 'layer';
  readonly ranks: number;
  readonly experts: number;
  readonly topK: number;
  readonly tokens: number;
  readonly d: number;
  readonly hidden: number;
  /** The dispatch AllToAllv's rows: rows[i][j] token copies from rank i to rank j's experts
   * (the combine sends them back); all 0 in the router phase. */
  readonly rows: readonly (readonly number[])[];
  /** The AllToAllv algorithm of dispatch and combine. */
  readonly algorithm: string;
}

/** An AllToAllv's count matrix: counts[i][j] elements go from rank i to rank j. */
export interface ExchangeInfo {
  readonly counts: readonly (readonly number[])[];
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
