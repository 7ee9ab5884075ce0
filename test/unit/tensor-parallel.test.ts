// Tensor-parallel plans without a GPU: every layout x collective x ranks {1, 2, 3, 4, 8} is a
// valid plan whose CPU interpretation equals the unsharded layer (bit for bit on integers,
// within the derived tolerance on floats); the shards tile every matrix; bad shapes fail with
// a RangeError naming the value and the rule.
import { describe, expect, it } from 'vitest';
import { cloneBuffers, interpret } from '../../src/exec/interpreter/steps.ts';
import { layerReference } from '../../src/exec/tensor-parallel/reference.ts';
import { gatherTensor, layerInputs, scatterInputs } from '../../src/exec/tensor-parallel/shards.ts';
import { LAYOUTS, type LayerInfo, type Plan, type Region } from '../../src/plans/plan.ts';
import {
  LAYOUT_COMMS,
  type TensorParallelSpec,
  tensorParallel,
} from '../../src/plans/tensor-parallel.ts';
import { PlanError, validatePlan } from '../../src/plans/validate.ts';
import { resultViews } from '../../src/run/tp-measure.ts';

const RANKS = [1, 2, 3, 4, 8];
// Attention: n = 24 heads of k / n = 2, so every rank count here splits the heads.
const CASES: TensorParallelSpec[] = LAYOUTS.flatMap((layout) =>
  LAYOUT_COMMS[layout].flatMap((comm) =>
    RANKS.map((ranks) =>
      layout === 'attention'
        ? { layout, comm, ranks, m: 24, k: 48, n: 24 }
        : { layout, comm, ranks, m: 24, k: 24, n: 48 },
    ),
  ),
);
const name = (s: TensorParallelSpec) => `${s.layout} ${s.comm}, ${s.ranks} ranks`;

function worstOver(
  plan: Plan,
  buffers: ReturnType<typeof interpret>,
  want: Float32Array,
  tol: Float64Array,
) {
  let worst = 0;
  for (const ranks of resultViews(plan)) {
    const got = gatherTensor(plan, buffers, 'Y', ranks);
    for (let i = 0; i < want.length; i++) {
      const e = Math.abs((got[i] as number) - (want[i] as number));
      worst = Math.max(worst, Number.isNaN(e) ? Number.POSITIVE_INFINITY : e / (tol[i] as number));
    }
  }
  return worst;
}

describe('tensor-parallel plans', () => {
  it.each(CASES.map((c) => [name(c), c] as const))(
    '%s is valid and tiles its matrices',
    (_, spec) => {
      const plan = tensorParallel(spec);
      validatePlan(plan);
      const layer = plan.layer as LayerInfo;
      // Every input element lives on at least one rank; split tensors exactly once over ranks.
      for (const tensor of layer.inputs) {
        const [rows, cols] = layer.tensors[tensor] as readonly [number, number];
        const seen = new Uint8Array(rows * cols);
        for (const s of layer.shards.filter((x) => x.tensor === tensor)) {
          for (let i = 0; i < s.rows; i++)
            for (let j = 0; j < s.cols; j++) {
              const at = (s.row0 + i) * cols + s.col0 + j;
              seen[at] = (seen[at] as number) + 1;
            }
        }
        const replicated = tensor === 'X' && spec.layout !== 'row';
        expect(seen.every((v) => v === (replicated ? spec.ranks : 1))).toBe(true);
      }
      // Kernel steps come first, the same kernels on every rank (three projections at once in
      // attention's first step); the collective follows.
      const kernelSteps = plan.steps.filter((s) => s.kernels?.length);
      expect(kernelSteps.length).toBe(spec.layout === 'column' || spec.layout === 'row' ? 1 : 3);
      for (const s of kernelSteps) {
        const each = s.phase === 'Q, K, V projections' ? 3 : 1;
        expect(s.kernels?.map((k) => k.rank)).toEqual(
          [...Array(spec.ranks).keys()].flatMap((r) => Array(each).fill(r)),
        );
      }
    },
  );

  it.each(CASES.map((c) => [name(c), c] as const))(
    '%s interpreted equals the unsharded layer',
    (_, spec) => {
      const plan = tensorParallel(spec);
      const layer = plan.layer as LayerInfo;
      const floats = layerInputs(layer, 3 + spec.ranks);
      const ref = layerReference(layer, floats);
      expect(
        worstOver(plan, interpret(plan, scatterInputs(plan, floats)), ref.result, ref.tolerance),
      ).toBeLessThanOrEqual(1);
      if (spec.layout === 'column' || spec.layout === 'row') {
        const ints = layerInputs(layer, 9, 'integer');
        const exact = layerReference(layer, ints);
        const got = interpret(plan, cloneBuffers(scatterInputs(plan, ints)));
        expect(
          worstOver(
            plan,
            got,
            exact.result,
            new Float64Array(exact.result.length).fill(Number.MIN_VALUE),
          ),
        ).toBeLessThanOrEqual(0);
      }
    },
  );

  it('the row-parallel plan moves exactly a ring AllReduce of M x N2 floats', () => {
    const plan = tensorParallel({ layout: 'row', ranks: 4, m: 8, k: 16, n: 32 });
    const moved = plan.steps.flatMap((s) => s.ops).reduce((t, op) => t + op.count, 0);
    // Ring: 2 (N - 1) steps, each rank sending 1/N of the buffer.
    expect(moved).toBe(2 * 3 * 4 * ((8 * 32) / 4));
    expect(plan.layer?.comm).toEqual({ collective: 'allreduce', algorithm: 'ring' });
  });

  it('a column-parallel plan with no all-gather has no communication at all', () => {
    const plan = tensorParallel({ layout: 'column', ranks: 8, m: 4, k: 8, n: 64 });
    expect(plan.steps.flatMap((s) => s.ops)).toEqual([]);
    expect(plan.layer?.comm).toBeNull();
  });

  it.each([
    [
      { layout: 'row', ranks: 3, m: 4, k: 8, n: 8 },
      /k = 8 over 3 ranks: k must be a multiple of 3/,
    ],
    [{ layout: 'column', ranks: 4, m: 4, k: 8, n: 6 }, /n = 6 over 4 ranks/],
    [{ layout: 'mlp', ranks: 8, m: 4, k: 8, n: 12 }, /n = 12 over 8 ranks/],
    [
      { layout: 'row', ranks: 4, m: 6, k: 8, n: 8, comm: 'reducescatter' },
      /m = 6 must be a multiple of 4/,
    ],
    [
      { layout: 'column', ranks: 2, m: 4, k: 8, n: 8, comm: 'allreduce' },
      /ends in none or allgather, not allreduce/,
    ],
    [
      { layout: 'row', ranks: 2, m: 4, k: 8, n: 8, algorithm: 'bogus' },
      /no algorithm 'bogus' for allreduce/,
    ],
    [
      { layout: 'diagonal', ranks: 2, m: 4, k: 8, n: 8 },
      /layout 'diagonal' is not one of column, row, mlp/,
    ],
    [{ layout: 'row', ranks: 0, m: 4, k: 8, n: 8 }, /ranks 0 must be a whole number from 1 to 64/],
    [{ layout: 'row', ranks: 2, m: 0, k: 8, n: 8 }, /m 0 must be a whole number from 1 to 65536/],
    [{ layout: 'row', ranks: 2, m: 4, k: 8, n: 1.5 }, /n 1.5 must be a whole number/],
    [
      { layout: 'column', ranks: 3, m: 5, k: 8, n: 9, comm: 'allgather' },
      /each rank's part, 15 elements, must be a multiple of 4/,
    ],
  ])('rejects %o', (spec, message) => {
    expect(() => tensorParallel(spec as TensorParallelSpec)).toThrow(RangeError);
    expect(() => tensorParallel(spec as TensorParallelSpec)).toThrow(message);
  });

  it('any registry algorithm can carry the partial sums', () => {
    for (const algorithm of ['ring', 'tree', 'rhd', 'dbtree', 'direct']) {
      const plan = tensorParallel({ layout: 'mlp', ranks: 4, m: 8, k: 8, n: 16, algorithm });
      validatePlan(plan);
      const t = layerInputs(plan.layer as LayerInfo, 1);
      const ref = layerReference(plan.layer as LayerInfo, t);
      expect(
        worstOver(plan, interpret(plan, scatterInputs(plan, t)), ref.result, ref.tolerance),
      ).toBeLessThanOrEqual(1);
    }
  });
});

describe('validatePlan on kernel ops', () => {
  const plan = tensorParallel({ layout: 'row', ranks: 2, m: 4, k: 8, n: 8 });
  const first = plan.steps[0] as Plan['steps'][number];
  const kernel = first.kernels?.[0];
  if (kernel?.kernel !== 'matmul') throw new Error('the row plan starts with a matmul');
  const withKernel = (k: unknown): Plan => ({
    ...plan,
    steps: [{ ...first, kernels: [k as typeof kernel] }],
  });
  const withOperand = (name: string, change: Partial<Region>) => ({
    ...kernel,
    operands: { ...kernel.operands, [name]: { ...(kernel.operands[name] as Region), ...change } },
  });

  it('rejects a region whose size does not match the shape', () => {
    expect(() =>
      validatePlan(withKernel({ ...kernel, params: { ...kernel.params, m: 5 } })),
    ).toThrow(/a holds 16 elements, its shape needs 20/);
  });
  it('rejects an output over an input', () => {
    expect(() => validatePlan(withKernel(withOperand('c', { buffer: 'send', offset: 0 })))).toThrow(
      PlanError,
    );
  });
  it('rejects two kernels of a step writing the same range', () => {
    const p: Plan = {
      ...plan,
      steps: [{ ...first, kernels: [kernel, { ...kernel }] }],
    };
    expect(() => validatePlan(p)).toThrow(/touch 0:recv/);
  });
  it('rejects a kernel on an int32 plan', () => {
    expect(() => validatePlan({ ...withKernel(kernel), dtype: 'int32' })).toThrow(
      /kernels run on float/,
    );
  });
  it('rejects a region outside the rank buffer', () => {
    expect(() => validatePlan(withKernel(withOperand('b', { offset: 1e6 })))).toThrow(
      /outside its/,
    );
  });
});
