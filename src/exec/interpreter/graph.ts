// The CPU interpreter of Plan v2: runs a graph's tasks on typed arrays, one after another, in
// an order that keeps every dependency (list order unless told otherwise). It is the reference
// semantics of every graph and the oracle of the GPU executor: validateGraph guarantees that
// every such order computes the same bits, and the tests check it by running other orders.
import { DTYPE_INFO, type ElementArray } from '../../plans/dtype.ts';
import { applyElementwise } from '../../plans/elementwise.ts';
import type { Graph, Task } from '../../plans/graph.ts';
import { runKernel } from './steps.ts';

/** Each rank's named buffers: buffers[rank][name]. */
export type GraphBuffers = Record<string, ElementArray>[];

/** Zeroed buffers of the graph's sizes and types. */
export function allocateGraphBuffers(graph: Graph): GraphBuffers {
  const out: GraphBuffers = Array.from({ length: graph.ranks }, () => ({}));
  for (const b of graph.buffers) {
    (out[b.rank] as GraphBuffers[number])[b.name] = DTYPE_INFO[b.dtype].create(b.count);
  }
  return out;
}

function runTask(graph: Graph, task: Task, buffers: GraphBuffers): void {
  if (task.kind === 'kernel') {
    runKernel(task.kernel, buffers[task.rank] as GraphBuffers[number]);
    return;
  }
  const src = (buffers[task.src.rank] as GraphBuffers[number])[task.src.buffer] as ElementArray;
  const dst = (buffers[task.dst.rank] as GraphBuffers[number])[task.dst.buffer] as ElementArray;
  applyElementwise(
    task.op === 'copy' ? 'copy' : graph.redop,
    dst,
    src,
    task.count,
    task.dst.offset,
    task.src.offset,
  );
}

/**
 * Runs the tasks of `order` (every task in list order by default) on `buffers`, in place.
 * `order` must keep dependencies; it is not checked here (the tests check orders they make).
 */
export function interpretGraph(
  graph: Graph,
  buffers: GraphBuffers,
  order?: Iterable<number>,
  afterTask?: (task: Task, buffers: GraphBuffers) => void,
): GraphBuffers {
  const ids = order ?? graph.tasks.keys();
  for (const id of ids) {
    const task = graph.tasks[id] as Task;
    runTask(graph, task, buffers);
    afterTask?.(task, buffers);
  }
  return buffers;
}
