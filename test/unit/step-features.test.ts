// What the executor does per step, from the plan alone: dispatches, rows, workgroups and bytes
// of known plans, the executor's grouping by kind and arena pair, and scalar lanes where a
// group is not vec4-aligned.
import { describe, expect, it } from 'vitest';
import { calibrationPlans, syntheticStepPlan } from '../../src/exec/calibration/executor.ts';
import { DEFAULT_EXECUTOR_LIMITS, stepFeatures } from '../../src/exec/executor/step-features.ts';
import type { Op } from '../../src/plans/plan.ts';
import { ringAllReduce } from '../../src/plans/ring.ts';
import { treeAllReduce } from '../../src/plans/tree.ts';
import { validatePlan } from '../../src/plans/validate.ts';

describe('stepFeatures', () => {
  it('counts a 4-rank out-of-place ring AllReduce step by step', () => {
    // 4096 floats a rank: chunks of 1024 = 256 vec4 lanes, one workgroup of 64 x 8 lanes each.
    const plan = ringAllReduce({
      ranks: 4,
      count: 4096,
      dtype: 'float',
      redop: 'sum',
      inPlace: false,
    });
    const f = stepFeatures(plan);
    expect(f).toHaveLength(7);
    // Step 0 copies each rank's send into its recv: 4096 floats = 1024 lanes, 2 workgroups.
    expect(f[0]).toEqual({
      dispatches: 1,
      rows: 4,
      workgroups: 8,
      idle_workgroups: 0,
      copy_bytes: 4 * 4096 * 4,
      reduce_bytes: 0,
      scalar_bytes: 0,
      kernels: 0,
      submits: 1,
    });
    for (const s of f.slice(1, 4)) {
      expect(s).toMatchObject({
        dispatches: 1,
        rows: 4,
        workgroups: 4,
        copy_bytes: 0,
        reduce_bytes: 4 * 1024 * 4,
      });
    }
    for (const s of f.slice(4)) {
      expect(s).toMatchObject({
        rows: 4,
        workgroups: 4,
        copy_bytes: 4 * 1024 * 4,
        reduce_bytes: 0,
      });
    }
  });

  it('sizes each grid by the group largest op and counts scalar lanes', () => {
    // 1023 floats: chunks not a multiple of 4 elements, so every group runs on scalar lanes.
    const plan = ringAllReduce({
      ranks: 3,
      count: 1023,
      dtype: 'float',
      redop: 'sum',
      inPlace: true,
    });
    for (const s of stepFeatures(plan)) {
      expect(s.scalar_bytes).toBe(s.copy_bytes + s.reduce_bytes);
      expect(s.workgroups).toBe(s.rows); // fewer than 512 lanes an op: one workgroup each
    }
  });

  it('puts copies and reductions of one step in two dispatches', () => {
    const f = stepFeatures(syntheticStepPlan(4, 8, 1024, 'mixed'));
    expect(f).toEqual([
      {
        dispatches: 2,
        rows: 32,
        workgroups: 32,
        idle_workgroups: 0,
        copy_bytes: 16 * 4096,
        reduce_bytes: 16 * 4096,
        scalar_bytes: 0,
        kernels: 0,
        submits: 1,
      },
    ]);
  });

  it('gives each pair of arenas its own dispatch when the ranks need several', () => {
    // 1 MiB a buffer and 2 MiB arenas: each rank's pair fills one arena, so a ring step's ops
    // each go from one arena to another, one dispatch a pair.
    const plan = syntheticStepPlan(4, 1, 2 ** 18, 'copy');
    const limits = { ...DEFAULT_EXECUTOR_LIMITS, maxStorageBufferBindingSize: 2 ** 21 + 1024 };
    const [f] = stepFeatures(plan, { limits });
    expect(f?.dispatches).toBe(4);
    expect(f?.rows).toBe(4);
    expect(stepFeatures(plan)[0]?.dispatches).toBe(1);
  });

  it('counts the workgroups a short op leaves idle beside a long one', () => {
    // Two ops in one dispatch: 4096 and 1024 floats (1024 and 256 vec4 lanes): a grid of 2
    // workgroups along each, the short op's second returns at once.
    const plan = syntheticStepPlan(2, 1, 4096, 'copy');
    const steps = [
      {
        phase: 'unequal',
        ops: [
          { ...(plan.steps[0]?.ops[0] as Op) },
          { ...(plan.steps[0]?.ops[1] as Op), count: 1024 },
        ],
      },
    ];
    const [f] = stepFeatures({ ...plan, steps });
    expect(f).toMatchObject({ rows: 2, workgroups: 4, idle_workgroups: 1 });
  });

  it('counts the tree AllReduce steps of unequal width', () => {
    const plan = treeAllReduce({
      ranks: 5,
      count: 4096,
      dtype: 'float',
      redop: 'sum',
      inPlace: false,
    });
    const f = stepFeatures(plan);
    expect(f).toHaveLength(plan.steps.length);
    f.forEach((s, k) => {
      const ops = plan.steps[k]?.ops ?? [];
      expect(s.rows).toBe(ops.length);
      const bytes = (kind: string) =>
        ops.filter((o) => o.kind === kind).reduce((t, o) => t + 4 * o.count, 0);
      expect(s.copy_bytes).toBe(bytes('copy'));
      expect(s.reduce_bytes).toBe(bytes('reduce'));
    });
  });
});

describe('the calibration plans', () => {
  it('are valid plans, many small ops and few large ones, copies, reductions and both', () => {
    const plans = calibrationPlans(2 ** 20);
    for (const { plan } of plans) validatePlan(plan);
    const steps = plans.flatMap(({ plan }) => stepFeatures(plan));
    expect(Math.max(...steps.map((s) => s.rows))).toBeGreaterThanOrEqual(128);
    expect(Math.max(...steps.map((s) => s.dispatches))).toBe(2);
    expect(steps.some((s) => s.rows <= 2 && s.copy_bytes >= 2 ** 20)).toBe(true);
    expect(steps.some((s) => s.reduce_bytes > 0 && s.copy_bytes === 0)).toBe(true);
    expect(new Set(plans.map(({ plan }) => plan.ranks))).toEqual(new Set([2, 3, 4, 8]));
  });
});
