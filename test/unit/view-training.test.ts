// The training page's parts that need no browser: the URL state, each task's kind (its colour)
// and the step priced without a GPU (the page's fallback), on every preset.
import { describe, expect, it } from 'vitest';
import { busyAt, kindOf, TICKS, tickTime } from '../../src/view/training/lanes.ts';
import { runTraining } from '../../src/view/training/run.ts';
import {
  DEFAULT_TRAINING_STATE,
  parseTrainingState,
  serializeTrainingState,
  TRAINING_PRESETS,
} from '../../src/view/training/state.ts';

describe('training page state', () => {
  it.each(TRAINING_PRESETS)('$name round-trips through its link', (p) => {
    const hash = serializeTrainingState(p.state);
    expect(hash).toBe(`#preset=${p.name}`);
    expect(parseTrainingState(hash)).toEqual({ state: p.state, errors: [] });
  });

  it('a changed field leaves the preset; junk keeps the earlier value and says why', () => {
    const { state, errors } = parseTrainingState('#preset=zero-3&zero=2&ranks=0&fabric=x');
    expect(state).toMatchObject({ preset: '', zero: 2, ranks: 4, mode: 'dp' });
    expect(errors).toEqual([
      "fabric 'x' must be one of nvswitch, nvlink-ring, pcie4, ib-ndr, 100gbe, torus-ib, dgx-h100; keeping nvswitch",
      "ranks '0' must be a whole number from 1 to 8; keeping 4",
    ]);
    expect(parseTrainingState('').state).toEqual(DEFAULT_TRAINING_STATE);
  });
});

describe('the step priced without a GPU', () => {
  it.each(TRAINING_PRESETS)('$name: every task has a kind, the formulas beside', async (p) => {
    const run = await runTraining(p.state);
    expect(run.check).toBeUndefined();
    expect(run.price.total_s).toBeGreaterThan(0);
    for (const task of run.graph.tasks) {
      const kind = kindOf(task);
      if (task.stream === 'compute') expect(['forward', 'backward', 'update']).toContain(kind);
      else expect(['collective', 'send', 'accumulate']).toContain(kind);
      if (kind === 'update') expect(task.label).toBe('update');
    }
    expect(busyAt(run.graph, run.price, tickTime(run.price, TICKS)).compute).toBe(0);
    // Something runs at the first tick (under ZeRO-3, the first AllGather rather than compute).
    const first = busyAt(run.graph, run.price, tickTime(run.price, 1));
    expect(first.compute + first.comm).toBeGreaterThan(0);
    if (p.state.mode === 'pp') {
      const { stages: s, microbatches: m, virtual: v } = p.state;
      expect(run.bubble?.formula).toBeCloseTo((s - 1) / (s - 1 + m * v), 12);
      expect(run.bubble?.emulated).toBeGreaterThan(0);
    } else {
      expect(run.no_overlap_s).toBeGreaterThanOrEqual(run.price.total_s);
      // The plan's buffers, counted, equal the formula on every rank (an even split here).
      for (const m of run.memory) expect(m.total).toBe(run.memory_formula_B);
    }
  });

  it('a state no plan has is a RangeError naming the value', async () => {
    await expect(runTraining({ ...DEFAULT_TRAINING_STATE, stages: 3, layers: 8 })).rejects.toThrow(
      /layers 8/,
    );
  });
});
