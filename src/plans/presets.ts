// Named plans and inputs from the textbook, for the CLI, the view and the tests.
import type { CollectiveSpec } from './plan.ts';

export interface PlanPreset {
  readonly name: string;
  readonly description: string;
  readonly collective: 'allreduce';
  readonly algorithm: string;
  readonly spec: CollectiveSpec;
  /** Each rank's input, in rank order. */
  readonly inputs: readonly (readonly number[])[];
}

/**
 * The textbook's ring AllReduce walk-through (MLSysBook vol. 2, collective communication):
 * 4 ranks, 4 elements each, 6 steps; every rank ends with [10, 26, 18, 34]. After step 1 rank
 * 0's chunk 3 holds 17, rank 1's chunk 0 holds 3, rank 2's chunk 1 holds 13, rank 3's chunk 2
 * holds 11.
 */
export const TEXTBOOK_RING: PlanPreset = {
  name: 'textbook-ring',
  description: 'the textbook ring AllReduce: 4 ranks [1,5,3,7] ... [4,8,6,10] -> [10,26,18,34]',
  collective: 'allreduce',
  algorithm: 'ring',
  spec: { ranks: 4, count: 4, dtype: 'float', redop: 'sum', inPlace: true },
  inputs: [
    [1, 5, 3, 7],
    [2, 6, 4, 8],
    [3, 7, 5, 9],
    [4, 8, 6, 10],
  ],
};

export const PLAN_PRESETS: readonly PlanPreset[] = [TEXTBOOK_RING];
