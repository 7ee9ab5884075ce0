// What the timeline draws, apart from pixels: each task's kind (its colour), and at a time t
// what each rank's compute and comm lanes are doing. Kept free of the DOM so unit tests read it.
import type { GraphPrice } from '../../model/event-pricer.ts';
import type { Graph, Task } from '../../plans/graph.ts';

export const TASK_KINDS = [
  'forward',
  'backward',
  'update',
  'collective',
  'send',
  'accumulate',
] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** The kind of a training task, from its label (see plans/training/*.ts for the labels). */
export function kindOf(task: Task): TaskKind {
  const l = task.label;
  if (task.kind === 'kernel') {
    if (/^(F |forward|loss)/.test(l)) return 'forward';
    if (/^(B |backward)/.test(l)) return 'backward';
    return 'update';
  }
  if (l.startsWith('send')) return 'send';
  if (l.startsWith('accumulate')) return 'accumulate';
  return 'collective';
}

/** The number of time steps a step is shown in: the transport moves one at a time. */
export const TICKS = 48;

/** Seconds at step k of TICKS. */
export const tickTime = (price: GraphPrice, k: number) => (price.total_s * k) / TICKS;

export interface LaneCounts {
  readonly compute: number;
  readonly comm: number;
}

/** Ranks whose compute and whose comm lane have a task running at time t. */
export function busyAt(graph: Graph, price: GraphPrice, t: number): LaneCounts {
  const compute = new Set<number>();
  const comm = new Set<number>();
  for (const task of graph.tasks) {
    const s = price.start_s[task.id] as number;
    const e = price.end_s[task.id] as number;
    if (s <= t && t < e && e > s) (task.stream === 'compute' ? compute : comm).add(task.rank);
  }
  return { compute: compute.size, comm: comm.size };
}
