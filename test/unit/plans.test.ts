// Every plan builder x rank counts x counts (even, uneven, smaller than the rank count) x
// in/out of place, run by the CPU interpreter, against the collective's definition.
import { describe, expect, it } from 'vitest';
import { allocateBuffers, interpret } from '../../src/exec/interpreter/steps.ts';
import type { Dtype, RedOp } from '../../src/plans/dtype.ts';
import type { Collective } from '../../src/plans/plan.ts';
import { ALGORITHMS } from '../../src/plans/registry.ts';
import { expectedOutputs } from '../../src/plans/semantics.ts';
import { validatePlan } from '../../src/plans/validate.ts';
import { integerInputs, placeInputs, readOutputs } from '../plan-check.ts';

const RANKS = [1, 2, 3, 4, 5, 7, 8, 16, 31, 64];
const COUNTS = (n: number) => [0, 1, n - 1, n, 4 * n, 4 * n + 3, 103];

function check(
  collective: Collective,
  algorithm: string,
  ranks: number,
  count: number,
  inPlace: boolean,
  dtype: Dtype,
  redop: RedOp,
  root = 0,
) {
  const plan = ALGORITHMS[collective][algorithm]?.({ ranks, count, dtype, redop, inPlace, root });
  if (!plan) throw new Error(`no builder ${collective}/${algorithm}`);
  validatePlan(plan);
  const inputs = integerInputs(plan, ranks * 7919 + count);
  const buffers = allocateBuffers(plan);
  placeInputs(plan, buffers, inputs);
  interpret(plan, buffers);
  const got = readOutputs(plan, buffers);
  const want = expectedOutputs(plan, inputs);
  for (let r = 0; r < ranks; r++) expect(got[r], `rank ${r}`).toEqual(want[r]);
  return plan;
}

for (const [collective, algorithms] of Object.entries(ALGORITHMS) as [
  Collective,
  Record<string, unknown>,
][]) {
  for (const algorithm of Object.keys(algorithms)) {
    describe(`${collective} ${algorithm}`, () => {
      for (const ranks of RANKS) {
        it(`${ranks} ranks, counts ${COUNTS(ranks).join(' ')}, in and out of place`, () => {
          for (const count of COUNTS(ranks)) {
            for (const inPlace of [true, false]) {
              check(collective, algorithm, ranks, count, inPlace, 'float', 'sum', ranks - 1);
            }
          }
        });
      }
      it('every dtype and redop', () => {
        for (const dtype of ['float', 'int32'] as const) {
          for (const redop of ['sum', 'prod', 'max', 'min'] as const)
            check(collective, algorithm, 5, 37, false, dtype, redop, 2);
        }
      });
    });
  }
}
