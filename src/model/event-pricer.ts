// The event-driven pricer: a graph of tasks (src/plans/graph.ts) on a fabric, as a discrete-
// event simulation. It returns every task's start and end (the emulated timeline), the busy
// time of links and streams, the critical path, and how much communication hid under compute.
//
//   a task starts       when its last dependency ends (a kernel: and its compute stream is free)
//   a move takes        alpha (its route's largest) + its bytes flowing + gamma x bytes (a reduce)
//   bytes flow at       rate = min over the route's links of beta_link / (flows on the link now)
//   a kernel takes      kernelSeconds(task)
//
// Choices, and why:
// - A rank's compute stream runs one kernel at a time, the ready kernel with the lowest id
//   first (the list order, so a plan decides). Its comm stream has no such limit: moves into a
//   rank may be in flight together, limited only by the links, because a real NIC or NVLink
//   port carries several transfers at once (NCCL runs channels side by side). Compute and comm
//   streams overlap freely.
// - Links are shared by processor sharing: every flow on a link gets an equal part of its
//   beta, and a flow over several links goes at its tightest part (not max-min fair: a flow
//   held back elsewhere does not give its unused part away). Rates change only when some
//   link's flow count changes, and only flows on those links are recomputed, once for all the
//   events of one instant.
// - alpha is latency, not occupancy: a move pays it before its bytes flow and holds no link
//   while it does, so k transfers started together on one link take alpha + k b / beta, as the
//   step pricer's one alpha per link per step. A multi-hop route is cut-through: alpha is its
//   largest link's, not their sum (as the step pricer).
// - A reduce pays gamma x bytes after its bytes have arrived, on its destination rank's
//   reducer; reduces into one rank share that reducer as flows share a link (two arriving
//   together take 2 b gamma, as the step pricer's per-rank sum). On the `local` fabric every
//   rank reduces on the one GPU: one reducer for all, so all reduced bytes add up (as the step
//   pricer). Reduction does not take the compute stream (NCCL's reductions run in its own
//   kernels, on the comm stream).
// - A rank-local move (src rank = dst rank) flows through '<rank>.memory' at the fabric's
//   memory_Bps, shared like a link, or costs nothing where memory_Bps is absent; on the
//   `local` fabric it goes through the one memory link like every move (route()). A move of 0
//   elements still pays alpha: the plan says a message is sent.
// - On the `local` fabric all ranks' kernels run on the one GPU, one at a time in id order (as
//   the executor runs them and the step pricer adds them up); each still counts on its rank's
//   compute stream, so a rank waiting for the GPU shows as its bubble.
// - Kernels cost what `kernelSeconds` says (measured for that rank alone, or a roofline
//   model); the pricer never looks inside a kernel. Without it a graph with kernels is refused
//   with a RangeError naming the first kernel task.
// - The critical path runs back from the last task to end, through whatever made each task
//   start when it did: its last dependency to end, or, for a kernel that waited for its
//   stream, the kernel before it there. Link sharing lengthens a move but never delays its
//   start, so it shows in the move's duration, not as a step of the path.
// - Overlap, per rank: comm seconds = time with any move into the rank in flight; hidden =
//   the part of it while the rank's compute stream runs a kernel (Fleet Law's T_overlap).
//   Bubble, per rank: seconds its compute stream idles between its first kernel's start and
//   its last kernel's end.
// - A task starts when its dependencies are done, nothing more: a lock-step plan's graph
//   (graphOf: each rank's tasks in step order) prices at or below its steps (a pipelined
//   ring's next chunk goes as soon as its ranks are ready, not when the whole step is), and
//   on a uniform switch exactly as its steps and the closed forms. A plan whose sends depend on
//   nothing between them (a sender posting several at once) shares the sender's uplink: that
//   is what the graph asks for.
//
// Cost: O((tasks + dependencies) log tasks) plus, per instant, the flows on the links whose
// counts changed. Per task only four numbers and its dependents' list (event-tasks.ts), flows
// in a pool as large as the most in flight at once, nothing allocated per event: a graph of
// two million tasks fills most of the heap, and each further 64 MB of arrays costs a full
// garbage collection of it (about 0.7 s on the 2-core machine this was measured on).

import type { Fabric, LinkId } from '../fabric/fabric.ts';
import type { Graph, Task } from '../plans/graph.ts';
import { Resources } from './event-resources.ts';
import { simulate, type Timeline } from './event-simulation.ts';
import { type KernelTaskSeconds, taskTable } from './event-tasks.ts';

export type { KernelTaskSeconds } from './event-tasks.ts';

export interface PriceGraphOptions {
  /** Seconds of each kernel task (measured for its rank alone); needed if there are kernels. */
  readonly kernelSeconds?: KernelTaskSeconds;
}

export interface GraphPrice {
  /** Seconds from the start of the graph, by task id. */
  readonly start_s: Float64Array;
  readonly end_s: Float64Array;
  /** The last task's end (0 for a graph without tasks). */
  readonly total_s: number;
  /** Links by index: the fabric's, then '<rank>.memory' where the fabric prices rank memory. */
  readonly links: readonly LinkId[];
  /** Bytes that flowed over each link. */
  readonly link_bytes: Float64Array;
  /** Seconds each link had bytes flowing on it. */
  readonly link_busy_s: Float64Array;
  /** Seconds each rank's compute stream ran kernels. */
  readonly compute_busy_s: Float64Array;
  /** Seconds each rank had a move into it in flight (its comm stream busy). */
  readonly comm_busy_s: Float64Array;
  /** Task ids of the critical path, from its first task to the last task to end. */
  readonly critical_path: Int32Array;
  /** Sum over ranks of comm_busy_s. */
  readonly comm_s: number;
  /** Of comm_s, the seconds while the same rank's compute stream ran a kernel. */
  readonly hidden_comm_s: number;
  /** hidden_comm_s / comm_s (0 when nothing moves). */
  readonly overlap: number;
  /** Each rank's compute idle between its first kernel's start and its last kernel's end. */
  readonly bubble_per_rank_s: Float64Array;
  /** Sum of bubble_per_rank_s. */
  readonly bubble_s: number;
}

/**
 * What made task `id` start when it did: for a kernel that waited for its stream, the kernel
 * before it there; else the dependency that ended last (it ended at the task's start; of
 * several, the one listed last); -1 for a task without dependencies.
 */
function causeOf(graph: Graph, run: Timeline, id: number): number {
  const waited = run.waitedFor.get(id);
  if (waited !== undefined) return waited;
  const deps = (graph.tasks[id] as Task).deps;
  let cause = -1;
  for (const d of deps) {
    if (cause < 0 || (run.end_s[d] as number) >= (run.end_s[cause] as number)) cause = d;
  }
  return cause;
}

const sum = (a: Float64Array) => a.reduce((s, x) => s + x, 0);

/**
 * Prices `graph` on `fabric` (whose ranks must be the graph's) event by event; the graph
 * should have passed validateGraph. A graph with kernels needs `options.kernelSeconds`.
 */
export function priceGraph(
  graph: Graph,
  fabric: Fabric,
  options: PriceGraphOptions = {},
): GraphPrice {
  if (graph.ranks !== fabric.ranks) {
    throw new RangeError(`graph of ${graph.ranks} ranks cannot run on ${fabric.name}`);
  }
  const resources = new Resources(fabric);
  const table = taskTable(graph, resources, options.kernelSeconds);
  const run = simulate(table, resources, graph.ranks);
  const { end_s } = run;
  let last = -1;
  for (let id = 0; id < end_s.length; id++) {
    if (last < 0 || (end_s[id] as number) >= (end_s[last] as number)) last = id;
  }
  const path: number[] = [];
  for (let id = last; id >= 0; id = causeOf(graph, run, id)) path.push(id);
  const links = resources.linkIds;
  const bubble = new Float64Array(graph.ranks);
  for (let r = 0; r < graph.ranks; r++) {
    const span = (run.lastKernel_s[r] as number) - (run.firstKernel_s[r] as number);
    if (span > 0) bubble[r] = Math.max(0, span - (run.computeBusy_s[r] as number));
  }
  const comm_s = sum(run.commBusy_s);
  const hidden_comm_s = sum(run.hidden_s);
  return {
    start_s: run.start_s,
    end_s,
    total_s: last < 0 ? 0 : (end_s[last] as number),
    links,
    link_bytes: run.resourceBytes.slice(0, links.length),
    link_busy_s: run.resourceBusy_s.slice(0, links.length),
    compute_busy_s: run.computeBusy_s,
    comm_busy_s: run.commBusy_s,
    critical_path: Int32Array.from(path.reverse()),
    comm_s,
    hidden_comm_s,
    overlap: comm_s > 0 ? hidden_comm_s / comm_s : 0,
    bubble_per_rank_s: bubble,
    bubble_s: sum(bubble),
  };
}
