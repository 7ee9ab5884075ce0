// The textbook's worked example, step by step on the CPU interpreter.
import { describe, expect, it } from 'vitest';
import { allocateBuffers, interpret } from '../../src/exec/interpreter/steps.ts';
import { TEXTBOOK_RING } from '../../src/plans/presets.ts';
import { ringAllReduce } from '../../src/plans/ring.ts';

describe('the textbook ring AllReduce, 4 ranks', () => {
  const plan = ringAllReduce(TEXTBOOK_RING.spec);

  it('has 2(N-1) = 6 steps: 3 reduce-scatter, 3 all-gather', () => {
    expect(plan.steps.map((s) => s.phase)).toEqual([
      'reduce-scatter',
      'reduce-scatter',
      'reduce-scatter',
      'all-gather',
      'all-gather',
      'all-gather',
    ]);
    for (const s of plan.steps) expect(s.ops).toHaveLength(4);
  });

  it('after step 1 holds 17, 3, 13, 11 where the book says; ends with [10, 26, 18, 34]', () => {
    const buffers = allocateBuffers(plan);
    TEXTBOOK_RING.inputs.forEach((v, r) => {
      buffers[r]?.recv.set(v);
    });
    const after: number[][][] = [];
    interpret(plan, buffers, (_, b) => {
      after.push(b.map((x) => [...x.recv]));
    });
    const step1 = after[0] as number[][];
    expect(step1[0]?.[3]).toBe(17);
    expect(step1[1]?.[0]).toBe(3);
    expect(step1[2]?.[1]).toBe(13);
    expect(step1[3]?.[2]).toBe(11);
    for (const b of buffers) expect([...b.recv]).toEqual([10, 26, 18, 34]);
  });
});
