// Tensor-parallel plans on the GPU: every layout x collective x ranks {1, 2, 3, 4, 8} against
// the CPU interpreter of the same plan and against the unsharded layer. Integer inputs make
// every sum exact, so column and row plans must match both bit for bit; float inputs must lie
// within the tolerance derived in src/exec/tensor-parallel/reference.ts.
import { describe, expect, it } from 'vitest';
import { GpuExecutor } from '../../src/exec/executor/steps.ts';
import { cloneBuffers, interpret, type RankBuffers } from '../../src/exec/interpreter/steps.ts';
import { layerReference } from '../../src/exec/tensor-parallel/reference.ts';
import { gatherTensor, layerInputs, scatterInputs } from '../../src/exec/tensor-parallel/shards.ts';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { nodeShaders } from '../../src/gpu/shaders-node.ts';
import { LAYOUTS, type LayerInfo, type Plan } from '../../src/plans/plan.ts';
import {
  LAYOUT_COMMS,
  type TensorParallelSpec,
  tensorParallel,
} from '../../src/plans/tensor-parallel.ts';
import { resultViews } from '../../src/run/tp-measure.ts';
import { testContext } from './context.ts';

const RANKS = [1, 2, 3, 4, 8];

/** Elements of every view of the result outside the reference's tolerance (NaN counts). */
function outside(plan: Plan, buffers: RankBuffers, want: Float32Array, tol: Float64Array) {
  let wrong = 0;
  for (const ranks of resultViews(plan)) {
    const got = gatherTensor(plan, buffers, 'Y', ranks);
    for (let i = 0; i < want.length; i++) {
      if (!(Math.abs((got[i] as number) - (want[i] as number)) <= (tol[i] as number))) wrong++;
    }
  }
  return wrong;
}

function bitsEqual(plan: Plan, got: RankBuffers, want: RankBuffers): boolean {
  for (const ranks of resultViews(plan)) {
    const a = gatherTensor(plan, got, 'Y', ranks);
    const b = gatherTensor(plan, want, 'Y', ranks);
    const ua = new Uint32Array(a.buffer);
    const ub = new Uint32Array(b.buffer);
    if (!ua.every((v, i) => v === ub[i])) return false;
  }
  return true;
}

describe('tensor-parallel plans on the GPU', async () => {
  const ctx = await testContext();
  const cache = new PipelineCache(ctx);

  async function runOnGpu(plan: Plan, input: RankBuffers) {
    const exec = new GpuExecutor(ctx, nodeShaders, plan, undefined, cache);
    try {
      await exec.prepare();
      exec.upload(input);
      await exec.run();
      const got = await exec.download();
      const kernels = await exec.timeKernels();
      return { got, kernels };
    } finally {
      exec.destroy();
    }
  }

  const cases: TensorParallelSpec[] = [];
  for (const layout of LAYOUTS) {
    for (const comm of LAYOUT_COMMS[layout]) {
      for (const ranks of RANKS) {
        // Attention: 24 heads of 2, split by every rank count here.
        const shape = layout === 'attention' ? { m: 24, k: 48, n: 24 } : { m: 24, k: 24, n: 48 };
        cases.push({ layout, comm, ranks, ...shape });
      }
    }
  }

  it.each(cases.map((c) => [`${c.layout} ${c.comm}, ${c.ranks} ranks`, c] as const))(
    '%s: float inputs within tolerance of the unsharded layer and of the interpreter',
    async (_, spec) => {
      const plan = tensorParallel(spec);
      const tensors = layerInputs(plan.layer as LayerInfo, 11 + spec.ranks);
      const input = scatterInputs(plan, tensors);
      const { got, kernels } = await runOnGpu(plan, input);
      const ref = layerReference(plan.layer as LayerInfo, tensors);
      expect(outside(plan, got, ref.result, ref.tolerance)).toBe(0);
      // The interpreter's result obeys the same bound; GPU and interpreter are within twice it.
      const cpu = interpret(plan, cloneBuffers(input));
      const twice = ref.tolerance.map((t) => 2 * t);
      expect(outside(plan, got, gatherTensor(plan, cpu, 'Y', resultViews(plan)[0]), twice)).toBe(0);
      // Every rank ran each kernel step, timed on its own.
      plan.steps.forEach((step, s) => {
        for (let r = 0; r < plan.ranks; r++) {
          const t = kernels[s]?.[r] as number;
          if (step.kernels?.length) expect(t).toBeGreaterThan(0);
          else expect(t).toBeNaN();
        }
      });
    },
  );

  it.each(
    cases
      .filter((c) => c.layout === 'column' || c.layout === 'row')
      .map((c) => [`${c.layout} ${c.comm}, ${c.ranks} ranks`, c] as const),
  )(
    '%s: integer inputs equal the interpreter and the unsharded layer bit for bit',
    async (_, spec) => {
      const plan = tensorParallel(spec);
      const tensors = layerInputs(plan.layer as LayerInfo, 5 + spec.ranks, 'integer');
      const input = scatterInputs(plan, tensors);
      const { got } = await runOnGpu(plan, input);
      expect(bitsEqual(plan, got, interpret(plan, cloneBuffers(input)))).toBe(true);
      const ref = layerReference(plan.layer as LayerInfo, tensors);
      const exact = new Float64Array(ref.result.length);
      expect(outside(plan, got, ref.result, exact)).toBe(0);
    },
  );

  it.each([
    { layout: 'column', ranks: 2, m: 5, k: 7, n: 6 },
    { layout: 'column', ranks: 3, m: 4, k: 7, n: 9, comm: 'allgather' },
    { layout: 'row', ranks: 2, m: 5, k: 6, n: 7 },
    { layout: 'mlp', ranks: 2, m: 5, k: 7, n: 6 },
    { layout: 'mlp', ranks: 3, m: 33, k: 17, n: 99 },
    { layout: 'attention', ranks: 3, m: 17, k: 15, n: 3 },
    { layout: 'attention', ranks: 2, m: 70, k: 40, n: 2 },
  ] as TensorParallelSpec[])('ragged shards at odd offsets: %o', async (spec) => {
    const plan = tensorParallel(spec);
    const tensors = layerInputs(plan.layer as LayerInfo, 3);
    const { got } = await runOnGpu(plan, scatterInputs(plan, tensors));
    const ref = layerReference(plan.layer as LayerInfo, tensors);
    expect(outside(plan, got, ref.result, ref.tolerance)).toBe(0);
  });
});
