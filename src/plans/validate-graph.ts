// The rules every graph obeys, checked on the graph alone: buffers, places and kernel shapes in
// range, dependencies that point to earlier tasks (so the list is a topological order and there
// is no cycle), and no hazard between two tasks that may run concurrently: wherever two tasks
// touch the same elements and one writes them, a dependency path orders them. With that, every
// order the dependencies allow computes the same bits, which is what lets the interpreter be
// the exact oracle of the executor, whatever waves the executor forms.
//
// Cost: one scoreboard pass (src/plans/scoreboard.ts) over every access, and for each conflict
// a reachability question: answered by a comparison where both tasks sit on one rank's chain
// of program order (src/plans/rank-chains.ts: every graph graphOf builds), at once where the
// earlier task is a direct dependency, and otherwise by a backward search that visits only
// tasks listed after the earlier one.

import { Accesses, BufferIndex } from './accesses.ts';
import { isDtype } from './dtype.ts';
import { type Graph, STREAMS, type Task } from './graph.ts';
import { RankChains } from './rank-chains.ts';
import { Scoreboard } from './scoreboard.ts';
import { kernelOperands, PlanError } from './validate.ts';

function checkBuffers(graph: Graph): BufferIndex {
  const { ranks } = graph;
  if (!Number.isInteger(ranks) || ranks < 1) {
    throw new PlanError(`ranks ${ranks} must be a whole number >= 1`);
  }
  const seen = new Set<string>();
  graph.buffers.forEach((b, i) => {
    const where = `buffer ${i} ('${b.name}' of rank ${b.rank})`;
    if (!Number.isInteger(b.rank) || b.rank < 0 || b.rank >= ranks) {
      throw new PlanError(`${where}: rank ${b.rank} is outside 0..${ranks - 1}`);
    }
    if (typeof b.name !== 'string' || b.name === '') throw new PlanError(`${where}: no name`);
    if (!Number.isSafeInteger(b.count) || b.count < 0) {
      throw new PlanError(`${where}: count ${b.count} must be a whole number >= 0`);
    }
    if (!isDtype(b.dtype)) throw new PlanError(`${where}: dtype '${b.dtype}' is unknown`);
    const key = `${b.rank}:${b.name}`;
    if (seen.has(key)) throw new PlanError(`${where}: rank ${b.rank} has two buffers '${b.name}'`);
    seen.add(key);
  });
  return new BufferIndex(ranks, graph.buffers);
}

/**
 * Where a check failed: "task 7 (reduce-scatter) src". Built only for the message of an error:
 * a graph of millions of tasks passes through here, and a string per check is most of the work.
 */
type Where = (task: number, label: string, what: string) => string;
const atTask: Where = (task, label, what) => `task ${task} (${label})${what ? ` ${what}` : ''}`;
const atRegion: Where = (_, label) => label;

function checkRange(
  index: BufferIndex,
  where: Where,
  task: number,
  label: string,
  what: string,
  rank: number,
  buffer: string,
  offset: number,
  count: number,
): void {
  if (!Number.isInteger(rank) || rank < 0 || rank >= index.ranks) {
    throw new PlanError(
      `${where(task, label, what)}: rank ${rank} is outside 0..${index.ranks - 1}`,
    );
  }
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new PlanError(`${where(task, label, what)}: count ${count} must be a whole number >= 0`);
  }
  const size = index.size(rank, buffer);
  if (size < 0) {
    throw new PlanError(`${where(task, label, what)}: rank ${rank} has no buffer '${buffer}'`);
  }
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + count > size) {
    throw new PlanError(
      `${where(task, label, what)}: ${buffer}[${offset}..${offset + count}) of rank ${rank} is outside its ${size} elements`,
    );
  }
}

function checkTask(graph: Graph, index: BufferIndex, task: Task, i: number): void {
  if (task.id !== i)
    throw new PlanError(`${atTask(i, task.label, '')}: id ${task.id} is not its position ${i}`);
  if (!(STREAMS as readonly string[]).includes(task.stream)) {
    throw new PlanError(
      `${atTask(i, task.label, '')}: stream '${task.stream}' is not one of ${STREAMS.join(', ')}`,
    );
  }
  let last = -1;
  for (const d of task.deps) {
    if (!Number.isInteger(d) || d < 0 || d >= i) {
      throw new PlanError(
        `${atTask(i, task.label, '')}: depends on task ${d}, which is not an earlier task`,
      );
    }
    if (d <= last)
      throw new PlanError(
        `${atTask(i, task.label, '')}: dependencies must be sorted, without repeats`,
      );
    last = d;
  }
  if (task.kind === 'move') {
    if (task.op !== 'copy' && task.op !== 'reduce') {
      throw new PlanError(
        `${atTask(i, task.label, '')}: op '${task.op}' is neither copy nor reduce`,
      );
    }
    const { src, dst, count, label } = task;
    checkRange(index, atTask, i, label, 'src', src.rank, src.buffer, src.offset, count);
    checkRange(index, atTask, i, label, 'dst', dst.rank, dst.buffer, dst.offset, count);
    if (task.rank !== task.src.rank && task.rank !== task.dst.rank) {
      throw new PlanError(
        `${atTask(i, task.label, '')}: rank ${task.rank} is neither end of the move`,
      );
    }
    const srcType = graph.buffers[index.index(task.src.rank, task.src.buffer)]?.dtype;
    const dstType = graph.buffers[index.index(task.dst.rank, task.dst.buffer)]?.dtype;
    if (srcType !== graph.dtype || dstType !== graph.dtype) {
      throw new PlanError(
        `${atTask(i, task.label, '')}: moves ${srcType} to ${dstType}, the graph moves ${graph.dtype}`,
      );
    }
    return;
  }
  const op = task.kernel;
  if (op.rank !== task.rank) {
    throw new PlanError(
      `${atTask(i, task.label, '')}: its kernel runs on rank ${op.rank}, the task on ${task.rank}`,
    );
  }
  const operands = kernelOperands(op);
  for (const { name, region, count } of operands) {
    if (!region) {
      throw new PlanError(`${atTask(i, task.label, '')}: ${op.kernel} is given no ${name}`);
    }
    if (region.count !== count) {
      throw new PlanError(
        `${atTask(i, task.label, '')}: ${op.kernel} ${name} holds ${region.count} elements, its shape needs ${count}`,
      );
    }
    checkRange(
      index,
      atTask,
      i,
      task.label,
      name,
      task.rank,
      region.buffer,
      region.offset,
      region.count,
    );
    const b = graph.buffers[index.index(task.rank, region.buffer)];
    if (b?.dtype !== 'float')
      throw new PlanError(`${atTask(i, task.label, '')}: kernels run on float, not ${b?.dtype}`);
  }
}

/** Whether `earlier` is reachable backwards from `task` through dependencies. */
class Reach {
  private readonly seen: Int32Array;
  private stamp = 0;
  private readonly stack: number[] = [];

  constructor(private readonly tasks: readonly Task[]) {
    this.seen = new Int32Array(tasks.length);
  }

  ordered(earlier: number, task: number): boolean {
    const t = this.tasks[task] as Task;
    if (t.deps.includes(earlier)) return true;
    this.stamp++;
    const { stack, seen } = this;
    stack.length = 0;
    stack.push(task);
    while (stack.length > 0) {
      const at = stack.pop() as number;
      for (const d of (this.tasks[at] as Task).deps) {
        if (d === earlier) return true;
        // Ids are a topological order: nothing listed before `earlier` can lead to it.
        if (d > earlier && seen[d] !== this.stamp) {
          seen[d] = this.stamp;
          stack.push(d);
        }
      }
    }
    return false;
  }
}

export function validateGraph(graph: Graph): void {
  const index = checkBuffers(graph);
  for (const side of ['input', 'output'] as const) {
    const regions = graph[side];
    if (regions.length !== graph.ranks) {
      throw new PlanError(`${side} lists ${regions.length} ranks, not ${graph.ranks}`);
    }
    regions.forEach((g, r) => {
      checkRange(index, atRegion, r, `${side} of rank ${r}`, '', r, g.buffer, g.offset, g.count);
    });
  }
  graph.tasks.forEach((task, i) => {
    checkTask(graph, index, task, i);
  });
  const reach = new Reach(graph.tasks);
  const chains = new RankChains(graph.ranks, graph.tasks.length);
  const board = new Scoreboard();
  const accesses = new Accesses(index);
  const conflicts: number[] = [];
  graph.tasks.forEach((task, i) => {
    chains.add(task);
    const a = accesses.of(task);
    checkOwnOverlaps(task, a);
    for (let k = 0; k < a.length; k++) {
      conflicts.length = 0;
      board.access(
        a.buffer[k] as number,
        a.start[k] as number,
        a.end[k] as number,
        i,
        a.write[k] as boolean,
        conflicts,
      );
      const b = graph.buffers[a.buffer[k] as number];
      for (const earlier of conflicts) {
        const e = graph.tasks[earlier] as Task;
        if (chains.proves(e, task, b?.rank ?? -1) || reach.ordered(earlier, i)) continue;
        throw new PlanError(
          `tasks ${earlier} and ${i} may run at once and both touch ${b?.name} of rank ` +
            `${b?.rank} in [${a.start[k]}..${a.end[k]}), one writing it: add a dependency`,
        );
      }
    }
  });
}

/**
 * A task may not write over what it reads: a move's source and destination never overlap (a
 * reduce reads its destination, element by element, before it writes it), and a kernel's
 * output overlaps no input or other output, except where the kernel says an output may be one
 * input exactly (in place: bias-gelu's y = x, element-wise).
 */
function checkOwnOverlaps(task: Task, accesses: Accesses): void {
  if (task.kind === 'move') {
    // Access 0 is the source read, the last one the destination written.
    const last = accesses.length - 1;
    const { start, end } = accesses;
    const overlap =
      (start[0] as number) < (end[last] as number) && (start[last] as number) < (end[0] as number);
    if (accesses.buffer[0] === accesses.buffer[last] && overlap) {
      throw new PlanError(`task ${task.id} (${task.label}): reads and writes overlapping ranges`);
    }
    return;
  }
  const operands = kernelOperands(task.kernel);
  operands.forEach((out, i) => {
    if (!out.write || out.region.count === 0) return;
    operands.forEach((o, j) => {
      if (i === j || (o.write && j < i) || o.region.count === 0) return;
      if (o.region.buffer !== out.region.buffer) return;
      const inPlace =
        out.inPlaceOf === o.name &&
        o.region.offset === out.region.offset &&
        o.region.count === out.region.count;
      const hit =
        o.region.offset < out.region.offset + out.region.count &&
        out.region.offset < o.region.offset + o.region.count;
      if (hit && !inPlace) {
        throw new PlanError(
          `task ${task.id} (${task.label}): ${task.kernel.kernel} writes ${out.name} over its ${o.write ? 'output' : 'input'} ${o.name}`,
        );
      }
    });
  });
}
