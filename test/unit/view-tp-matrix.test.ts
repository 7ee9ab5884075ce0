// The tensor-parallel page's pure parts: blocks coloured by the shards' owners, the equation's
// layout, what each step reads and writes, captions, the CPU walk's result check, and the
// numbers of the scaling chart and the roofline figure.
import { describe, expect, it } from 'vitest';
import type { LayerInfo, Plan } from '../../src/plans/plan.ts';
import {
  LAYOUT_COMMS,
  type TensorParallelSpec,
  tensorParallel,
} from '../../src/plans/tensor-parallel.ts';
import type { TpRow } from '../../src/run/tp-sweep.ts';
import { describeStep } from '../../src/view/common/step-text.ts';
import {
  describeKernelStep,
  matrixLayout,
  stepFocus,
  tensorBlocks,
} from '../../src/view/tensor-parallel/matrix.ts';
import {
  rankChecks,
  resultBase,
  runTpOnCpu,
  tpInputs,
} from '../../src/view/tensor-parallel/run.ts';
import { rooflinePoints, scalingData, sweepRanks } from '../../src/view/tensor-parallel/scaling.ts';
import { DEFAULT_TP_STATE } from '../../src/view/tensor-parallel/state.ts';

const SPECS: TensorParallelSpec[] = [];
for (const layout of ['column', 'row', 'mlp'] as const) {
  for (const comm of LAYOUT_COMMS[layout]) {
    for (const ranks of [1, 2, 3, 4, 8]) {
      SPECS.push({ layout, comm, ranks, m: 24, k: 48, n: 96 });
    }
  }
}
const bump = (a: Uint8Array, i: number) => {
  a[i] = (a[i] ?? 0) + 1;
};
const at = <T>(xs: readonly T[], i: number) => xs[i] as T;
const name = (s: TensorParallelSpec) => `${s.layout} ${s.comm} ${s.ranks} ranks`;

describe('tensorBlocks', () => {
  it.each(SPECS.map((s) => [name(s), s] as const))(
    '%s: each rank-tensor covered exactly once by the blocks naming the rank',
    (_, spec) => {
      const layer = tensorParallel(spec).layer as LayerInfo;
      for (const tensor of Object.keys(layer.tensors)) {
        const [rows, cols] = layer.tensors[tensor] as readonly [number, number];
        const blocks = tensorBlocks(layer, tensor);
        // The blocks tile the matrix: every element in exactly one block.
        const cover = new Uint8Array(rows * cols);
        for (const b of blocks) {
          for (let i = b.row0; i < b.row0 + b.rows; i++) {
            for (let j = b.col0; j < b.col0 + b.cols; j++) bump(cover, i * cols + j);
          }
        }
        expect(cover.every((c) => c === 1)).toBe(true);
        // For each rank: the blocks naming it cover exactly its shards' elements, once each.
        for (let r = 0; r < spec.ranks; r++) {
          const held = new Uint8Array(rows * cols);
          for (const s of layer.shards.filter((x) => x.tensor === tensor && x.rank === r)) {
            for (let i = s.row0; i < s.row0 + s.rows; i++) {
              for (let j = s.col0; j < s.col0 + s.cols; j++) held[i * cols + j] = 1;
            }
          }
          const drawn = new Uint8Array(rows * cols);
          for (const b of blocks.filter((x) => x.ranks.includes(r))) {
            for (let i = b.row0; i < b.row0 + b.rows; i++) {
              for (let j = b.col0; j < b.col0 + b.cols; j++) bump(drawn, i * cols + j);
            }
          }
          expect(drawn).toEqual(held);
        }
      }
    },
  );

  it('a column-split W is one block a rank; a replicated X one block of every rank', () => {
    const layer = tensorParallel({ layout: 'column', ranks: 4, m: 8, k: 8, n: 16 })
      .layer as LayerInfo;
    expect(tensorBlocks(layer, 'W').map((b) => [b.col0, b.cols, b.ranks])).toEqual([
      [0, 4, [0]],
      [4, 4, [1]],
      [8, 4, [2]],
      [12, 4, [3]],
    ]);
    expect(tensorBlocks(layer, 'X')).toEqual([
      { row0: 0, col0: 0, rows: 8, cols: 8, ranks: [0, 1, 2, 3] },
    ]);
    expect(() => tensorBlocks(layer, 'W7')).toThrow(/no tensor 'W7'/);
  });
});

describe('matrixLayout', () => {
  it('attention: two lines (projections, then attention and output), none overlapping', () => {
    const layer = tensorParallel({ layout: 'attention', ranks: 4, m: 32, k: 64, n: 8 })
      .layer as LayerInfo;
    const { matrices, width, height } = matrixLayout(layer);
    expect(matrices.map((p) => p.tensor).sort()).toEqual(Object.keys(layer.tensors).sort());
    // In one line the ten matrices made a strip about ten times wider than high.
    expect(width / height).toBeLessThan(5);
    expect(new Set(matrices.map((p) => p.y)).size).toBeGreaterThanOrEqual(2);
    for (const [i, a] of matrices.entries()) {
      expect(a.x + a.w).toBeLessThanOrEqual(width + 1e-9);
      expect(a.y + a.h).toBeLessThanOrEqual(height + 1e-9);
      for (const b of matrices.slice(i + 1)) {
        const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
        expect(apart, `${a.tensor} and ${b.tensor}`).toBe(true);
      }
    }
  });

  it.each(['column', 'row', 'mlp'] as const)(
    '%s: matrices side by side, none overlapping',
    (layout) => {
      const layer = tensorParallel({ layout, ranks: 2, m: 1, k: 64, n: 128 }).layer as LayerInfo;
      const { matrices, width, height } = matrixLayout(layer);
      const names = matrices.map((p) => p.tensor).sort();
      expect(names).toEqual(Object.keys(layer.tensors).sort());
      for (const [i, a] of matrices.entries()) {
        expect(a.w).toBeGreaterThan(0);
        // A one-row X is still drawn at a visible height.
        expect(a.h).toBeGreaterThanOrEqual(0.08 * 128 - 1e-9);
        expect(a.x + a.w).toBeLessThanOrEqual(width + 1e-9);
        expect(a.y + a.h).toBeLessThanOrEqual(height + 1e-9);
        for (const b of matrices.slice(i + 1)) {
          const apart =
            a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
          expect(apart).toBe(true);
        }
      }
    },
  );
});

describe('stepFocus and captions', () => {
  const mlp = tensorParallel({ layout: 'mlp', ranks: 4, m: 32, k: 64, n: 128 });

  it('walks the MLP: H computed, then partial sums of Y, done after the all-reduce', () => {
    expect(stepFocus(mlp, 0)).toEqual({
      reads: [],
      writes: [],
      status: { X: 'input', W1: 'input', b1: 'input', W2: 'input', H: 'pending', Y: 'pending' },
    });
    expect(stepFocus(mlp, 1)).toMatchObject({ reads: ['X', 'W1'], writes: ['H'] });
    expect(stepFocus(mlp, 1).status.H).toBe('done');
    expect(stepFocus(mlp, 2)).toMatchObject({ reads: ['H', 'b1'], writes: ['H'] });
    expect(stepFocus(mlp, 3)).toMatchObject({ reads: ['H', 'W2'], writes: ['Y'] });
    expect(stepFocus(mlp, 3).status.Y).toBe('partial');
    expect(stepFocus(mlp, 4)).toMatchObject({ reads: ['Y'], writes: ['Y'] });
    expect(stepFocus(mlp, mlp.steps.length).status.Y).toBe('done');
  });

  it('captions say who multiplies what by what, with shapes', () => {
    expect(describeKernelStep(mlp, 0)).toBe(
      'step 1 of 9: matmul X W1, each of the 4 ranks multiplies X (32x64) by its W1 shard (64x32) into its H shard (32x32)',
    );
    expect(describeKernelStep(mlp, 1)).toMatch(
      /adds its b1 shard \(1x32\) to its H shard \(32x32\) and applies GeLU/,
    );
    expect(describeKernelStep(mlp, 2)).toBe(
      'step 3 of 9: matmul H W2, each of the 4 ranks multiplies its H shard (32x32) by its W2 shard (32x64): partial sums of all of Y (32x64); the all-reduce adds them',
    );
    expect(describeKernelStep(mlp, 3)).toBeUndefined();
    expect(describeStep(mlp, 3)).toMatch(/^step 4 of 9: reduce-scatter/);
    const column = tensorParallel({ layout: 'column', ranks: 2, m: 8, k: 8, n: 16 });
    expect(describeKernelStep(column, 0)).toMatch(
      /its column block of Y \(8x8\), no communication$/,
    );
    const one = tensorParallel({ layout: 'row', ranks: 1, m: 8, k: 8, n: 16 });
    expect(describeKernelStep(one, 0)).toMatch(
      /the one rank multiplies X \(8x8\) by W \(8x16\): all of Y/,
    );
  });
});

describe('the CPU walk and its result check', () => {
  it.each(SPECS.filter((s) => s.ranks !== 3).map((s) => [name(s), s] as const))(
    '%s: every rank within tolerance, strips for every step',
    (_, spec) => {
      const plan = tensorParallel(spec);
      const run = runTpOnCpu(plan);
      expect(run.strips).toHaveLength(plan.steps.length + 1);
      expect(run.measured_s.every(Number.isNaN)).toBe(true);
      expect(run.checks.map((c) => c.wrong)).toEqual(
        (plan.layer as LayerInfo).shards.length ? run.checks.map(() => 0) : [],
      );
      const [rows, cols] = (plan.layer as LayerInfo).tensors.Y as readonly [number, number];
      const held = run.checks.reduce((n, c) => n + c.elements, 0);
      const perRank =
        spec.comm === 'allreduce' || spec.comm === 'allgather'
          ? rows * cols * spec.ranks
          : rows * cols;
      expect(held).toBe(perRank);
      expect(resultBase(plan)).toBeGreaterThanOrEqual(0);
    },
  );

  it('a wrong value is counted on the rank that holds it', () => {
    const plan = tensorParallel({ layout: 'row', ranks: 2, m: 4, k: 8, n: 8 });
    const { buffers, ref } = tpInputs(plan);
    const run = runTpOnCpu(plan);
    expect(run.checks.every((c) => c.wrong === 0)).toBe(true);
    const y = at(plan.output, 1);
    at(buffers, 1).recv[y.offset + 3] = 1e6;
    const checks = rankChecks(plan, buffers, ref);
    expect(at(checks, 1).wrong).toBeGreaterThan(0);
    expect(at(checks, 1).max_abs_error).toBeGreaterThan(1e5);
  });
});

describe('scaling data and roofline', () => {
  it('sweepRanks keeps the rank counts that split the layer', () => {
    expect(sweepRanks(DEFAULT_TP_STATE)).toEqual([1, 2, 4, 8]);
    expect(sweepRanks({ ...DEFAULT_TP_STATE, n: 6 })).toEqual([1, 2]);
    expect(sweepRanks({ ...DEFAULT_TP_STATE, layout: 'row', comm: 'allreduce', k: 12 })).toEqual([
      1, 2, 4,
    ]);
  });

  it('scalingData turns rows into six series, non-finite values as gaps', () => {
    const row = (ranks: number, compute: number, comm: number): TpRow =>
      ({
        ranks,
        compute_s: compute,
        comm_s: comm,
        emulated_s: compute + comm,
        eta_emulated: 0.9,
        analytic: {
          ranks,
          compute_s: compute,
          comm_s: comm,
          step_s: compute + comm,
          eta: 0.8,
          tax: 0.2,
        },
      }) as unknown as TpRow;
    const data = scalingData([row(1, 4e-3, 0), row(2, 2e-3, 1e-4), row(4, 1e-3, Number.NaN)]);
    expect(data.ranks).toEqual([1, 2, 4]);
    expect(data.series.map((s) => s.label)).toEqual([
      'compute (emulated)',
      'communication (emulated)',
      'step (emulated)',
      'step (Fleet Law)',
      'eta (emulated)',
      'eta (Fleet Law)',
    ]);
    expect(at(data.series, 0).values).toEqual([4, 2, 1]);
    expect(at(data.series, 1).values).toEqual([0, 0.1, null]);
    expect(at(data.series, 4).scale).toBe('eta');
  });

  it('rooflinePoints: GFLOP/s of each lone matmul of a rank against the peak', () => {
    const plan: Plan = tensorParallel({ layout: 'mlp', ranks: 2, m: 8, k: 16, n: 32 });
    const kernel_s = plan.steps.map(() => [1e-3, 2e-3]);
    const points = rooflinePoints({ plan, kernel_s }, 1e9, 1);
    expect(points.map((p) => p.phase)).toEqual(['matmul X W1', 'matmul H W2']);
    const first = at(points, 0);
    expect(first.flops_per_s).toBeCloseTo((2 * 8 * 16 * 16) / 2e-3);
    expect(first.peak_fraction).toBeCloseTo(first.flops_per_s / 1e9);
    expect(first.intensity).toBeCloseTo((2 * 8 * 16 * 16) / (4 * (8 * 16 + 16 * 16 + 8 * 16)));
  });
});
