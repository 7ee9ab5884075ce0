// The CPU interpreter: runs a plan on typed arrays, step by step, op by op. It is the reference
// semantics of every plan and the oracle of the GPU executor (validatePlan guarantees that the
// op order inside a step does not matter, so both compute the same bits).

import { DTYPE_INFO, type ElementArray } from '../plans/dtype.ts';
import { applyElementwise } from '../plans/elementwise.ts';
import type { BufferName, KernelOp, Plan, Region } from '../plans/plan.ts';
import { attentionCpu } from './cpu-attention.ts';
import { biasGeluCpu } from './cpu-bias-gelu.ts';
import { matmulCpu } from './cpu-matmul.ts';

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
 * A kernel on the CPU: the matmul, bias-GeLU and attention oracles (src/exec/cpu-matmul.ts,
 * cpu-bias-gelu.ts, cpu-attention.ts). The GPU's kernels round differently (fma, tanh), so GPU tests compare a
 * plan with kernels within those oracles' tolerances, bit for bit only on integer data.
 */
export function runKernel(op: KernelOp, own: RankBuffers[number]): void {
  const view = (g: Region) => own[g.buffer].subarray(g.offset, g.offset + g.count);
  if (op.kernel === 'matmul') {
    view(op.c).set(matmulCpu(view(op.a), view(op.b), op.m, op.k, op.n));
  } else if (op.kernel === 'attention') {
    // One sequence, token t attending to 0..t. The scores scratch is left as it was: it is
    // working space, not a result.
    const { tokens, heads, headDim } = op;
    const rows = Array.from({ length: tokens }, (_, pos) => ({ seq: 0, pos }));
    const kv = {
      keys: view(op.k) as Float32Array,
      values: view(op.v) as Float32Array,
      length: tokens,
    };
    const shape = { qHeads: heads, kvHeads: heads, headDim };
    view(op.out).set(attentionCpu(shape, [kv], rows, view(op.q) as Float32Array).out);
  } else {
    view(op.y).set(biasGeluCpu(view(op.x), view(op.bias), op.m, op.n));
  }
}
