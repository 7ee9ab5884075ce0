// What a run leaves behind: per step, its ops as the fabric sees them (who sends what to whom
// over which link) and the GPU time the step took. The view animates this; the bench prices it.
import { DTYPE_INFO } from '../../plans/dtype.ts';
import { linkOf, type Plan } from '../../plans/plan.ts';

export interface TraceOp {
  readonly kind: 'copy' | 'reduce';
  readonly src: number;
  readonly dst: number;
  readonly chunk: number;
  readonly bytes: number;
  /** [src rank, dst rank], or null for a rank-local op. */
  readonly link: readonly [number, number] | null;
}

export interface TraceStep {
  readonly step: number;
  readonly phase: string;
  readonly ops: readonly TraceOp[];
  /** Measured GPU seconds (NaN when not measured: a CPU run, or a dropped timestamp pair). */
  readonly gpu_s: number;
}

export interface Trace {
  readonly collective: Plan['collective'];
  readonly algorithm: string;
  readonly ranks: number;
  readonly count: number;
  readonly dtype: Plan['dtype'];
  readonly redop: Plan['redop'];
  readonly steps: readonly TraceStep[];
  /** Sum of the steps' GPU seconds. */
  readonly gpu_s: number;
}

export function traceOf(plan: Plan, stepSeconds: readonly number[]): Trace {
  const bytes = DTYPE_INFO[plan.dtype].bytes;
  const steps = plan.steps.map((s, i) => ({
    step: i,
    phase: s.phase,
    ops: s.ops.map((op) => ({
      kind: op.kind,
      src: op.src.rank,
      dst: op.dst.rank,
      chunk: op.chunk,
      bytes: op.count * bytes,
      link: linkOf(op) ?? null,
    })),
    gpu_s: stepSeconds[i] ?? Number.NaN,
  }));
  return {
    collective: plan.collective,
    algorithm: plan.algorithm,
    ranks: plan.ranks,
    count: plan.count,
    dtype: plan.dtype,
    redop: plan.redop,
    steps,
    gpu_s: steps.reduce((t, s) => t + s.gpu_s, 0),
  };
}

/** Bytes the GPU reads and writes to carry out the plan: copy 2x, reduce 3x the op's bytes. */
export function trafficBytes(plan: Plan): number {
  const bytes = DTYPE_INFO[plan.dtype].bytes;
  let total = 0;
  for (const s of plan.steps)
    for (const op of s.ops) total += op.count * bytes * (op.kind === 'copy' ? 2 : 3);
  return total;
}
