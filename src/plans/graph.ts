// Plan v2: a plan as a graph of tasks on per-rank streams. A task is a move (copy or reduce a
// chunk from one rank's buffer into another's, over the link src.rank -> dst.rank) or a kernel
// (on one rank's own buffers); it may start once the tasks it depends on are done. Five readers
// take the same graph: the interpreter, the GPU executor (in waves), the event-driven pricer,
// the view (waves for stepping) and the trace writer.
//
// Invariants every graph keeps (validateGraph checks them):
// - tasks[i].id === i, and every dependency names an earlier task: the list is a topological
//   order, so there is no cycle by construction and any reader may run tasks in list order;
// - two tasks with no dependency path between them never touch the same elements where one of
//   them writes: any order consistent with the dependencies computes the same bits.
//
// Streams are resources, not orderings: correctness comes from `deps` alone. The pricer runs a
// rank's compute stream one kernel at a time and lets its comm stream overlap it.

import type { KernelCall } from '../kernels/kernel.ts';
import type { Dtype, RedOp } from './dtype.ts';
import type { Collective, ExchangeInfo, LayerInfo, MoeInfo, TrainingInfo } from './plan.ts';

export const STREAMS = ['compute', 'comm'] as const;
export type Stream = (typeof STREAMS)[number];

/** One named buffer of one rank: send, recv, w1, grad, act.3 ... */
export interface BufferSpec {
  readonly name: string;
  readonly rank: number;
  readonly dtype: Dtype;
  /** Elements. */
  readonly count: number;
}

/** A place in one rank's named buffer, in elements. */
export interface GraphPlace {
  readonly rank: number;
  readonly buffer: string;
  readonly offset: number;
}

/** A contiguous run of elements in one named buffer (of the rank the context gives). */
export interface GraphRegion {
  readonly buffer: string;
  readonly offset: number;
  readonly count: number;
}

interface TaskBase {
  readonly id: number;
  /** The rank whose stream runs the task: a kernel's rank, a move's receiver. */
  readonly rank: number;
  readonly stream: Stream;
  /** Earlier tasks that must be done first (ids < this id). */
  readonly deps: readonly number[];
  /** What the task belongs to, e.g. 'reduce-scatter', 'fold-in', 'mlp up'. */
  readonly label: string;
}

export interface MoveTask extends TaskBase {
  readonly kind: 'move';
  readonly src: GraphPlace;
  readonly dst: GraphPlace;
  /** Elements moved (and reduced). */
  readonly count: number;
  /** copy: dst = src; reduce: dst = dst (graph's redop) src, element by element. */
  readonly op: 'copy' | 'reduce';
  /** Which chunk of the message this is, for the view's colours and the trace. */
  readonly chunk: number;
}

/** A kernel call on regions of one rank's named buffers. */
export type GraphKernel = KernelCall<GraphRegion>;

export interface KernelTask extends TaskBase {
  readonly kind: 'kernel';
  /** The kernel and its operands, all regions of buffers of `rank`. */
  readonly kernel: GraphKernel;
}

export type Task = MoveTask | KernelTask;

/** What a plan carries out: a collective with nccl-tests' parameters, or a layer. */
export type PlanInfo =
  | {
      readonly kind: 'collective';
      readonly collective: Collective;
      readonly algorithm: string;
      /** nccl-tests' count (see Plan.count). */
      readonly count: number;
      readonly root: number;
      readonly inPlace: boolean;
    }
  | {
      readonly kind: 'alltoallv';
      readonly algorithm: string;
      readonly exchange: ExchangeInfo;
    }
  | {
      readonly kind: 'tensor-parallel';
      readonly algorithm: string;
      readonly layer: LayerInfo;
    }
  | {
      readonly kind: 'training';
      readonly algorithm: string;
      readonly training: TrainingInfo;
    }
  | {
      readonly kind: 'moe';
      readonly algorithm: string;
      readonly moe: MoeInfo;
    };

export interface Graph {
  readonly ranks: number;
  readonly buffers: readonly BufferSpec[];
  readonly tasks: readonly Task[];
  /** The element type of every move (a graph reduces one type with one operator). */
  readonly dtype: Dtype;
  readonly redop: RedOp;
  /** Where each rank's input lies before the first task and its result after the last. */
  readonly input: readonly GraphRegion[];
  readonly output: readonly GraphRegion[];
  readonly info: PlanInfo;
}

/**
 * Each task's wave: 0 for a task with no dependencies, else one more than its latest
 * dependency's. A wave's tasks depend on none of each other, so they can run at once: the
 * executor dispatches a wave's moves together, and the pages step wave by wave.
 */
export function waveOf(graph: Graph): Int32Array {
  const wave = new Int32Array(graph.tasks.length);
  for (const t of graph.tasks) {
    let w = 0;
    for (const d of t.deps) w = Math.max(w, (wave[d] as number) + 1);
    wave[t.id] = w;
  }
  return wave;
}

/** The tasks of each wave, in list order: waves(graph)[w] = ids of the tasks of wave w. */
export function waves(graph: Graph): number[][] {
  const wave = waveOf(graph);
  const out: number[][] = [];
  for (let id = 0; id < wave.length; id++) {
    const w = wave[id] as number;
    while (out.length <= w) out.push([]);
    (out[w] as number[]).push(id);
  }
  return out;
}
