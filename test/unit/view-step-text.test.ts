// The lecture caption: a step in words, on the textbook ring and on larger plans.
import { describe, expect, it } from 'vitest';
import type { CollectiveSpec } from '../../src/plans/plan.ts';
import { TEXTBOOK_RING } from '../../src/plans/presets.ts';
import { ALGORITHMS } from '../../src/plans/registry.ts';
import { ringAllReduce } from '../../src/plans/ring.ts';
import { treeAllReduce } from '../../src/plans/tree.ts';
import { describeOp, describeStep, stepDetails } from '../../src/view/common/step-text.ts';

const spec = (ranks: number, more: Partial<CollectiveSpec> = {}): CollectiveSpec => ({
  ranks,
  count: 64 * ranks,
  dtype: 'float',
  redop: 'sum',
  inPlace: true,
  ...more,
});

describe('the textbook ring, 4 ranks', () => {
  const plan = ringAllReduce(TEXTBOOK_RING.spec);

  it('names the step, its phase, and what every rank does', () => {
    expect(plan.steps.map((_, i) => describeStep(plan, i))).toEqual([
      'step 1 of 6: reduce-scatter, each of the 4 ranks sends one chunk to its right neighbour, which adds it',
      'step 2 of 6: reduce-scatter, each of the 4 ranks sends one chunk to its right neighbour, which adds it',
      'step 3 of 6: reduce-scatter, each of the 4 ranks sends one chunk to its right neighbour, which adds it',
      'step 4 of 6: all-gather, each of the 4 ranks copies one chunk to its right neighbour',
      'step 5 of 6: all-gather, each of the 4 ranks copies one chunk to its right neighbour',
      'step 6 of 6: all-gather, each of the 4 ranks copies one chunk to its right neighbour',
    ]);
  });

  it('details each op of a step: who sends which chunk to whom', () => {
    expect(stepDetails(plan, 2)).toEqual([
      'rank 0 sends chunk 2 to rank 1, which adds it',
      'rank 1 sends chunk 3 to rank 2, which adds it',
      'rank 2 sends chunk 0 to rank 3, which adds it',
      'rank 3 sends chunk 1 to rank 0, which adds it',
    ]);
    expect(stepDetails(plan, 3, 1)).toEqual(['rank 0 copies chunk 1 to rank 1', 'and 3 more']);
  });

  it('says what the reduction does for each redop', () => {
    const op = plan.steps[0]?.ops[0];
    if (!op) throw new Error('no op');
    const with_ = (redop: CollectiveSpec['redop']) => describeOp({ ...plan, redop }, op);
    expect(with_('sum')).toBe('rank 0 sends chunk 0 to rank 1, which adds it');
    expect(with_('prod')).toBe('rank 0 sends chunk 0 to rank 1, which multiplies it in');
    expect(with_('max')).toBe('rank 0 sends chunk 0 to rank 1, which keeps the larger');
    expect(with_('min')).toBe('rank 0 sends chunk 0 to rank 1, which keeps the smaller');
  });

  it('rejects a step the plan does not have', () => {
    expect(() => describeStep(plan, 6)).toThrow('step index 6 is not in 0..5');
  });
});

describe('larger plans', () => {
  it('a 64-rank ring reads as one sentence per step', () => {
    const plan = ringAllReduce(spec(64));
    expect(describeStep(plan, 0)).toBe(
      'step 1 of 126: reduce-scatter, each of the 64 ranks sends one chunk to its right neighbour, which adds it',
    );
    expect(describeStep(plan, 125)).toBe(
      'step 126 of 126: all-gather, each of the 64 ranks copies one chunk to its right neighbour',
    );
  });

  it('a binomial tree names the senders and how far they send, the whole buffer each', () => {
    const plan = treeAllReduce(spec(8));
    expect(plan.steps.map((_, i) => describeStep(plan, i))).toEqual([
      'step 1 of 6: reduce, each of ranks 1, 3, 5 and 7 sends its whole buffer to its left neighbour, which adds it',
      'step 2 of 6: reduce, each of ranks 2 and 6 sends its whole buffer to the rank 2 before it, which adds it',
      'step 3 of 6: reduce, rank 4 sends its whole buffer to rank 0, which adds it',
      'step 4 of 6: broadcast, rank 0 copies its whole buffer to rank 4',
      'step 5 of 6: broadcast, each of ranks 0 and 4 copies its whole buffer to the rank 2 after it',
      'step 6 of 6: broadcast, each of ranks 0, 2, 4 and 6 copies its whole buffer to its right neighbour',
    ]);
  });

  it('halving-doubling pairs partners; out of place, the local copy comes first', () => {
    const plan = ALGORITHMS.allreduce.rhd?.(spec(8, { inPlace: false }));
    if (!plan) throw new Error('no rhd');
    expect(describeStep(plan, 0)).toBe(
      'step 1 of 7: local copy, each of the 8 ranks copies its whole buffer from its send buffer into its receive buffer',
    );
    expect(describeStep(plan, 1)).toBe(
      'step 2 of 7: reduce-scatter, each of the 8 ranks sends one chunk to its partner (rank xor 4), which adds it',
    );
  });

  it('the hierarchical plan: rings inside nodes, then across them', () => {
    const plan = ALGORITHMS.allreduce.hierarchical?.(spec(64));
    if (!plan) throw new Error('no hierarchical');
    expect(describeStep(plan, 0)).toBe(
      'step 1 of 28: reduce-scatter (intra), each of the 64 ranks sends one chunk to its right neighbour in its group of 8, which adds it',
    );
    expect(describeStep(plan, 7)).toBe(
      'step 8 of 28: allreduce (inter), each of the 64 ranks sends one chunk to the rank 8 after it (mod 64), which adds it',
    );
  });

  it('with no shared pattern: the first op and how many more', () => {
    const plan = ALGORITHMS.allreduce.dbtree?.(spec(8));
    if (!plan) throw new Error('no dbtree');
    const text = plan.steps.map((_, i) => describeStep(plan, i)).find((t) => t.includes('more'));
    expect(text).toMatch(
      /^step \d+ of \d+: [a-z+-]+, rank \d+ (sends|copies) chunk \d+ to rank \d+.*, and \d+ more transfers$/,
    );
  });
});
