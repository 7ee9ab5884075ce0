// Shared by unit and GPU tests: fill a plan's inputs, and read its outputs back out.
import type { RankBuffers } from '../src/exec/interpreter/steps.ts';
import type { ElementArray } from '../src/plans/dtype.ts';
import type { Plan } from '../src/plans/plan.ts';

/** Writes inputs[r] into rank r's input region. */
export function placeInputs(
  plan: Plan,
  buffers: RankBuffers,
  inputs: readonly ElementArray[],
): void {
  plan.input.forEach((g, r) => {
    (buffers[r] as RankBuffers[number])[g.buffer].set(
      (inputs[r] as ElementArray).subarray(0, g.count),
      g.offset,
    );
  });
}

/** Each rank's output region, copied out. */
export function readOutputs(plan: Plan, buffers: RankBuffers): ElementArray[] {
  return plan.output.map((g, r) =>
    (buffers[r] as RankBuffers[number])[g.buffer].slice(g.offset, g.offset + g.count),
  );
}

/** Small integers as floats or ints: any reduction order gives the same exact result. */
export function integerInputs(plan: Plan, seed: number): ElementArray[] {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  return plan.input.map((g) => {
    const a = plan.dtype === 'float' ? new Float32Array(g.count) : new Int32Array(g.count);
    // prod of 256 ranks' values stays exact in f32 only for values in {1, 2}-ish; use -1, 1, 2.
    for (let i = 0; i < g.count; i++) {
      a[i] = plan.redop === 'prod' ? ([1, -1, 1, 2][next() & 3] as number) : (next() % 201) - 100;
    }
    return a;
  });
}
