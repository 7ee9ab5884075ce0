// A lock-step plan (steps of concurrent ops) as a graph of tasks. Builders still think in
// steps; this turns each op into a move on its receiver's comm stream and each kernel into a
// task on its rank's compute stream, and gives every task the dependencies its data needs: the
// last writer of what it reads, and the last writer and readers of what it writes (a
// scoreboard, src/plans/scoreboard.ts). A step's ops are hazard-free (validatePlan), so no op
// depends on another of its own step, and any order that keeps these dependencies computes what
// the steps compute.
//
// Why data dependencies and not "every task of the step before that touches my ranks": they are
// what a real device waits for (a rank whose chunk has arrived sends it on, whatever else its
// neighbours still do), so the pricer sees the overlap a plan really allows, and a dense step
// (every rank to every rank) does not give each of its tasks a dependency on all of the last.

import { Accesses, BufferIndex } from './accesses.ts';
import type { BufferSpec, Graph, PlanInfo, Task } from './graph.ts';
import type { BufferName, Plan } from './plan.ts';
import { Scoreboard } from './scoreboard.ts';

const BUFFERS: readonly BufferName[] = ['send', 'recv'];

/** Every rank's send and recv, with the plan's sizes. */
export function buffersOf(plan: Plan): BufferSpec[] {
  const out: BufferSpec[] = [];
  for (let rank = 0; rank < plan.ranks; rank++) {
    for (const name of BUFFERS) {
      out.push({ name, rank, dtype: plan.dtype, count: plan.sizes[name][rank] ?? 0 });
    }
  }
  return out;
}

export function infoOf(plan: Plan): PlanInfo {
  if (plan.collective === 'tensor-parallel') {
    if (!plan.layer) throw new RangeError('a tensor-parallel plan without its layer');
    return { kind: 'tensor-parallel', algorithm: plan.algorithm, layer: plan.layer };
  }
  return {
    kind: 'collective',
    collective: plan.collective,
    algorithm: plan.algorithm,
    count: plan.count,
    root: plan.root,
    inPlace: plan.inPlace,
  };
}

/** The plan's steps as tasks with data dependencies; `stepOf[id]` is each task's step. */
export function graphOf(plan: Plan): Graph & { readonly stepOf: Int32Array } {
  const buffers = buffersOf(plan);
  const index = new BufferIndex(plan.ranks, buffers);
  const board = new Scoreboard();
  const accesses = new Accesses(index);
  const conflicts: number[] = [];
  const tasks: Task[] = [];
  // Sized up front: a 1024-rank ring has two million tasks, too many to grow an array for.
  let total = 0;
  for (const step of plan.steps) total += step.ops.length + (step.kernels?.length ?? 0);
  const stepOf = new Int32Array(total);
  // The dependencies of the task about to be listed, in an array of their exact size (a
  // 1024-rank ring has two million of them, so growing each by push would cost its GC time).
  const depsOf = (a: Accesses): number[] => {
    const id = tasks.length;
    conflicts.length = 0;
    for (let i = 0; i < a.length; i++) {
      const write = a.write[i] as boolean;
      board.access(
        a.buffer[i] as number,
        a.start[i] as number,
        a.end[i] as number,
        id,
        write,
        conflicts,
      );
    }
    if (conflicts.length > 1) conflicts.sort((x, y) => x - y);
    // Drop repeats in place, then copy out exactly that many.
    let kept = 0;
    for (let i = 0; i < conflicts.length; i++) {
      const c = conflicts[i] as number;
      if (kept === 0 || c !== conflicts[kept - 1]) conflicts[kept++] = c;
    }
    return conflicts.slice(0, kept);
  };
  plan.steps.forEach((step, s) => {
    for (const op of step.ops) {
      const deps = depsOf(accesses.move(op.src, op.dst, op.count, op.kind === 'reduce'));
      tasks.push({
        kind: 'move',
        id: tasks.length,
        rank: op.dst.rank,
        stream: 'comm',
        deps,
        label: step.phase,
        src: op.src,
        dst: op.dst,
        count: op.count,
        op: op.kind,
        chunk: op.chunk,
      });
      stepOf[tasks.length - 1] = s;
    }
    for (const kernel of step.kernels ?? []) {
      const deps = depsOf(accesses.kernel(kernel.rank, kernel));
      const id = tasks.length;
      tasks.push({
        kind: 'kernel',
        id,
        rank: kernel.rank,
        stream: 'compute',
        deps,
        label: step.phase,
        kernel,
      });
      stepOf[id] = s;
    }
  });
  return {
    ranks: plan.ranks,
    buffers,
    tasks,
    dtype: plan.dtype,
    redop: plan.redop,
    input: plan.input,
    output: plan.output,
    info: infoOf(plan),
    stepOf,
  };
}
