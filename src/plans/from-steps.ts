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
  const builder = new GraphBuilder(plan.ranks, plan.dtype, plan.redop);
  for (const b of buffersOf(plan)) builder.buffer(b.rank, b.name, b.count, b.dtype);
  const stepOf: number[] = [];
  plan.steps.forEach((step, s) => {
    for (const op of step.ops) {
      builder.move({
        src: op.src,
        dst: op.dst,
        count: op.count,
        op: op.kind,
        chunk: op.chunk,
        label: step.phase,
      });
      stepOf.push(s);
    }
    for (const kernel of step.kernels ?? []) {
      builder.kernel({ kernel, label: step.phase });
      stepOf.push(s);
    }
  });
  const graph = builder.build(infoOf(plan), plan.input, plan.output);
  return { ...graph, stepOf: Int32Array.from(stepOf) };
}
