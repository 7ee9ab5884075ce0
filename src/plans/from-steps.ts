// A lock-step plan (steps of concurrent ops) as a graph of tasks. Builders still think in
// steps; this turns each op into a move on its receiver's comm stream and each kernel into a
// task on its rank's compute stream, in program order: a task depends on the tasks of the
// latest earlier step that touched any of its ranks. That is how a rank runs a schedule (its
// step s after its step s - 1, whatever other ranks still do), and it keeps what a builder
// sequenced on purpose: a binomial tree's root sends to one child a step, not to all at once.
// It also orders every data conflict: two tasks of different steps that touch the same
// elements touch the same rank, and the chain of that rank's steps runs from one to the other
// (and a step's ops are hazard-free, validatePlan), so any order that keeps these dependencies
// computes what the steps compute. So no data dependencies are added (program order implies
// them, and skipping the scoreboard halves the time of a 1024-rank ring); validateGraph checks
// every conflict against the ranks' chains of program order (src/plans/rank-chains.ts).
import type { BufferSpec, Graph, PlanInfo } from './graph.ts';
import { GraphBuilder } from './graph-builder.ts';
import type { BufferName, Plan } from './plan.ts';

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
  if (plan.collective === 'training') {
    if (!plan.training) throw new RangeError('a training plan without its step');
    return { kind: 'training', algorithm: plan.algorithm, training: plan.training };
  }
  if (plan.collective === 'moe') {
    if (!plan.moe) throw new RangeError('a moe plan without its layer');
    return { kind: 'moe', algorithm: plan.algorithm, moe: plan.moe };
  }
  if (plan.collective === 'alltoallv') {
    if (!plan.exchange) throw new RangeError('an alltoallv plan without its counts');
    return { kind: 'alltoallv', algorithm: plan.algorithm, exchange: plan.exchange };
  }
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

/** Sorted a and b, merged without repeats. */
function union(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = i < a.length ? (a[i] as number) : Number.POSITIVE_INFINITY;
    const y = j < b.length ? (b[j] as number) : Number.POSITIVE_INFINITY;
    const next = Math.min(x, y);
    if (x === next) i++;
    if (y === next) j++;
    out.push(next);
  }
  return out;
}

/** The plan's steps as tasks in program order; `stepOf[id]` is each task's step. */
export function graphOf(plan: Plan): Graph & { readonly stepOf: Int32Array } {
  const builder = new GraphBuilder(plan.ranks, plan.dtype, plan.redop);
  for (const b of buffersOf(plan)) builder.buffer(b.rank, b.name, b.count, b.dtype);
  // Sized up front: a 1024-rank ring has two million tasks, too many to grow an array for.
  let total = 0;
  for (const step of plan.steps) total += step.ops.length + (step.kernels?.length ?? 0);
  const stepOf = new Int32Array(total);
  // The tasks of the latest step that touched each rank, and of this step so far: two arrays
  // a rank, swapped after each step it is touched in (a 1024-rank ring would otherwise make two
  // million short-lived arrays for the garbage collector).
  const last: number[][] = Array.from({ length: plan.ranks }, () => []);
  const now: number[][] = Array.from({ length: plan.ranks }, () => []);
  const touched: number[] = [];
  const touch = (rank: number, id: number) => {
    const ids = now[rank] as number[];
    if (ids.length === 0) touched.push(rank);
    ids.push(id);
  };
  plan.steps.forEach((step, s) => {
    for (const op of step.ops) {
      const { src, dst } = op;
      const after =
        src.rank === dst.rank
          ? (last[src.rank] as number[])
          : union(last[src.rank] as number[], last[dst.rank] as number[]);
      const id = builder.move(
        { src, dst, count: op.count, op: op.kind, chunk: op.chunk, label: step.phase },
        after,
        false,
      );
      touch(src.rank, id);
      if (dst.rank !== src.rank) touch(dst.rank, id);
      stepOf[id] = s;
    }
    for (const kernel of step.kernels ?? []) {
      const id = builder.kernel({ kernel, label: step.phase }, last[kernel.rank], false);
      touch(kernel.rank, id);
      stepOf[id] = s;
    }
    for (const rank of touched) {
      const done = last[rank] as number[];
      last[rank] = now[rank] as number[];
      done.length = 0;
      now[rank] = done;
    }
    touched.length = 0;
  });
  const graph = builder.build(infoOf(plan), plan.input, plan.output);
  return { ...graph, stepOf };
}
