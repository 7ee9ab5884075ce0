// The training chapter's closed forms (src/model/training.ts) against the book's statements.
import { describe, expect, it } from 'vitest';
import { layerOverlap, pipelineBubble, zeroBytesPerRank } from '../../src/model/training.ts';
import { dataParallelGraph } from '../../src/plans/training/data-parallel.ts';
import { memoryPerRank } from '../../src/plans/training/memory.ts';
import { paramCount } from '../../src/plans/training/mlp.ts';

describe('layer overlap', () => {
  it('hides all but the last layer’s AllReduce when comm fits under backward', () => {
    const t = layerOverlap(4, 2e-3, 1e-3);
    expect(t.no_overlap_s).toBeCloseTo(12e-3, 15);
    expect(t.overlap_s).toBeCloseTo(9e-3, 15); // L b + c
    expect(t.savings_s).toBeCloseTo(3e-3, 15);
    expect(t.hidden_fraction).toBeCloseTo(0.75, 12);
  });

  it('is comm-bound when comm is longer: b + (L - 1) c + c', () => {
    const t = layerOverlap(4, 1e-3, 2e-3);
    expect(t.overlap_s).toBeCloseTo(1e-3 + 3 * 2e-3 + 2e-3, 15);
  });

  it('names a bad value and its limits', () => {
    expect(() => layerOverlap(0, 1, 1)).toThrow(/layers 0 must be a whole number from 1/);
    expect(() => layerOverlap(2, -1, 1)).toThrow(/backward -1 must be a number from 0/);
  });
});

describe('ZeRO bytes per rank (16 B a parameter)', () => {
  const P = 7.5e9;
  const N = 64;
  it.each([
    [0, 16 * P],
    [1, (4 + 12 / N) * P],
    [2, (2 + 14 / N) * P],
    [3, (16 * P) / N],
  ] as const)('stage %i', (stage, want) => {
    expect(zeroBytesPerRank(P, N, stage).total).toBeCloseTo(want, -3);
  });

  it('splits into weights, gradients and optimizer state', () => {
    expect(zeroBytesPerRank(100, 4, 2)).toEqual({
      params: 200,
      grads: 50,
      optimizer: 300,
      total: 550,
    });
    expect(() => zeroBytesPerRank(1, 1, 0, 3)).toThrow(/bytes per param 3 is less than/);
  });
});

describe('the pipeline bubble', () => {
  it('is (p - 1) / (p - 1 + m V)', () => {
    expect(pipelineBubble(8, 16)).toBeCloseTo(7 / 23, 15);
    expect(pipelineBubble(8, 16, 4)).toBeCloseTo(7 / 71, 15);
    expect(pipelineBubble(1, 4)).toBe(0);
    // m >= 4 (p - 1) keeps it at or under 20 %.
    expect(pipelineBubble(5, 16)).toBeLessThanOrEqual(0.2);
  });
});

describe('memory per rank counted from a ZeRO plan, beside the formula', () => {
  it.each([0, 1, 2, 3] as const)('stage %i, 4 ranks, f32 SGD (8 B a parameter)', (zero) => {
    const spec = { layers: 4, d: 16, batch: 8, ranks: 4, zero };
    const graph = dataParallelGraph(spec);
    if (graph.info.kind !== 'training') throw new Error('not a training plan');
    const counted = memoryPerRank(graph.info.training);
    const P = paramCount(spec);
    const formula = zeroBytesPerRank(P, 4, zero, 8, { weight: 4, grad: 4 });
    for (const m of counted) {
      // Shards are chunks of each layer's run: equal to P / N within a few elements a rank.
      expect(Math.abs(m.total - formula.total)).toBeLessThanOrEqual(4 * 4 * spec.layers);
      expect(m.optimizer).toBe(0);
    }
  });
});
