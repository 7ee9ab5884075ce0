// The event-driven pricer's view of a graph's tasks: one pass over the task objects into typed
// arrays (what each costs, where it runs, who waits for it), so the simulation of millions of
// tasks never touches an object again.

import { DTYPE_INFO } from '../plans/dtype.ts';
import type { Graph, KernelTask, Task } from '../plans/graph.ts';
import type { Resources } from './event-resources.ts';

/** Seconds one kernel task takes on its rank's device, that rank alone. */
export type KernelTaskSeconds = (task: KernelTask) => number;

/**
 * Per task, as few arrays as can be (a graph of two million tasks already holds most of the
 * heap, and every 64 MB of new arrays costs a full garbage collection of it):
 */
export interface TaskTable {
  readonly count: number;
  /** Moves: route x 2 + 1 for a reduce (Resources says the rank and reducer); kernels: -1 - rank. */
  readonly code: Int32Array;
  /**
   * The timeline the simulation fills, each array doing a job first: until a task is ready,
   * start_s counts its unfinished dependencies; until it ends, end_s holds its amount (a
   * move's bytes, a kernel's seconds).
   */
  readonly start_s: Float64Array;
  readonly end_s: Float64Array;
  /** The tasks that depend on task t: dependents[dependents0[t] .. dependents0[t + 1]). */
  readonly dependents0: Int32Array;
  readonly dependents: Int32Array;
  readonly kernels: number;
}

function kernelSecondsOf(task: KernelTask, kernelSeconds: KernelTaskSeconds | undefined): number {
  const where = `task ${task.id} (${task.label})`;
  if (!kernelSeconds) {
    throw new RangeError(`${where} runs a kernel: pricing it needs its time (kernelSeconds)`);
  }
  const s = kernelSeconds(task);
  if (!Number.isFinite(s) || s < 0) {
    throw new RangeError(`${where}: kernelSeconds gave ${s}, not a number of seconds >= 0`);
  }
  return s;
}

export function taskTable(
  graph: Graph,
  resources: Resources,
  kernelSeconds: KernelTaskSeconds | undefined,
): TaskTable {
  const { tasks } = graph;
  const n = tasks.length;
  const bytesPerElement = DTYPE_INFO[graph.dtype].bytes;
  const code = new Int32Array(n);
  const start_s = new Float64Array(n);
  const end_s = new Float64Array(n);
  // Dependents in CSR form: counts, their running sum (each task's end), then a fill from the
  // back that moves each end down to its start (no second array of offsets).
  const dependents0 = new Int32Array(n + 1);
  let edges = 0;
  let kernels = 0;
  for (let t = 0; t < n; t++) {
    const task = tasks[t] as Task;
    const before = task.deps;
    start_s[t] = before.length;
    edges += before.length;
    for (let i = 0; i < before.length; i++) {
      const d = before[i] as number;
      dependents0[d] = (dependents0[d] as number) + 1;
    }
    if (task.kind === 'kernel') {
      kernels++;
      code[t] = -1 - task.rank;
      end_s[t] = kernelSecondsOf(task, kernelSeconds);
      continue;
    }
    end_s[t] = task.count * bytesPerElement;
    const route = resources.routeOf(task.src.rank, task.dst.rank, task.rank);
    code[t] = route * 2 + (task.op === 'reduce' ? 1 : 0);
  }
  resources.finish();
  for (let t = 1; t < n; t++) {
    dependents0[t] = (dependents0[t] as number) + (dependents0[t - 1] as number);
  }
  dependents0[n] = edges;
  const dependents = new Int32Array(edges);
  // Later dependents first, from the end of each list back: lists come out in id order.
  for (let t = n - 1; t >= 0; t--) {
    const before = (tasks[t] as Task).deps;
    for (let i = 0; i < before.length; i++) {
      const d = before[i] as number;
      const at = (dependents0[d] as number) - 1;
      dependents[at] = t;
      dependents0[d] = at;
    }
  }
  return { count: n, code, start_s, end_s, dependents0, dependents, kernels };
}
