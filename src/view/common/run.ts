// A plan run for the view: the buffers after every step as the GPU left them (or the CPU
// interpreter, where there is no WebGPU), the measured time of each step, and whether the GPU's
// result equals the interpreter's. Buffers are kept as strips of at most MAX_CELLS cell values
// per rank, so 64 ranks x 127 steps stay small.
import { GpuExecutor } from '../../exec/executor/steps.ts';
import { cloneBuffers, interpret, type RankBuffers } from '../../exec/interpreter/steps.ts';
import type { GpuContext } from '../../gpu/device.ts';
import type { PipelineCache } from '../../gpu/pipelines.ts';
import type { ShaderLibrary } from '../../gpu/shader-library.ts';
import { GpuTimer } from '../../gpu/timer.ts';
import type { ElementArray } from '../../plans/dtype.ts';
import type { Plan } from '../../plans/plan.ts';

export const MAX_CELLS = 64;

export interface PlanRun {
  readonly plan: Plan;
  /** strips[s][rank]: the cells of rank's 'recv' buffer after s steps (0: the input). */
  readonly strips: readonly (readonly Float32Array[])[];
  /** GPU seconds of each step; NaN where not measured (no WebGPU). */
  readonly measured_s: readonly number[];
  readonly measured: boolean;
  /** Output elements whose bits differ from the interpreter's (0 on the CPU path). */
  readonly wrong: number;
}

/** A buffer as `cells` values: each the mean of an equal share of the elements. */
export function strip(
  values: ElementArray,
  cells = Math.min(MAX_CELLS, values.length),
): Float32Array {
  const out = new Float32Array(cells);
  for (let c = 0; c < cells; c++) {
    const from = Math.floor((c * values.length) / cells);
    const to = Math.floor(((c + 1) * values.length) / cells);
    let sum = 0;
    for (let i = from; i < to; i++) sum += values[i] as number;
    out[c] = to > from ? sum / (to - from) : Number.NaN;
  }
  return out;
}

const strips = (b: RankBuffers) => b.map((r) => strip(r.recv));

function bitsDiffer(a: ElementArray, b: ElementArray, from: number, to: number): number {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let n = 0;
  for (let i = from; i < to; i++) if (ua[i] !== ub[i]) n++;
  return n;
}

/** Runs `plan` on the GPU step by step, reading the buffers back after each step. */
export async function runOnGpu(
  ctx: GpuContext,
  shaders: ShaderLibrary,
  cache: PipelineCache,
  plan: Plan,
  input: RankBuffers,
): Promise<PlanRun> {
  const exec = new GpuExecutor(ctx, shaders, plan, undefined, cache);
  const timer = new GpuTimer(ctx);
  try {
    await exec.prepare();
    exec.upload(input);
    const out = [strips(input)];
    const measured_s: number[] = [];
    let last = input;
    for (let k = 0; k < plan.steps.length; k++) {
      measured_s.push(await exec.runStep(k, timer));
      last = await exec.download();
      out.push(strips(last));
    }
    const want = interpret(plan, cloneBuffers(input));
    let wrong = 0;
    plan.output.forEach((g, r) => {
      const got = (last[r] as RankBuffers[number])[g.buffer];
      wrong += bitsDiffer(
        got,
        (want[r] as RankBuffers[number])[g.buffer],
        g.offset,
        g.offset + g.count,
      );
    });
    return { plan, strips: out, measured_s, measured: true, wrong };
  } finally {
    timer.destroy();
    exec.destroy();
  }
}

/** The same walk on the CPU interpreter, for browsers without WebGPU: nothing is measured. */
export function runOnCpu(plan: Plan, input: RankBuffers): PlanRun {
  const out = [strips(input)];
  interpret(plan, cloneBuffers(input), (_, b) => {
    out.push(strips(b));
  });
  return {
    plan,
    strips: out,
    measured_s: plan.steps.map(() => Number.NaN),
    measured: false,
    wrong: 0,
  };
}
