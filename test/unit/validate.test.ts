// The validator's rules on hand-made plans: places in range, and no hazard inside a step (no op
// reads or writes what another op of the step writes; no op reads what it writes).
import { describe, expect, it } from 'vitest';
import { copy, place, reduce, region } from '../../src/plans/build.ts';
import type { Op, Plan } from '../../src/plans/plan.ts';
import { PlanError, validatePlan } from '../../src/plans/validate.ts';

/** Two ranks with 8 elements in 'send' and 'recv' each; one step per list of ops. */
function plan(steps: Op[][], patch: Partial<Plan> = {}): Plan {
  return {
    collective: 'allreduce',
    algorithm: 'test',
    ranks: 2,
    count: 8,
    dtype: 'float',
    redop: 'sum',
    root: 0,
    inPlace: false,
    sizes: { send: [8, 8], recv: [8, 8] },
    input: [region('send', 0, 8), region('send', 0, 8)],
    output: [region('recv', 0, 8), region('recv', 0, 8)],
    steps: steps.map((ops) => ({ phase: 'test', ops })),
    ...patch,
  };
}

const rejects = (p: Plan, message: RegExp) => {
  expect(() => validatePlan(p)).toThrow(PlanError);
  expect(() => validatePlan(p)).toThrow(message);
};

describe('validatePlan rejects', () => {
  it('a rank out of range, in an op or a region', () => {
    rejects(
      plan([[copy(place(2, 'send', 0), place(0, 'recv', 0), 4, 0)]]),
      /rank 2 is outside 0\.\.1/,
    );
    rejects(plan([[copy(place(0, 'send', 0), place(-1, 'recv', 0), 4, 0)]]), /rank -1 is outside/);
    rejects(plan([[copy(place(0.5, 'send', 0), place(1, 'recv', 0), 4, 0)]]), /rank 0\.5/);
  });

  it('a region out of range: past the end, a negative offset, a size the plan does not give', () => {
    rejects(
      plan([[copy(place(0, 'send', 6), place(1, 'recv', 0), 4, 0)]]),
      /step 0 op 0 src: send\[6\.\.10\) of rank 0 is outside its 8 elements/,
    );
    rejects(
      plan([[copy(place(0, 'send', 0), place(1, 'recv', -1), 4, 0)]]),
      /dst: recv\[-1\.\.3\)/,
    );
    rejects(
      plan([[copy(place(0, 'send', 0), place(1, 'recv', 0), 1, 0)]], {
        sizes: { send: [8, 8], recv: [8, 0] },
        output: [region('recv', 0, 8), region('recv', 0, 0)],
      }),
      /recv\[0\.\.1\) of rank 1 is outside its 0 elements/,
    );
    rejects(plan([], { input: [region('send', 4, 8), region('send', 0, 8)] }), /input of rank 0/);
    rejects(plan([], { output: [region('recv', 0, 8), region('recv', 1, 8)] }), /output of rank 1/);
  });

  it('negative or fractional counts and sizes, and lists of the wrong length', () => {
    rejects(plan([[copy(place(0, 'send', 0), place(1, 'recv', 0), -1, 0)]]), /count -1/);
    rejects(plan([[copy(place(0, 'send', 0), place(1, 'recv', 0), 1.5, 0)]]), /count 1\.5/);
    rejects(plan([], { input: [region('send', 2, -2), region('send', 0, 8)] }), /count -2/);
    rejects(plan([], { sizes: { send: [8, -1], recv: [8, 8] } }), /sizes\.send of rank 1 is -1/);
    rejects(plan([], { sizes: { send: [8], recv: [8, 8] } }), /sizes\.send lists 1 ranks, not 2/);
    rejects(plan([], { output: [region('recv', 0, 8)] }), /output lists 1 ranks, not 2/);
  });

  it('two ops of one step writing overlapping ranges', () => {
    rejects(
      plan([
        [
          copy(place(0, 'send', 0), place(1, 'recv', 0), 4, 0),
          reduce(place(1, 'send', 0), place(1, 'recv', 3), 4, 1),
        ],
      ]),
      /step 0: ops 0 and 1 touch 1:recv\[3\.\.4\) and one of them writes it/,
    );
    // The same range, written by two reduces (a tree node taking two children at once).
    rejects(
      plan([
        [
          reduce(place(0, 'send', 0), place(1, 'recv', 0), 8, 0),
          reduce(place(1, 'send', 0), place(1, 'recv', 0), 8, 0),
        ],
      ]),
      /ops 0 and 1 touch 1:recv\[0\.\.8\)/,
    );
  });

  it('an op reading what another op of the step writes', () => {
    rejects(
      plan([
        [
          copy(place(0, 'recv', 0), place(1, 'recv', 0), 4, 0),
          copy(place(1, 'recv', 2), place(0, 'send', 0), 4, 1),
        ],
      ]),
      /ops 0 and 1 touch 1:recv\[2\.\.4\)/,
    );
    // A long write that covers a later read which does not start where the write starts.
    rejects(
      plan([
        [
          copy(place(0, 'send', 0), place(1, 'recv', 0), 8, 0),
          copy(place(1, 'recv', 1), place(0, 'recv', 0), 1, 0),
          copy(place(1, 'recv', 6), place(0, 'recv', 6), 1, 0),
        ],
      ]),
      /touch 1:recv\[1\.\.2\)/,
    );
  });

  it('one op reading and writing overlapping ranges', () => {
    rejects(
      plan([[copy(place(0, 'recv', 0), place(0, 'recv', 2), 4, 0)]]),
      /step 0 op 0: reads and writes overlapping ranges of 0:recv/,
    );
    rejects(
      plan([[reduce(place(1, 'send', 3), place(1, 'send', 3), 1, 0)]]),
      /reads and writes overlapping ranges of 1:send/,
    );
  });

  it('a hazard in a later step, naming that step', () => {
    rejects(
      plan([
        [copy(place(0, 'send', 0), place(1, 'recv', 0), 8, 0)],
        [
          copy(place(0, 'send', 0), place(1, 'recv', 0), 4, 0),
          copy(place(0, 'send', 0), place(1, 'recv', 2), 4, 0),
        ],
      ]),
      /^step 1: ops 0 and 1/,
    );
  });
});

describe('validatePlan accepts', () => {
  it('ops of one step on disjoint ranges, adjacent ones included', () => {
    expect(() =>
      validatePlan(
        plan([
          [
            copy(place(0, 'send', 0), place(1, 'recv', 0), 4, 0),
            reduce(place(0, 'send', 4), place(1, 'recv', 4), 4, 1),
            copy(place(1, 'send', 0), place(0, 'recv', 0), 8, 0),
          ],
        ]),
      ),
    ).not.toThrow();
  });

  it('ops of one step reading the same range (reads do not conflict)', () => {
    expect(() =>
      validatePlan(
        plan([
          [
            copy(place(0, 'send', 0), place(1, 'recv', 0), 8, 0),
            copy(place(0, 'send', 0), place(0, 'recv', 0), 8, 0),
          ],
        ]),
      ),
    ).not.toThrow();
  });

  it('the same offsets in another buffer or another rank, and one op on two buffers', () => {
    expect(() =>
      validatePlan(
        plan([
          [
            copy(place(0, 'recv', 0), place(0, 'send', 0), 8, 0),
            copy(place(1, 'recv', 0), place(1, 'send', 0), 8, 0),
          ],
        ]),
      ),
    ).not.toThrow();
  });

  it('what would clash within a step, when it is split over two steps', () => {
    expect(() =>
      validatePlan(
        plan([
          [reduce(place(0, 'send', 0), place(1, 'recv', 0), 8, 0)],
          [reduce(place(1, 'send', 0), place(1, 'recv', 0), 8, 0)],
          [copy(place(1, 'recv', 0), place(0, 'recv', 0), 8, 0)],
        ]),
      ),
    ).not.toThrow();
  });

  it('empty ops anywhere in range, and empty steps', () => {
    expect(() =>
      validatePlan(
        plan([
          [
            copy(place(0, 'send', 0), place(1, 'recv', 0), 8, 0),
            copy(place(1, 'recv', 4), place(1, 'recv', 4), 0, 0),
          ],
          [],
        ]),
      ),
    ).not.toThrow();
  });
});
