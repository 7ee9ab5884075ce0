// The CPU interpreter: runs a plan on typed arrays, step by step, op by op. It is the reference
// semantics of every plan and the oracle of the GPU executor (validatePlan guarantees that the
// op order inside a step does not matter, so both compute the same bits).

import type { KernelCall } from '../../kernels/kernel.ts';
import { kernelFor } from '../../kernels/registry.ts';
import { DTYPE_INFO, type ElementArray } from '../../plans/dtype.ts';
import { applyElementwise } from '../../plans/elementwise.ts';
import type { BufferName, Plan } from '../../plans/plan.ts';
import type { RegionLike } from '../../plans/validate.ts';

/** Each rank's buffers: buffers[rank].send, buffers[rank].recv. */
export type RankBuffers = Record<BufferName, ElementArray>[];

/** Zeroed buffers of the plan's sizes. */
export function allocateBuffers(plan: Plan): RankBuffers {
  const { create } = DTYPE_INFO[plan.dtype];
  return Array.from({ length: plan.ranks }, (_, r) => ({
    send: create(plan.sizes.send[r] ?? 0),
    recv: create(plan.sizes.recv[r] ?? 0),
  }));
}

/** Deep copy, so a caller can keep the input beside the result. */
export function cloneBuffers(buffers: RankBuffers): RankBuffers {
  return buffers.map((b) => ({ send: b.send.slice(), recv: b.recv.slice() }));
}

/**
 * Runs steps [from, to) of `plan` on `buffers`, in place. `afterStep` sees the buffers after
 * each step (the view and the worked-example tests read them there).
 */
export function interpret(
  plan: Plan,
  buffers: RankBuffers,
  afterStep?: (step: number, buffers: RankBuffers) => void,
  from = 0,
  to = plan.steps.length,
): RankBuffers {
  for (let s = from; s < to; s++) {
    for (const op of (plan.steps[s] as Plan['steps'][number]).ops) {
      const src = (buffers[op.src.rank] as RankBuffers[number])[op.src.buffer];
      const dst = (buffers[op.dst.rank] as RankBuffers[number])[op.dst.buffer];
      applyElementwise(
        op.kind === 'copy' ? 'copy' : plan.redop,
        dst,
        src,
        op.count,
        op.dst.offset,
        op.src.offset,
      );
    }
    // Kernels read only what no op of the step writes (validatePlan), so order is free.
    for (const kernel of (plan.steps[s] as Plan['steps'][number]).kernels ?? []) {
      runKernel(kernel, buffers[kernel.rank] as RankBuffers[number]);
    }
    afterStep?.(s, buffers);
  }
  return buffers;
}

/**
 * A kernel on the CPU: its oracle from the registry (src/kernels/), reading its inputs where they
 * lie and writing its results there. The GPU's kernels round differently (fma, tanh), so GPU
 * tests compare a plan with kernels within those oracles' tolerances, bit for bit only on
 * integer data. Scratch operands are left as they were: working space, not results.
 */
export function runKernel<G extends RegionLike>(
  op: KernelCall<G>,
  own: Readonly<Record<string, ElementArray>>,
): void {
  const view = (g: G) => (own[g.buffer] as ElementArray).subarray(g.offset, g.offset + g.count);
  const inputs: Record<string, ElementArray> = {};
  for (const [name, g] of Object.entries(op.operands)) inputs[name] = view(g);
  const results = kernelFor(op.kernel).oracle(op.params, inputs);
  for (const [name, values] of Object.entries(results)) {
    view(op.operands[name] as G).set(values);
  }
}
