// Pipeline schedules as data (PyTorch's torch.distributed.pipelining schedules and Megatron-LM's
// interleaved 1F1B): for every stage, the order in which it runs the forward (F) and backward
// (B) passes of each micro-batch on each of its model chunks. The pipeline builder
// (./pipeline.ts) turns the order into dependencies on the stage's compute stream, so the
// pricer's timeline, its bubble and the peak of in-flight activations all follow from it.
//
//   gpipe        all forwards, then all backwards (micro-batches in order): m activations
//                held at the peak on every stage
//   1f1b         PipeDream-flush: stage s runs p - s - 1 warm-up forwards, then alternates one
//                forward and one backward, then drains: at most p - s activations in flight
//   interleaved  Megatron-LM's interleaved 1F1B: V model chunks a stage (stage s holds chunks
//                s, s + p, ...), warm-up (p - s - 1) 2 + (V - 1) p forwards over chunks in
//                groups of p micro-batches; needs m to be a multiple of p (as Megatron does).
//                The bubble shrinks to (p - 1) / (p - 1 + m V).

export const SCHEDULES = ['gpipe', '1f1b', 'interleaved'] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

/** One pass of a stage: forward or backward of micro-batch `mb` on its local chunk `chunk`. */
export interface ScheduleItem {
  readonly pass: 'F' | 'B';
  readonly mb: number;
  /** The stage's local chunk, 0..V-1 (global chunk chunk * p + stage). */
  readonly chunk: number;
}

/** RangeError unless the schedule can run p stages, m micro-batches and V chunks. */
export function checkSchedule(schedule: string, p: number, m: number, v: number): ScheduleName {
  if (!(SCHEDULES as readonly string[]).includes(schedule)) {
    throw new RangeError(`no schedule '${schedule}' (have: ${SCHEDULES.join(', ')})`);
  }
  for (const [name, x, max] of [
    ['stages', p, 64],
    ['microbatches', m, 1024],
    ['virtual', v, 16],
  ] as const) {
    if (!Number.isSafeInteger(x) || x < 1 || x > max) {
      throw new RangeError(`${name} ${x} must be a whole number from 1 to ${max}`);
    }
  }
  if (schedule !== 'interleaved' && v !== 1) {
    throw new RangeError(
      `virtual ${v}: only the interleaved schedule has more than 1 chunk a stage`,
    );
  }
  if (schedule === 'interleaved' && v > 1 && m % p !== 0) {
    throw new RangeError(`microbatches ${m} must be a multiple of stages ${p} for interleaved`);
  }
  return schedule as ScheduleName;
}

/** The order of passes of every stage: order[stage] = its items, first to last. */
export function pipelineSchedule(schedule: string, p: number, m: number, v = 1): ScheduleItem[][] {
  const name = checkSchedule(schedule, p, m, v);
  const stages = Array.from({ length: p }, (_, s) => s);
  const F = (mb: number, chunk = 0): ScheduleItem => ({ pass: 'F', mb, chunk });
  const B = (mb: number, chunk = 0): ScheduleItem => ({ pass: 'B', mb, chunk });
  const mbs = Array.from({ length: m }, (_, j) => j);
  if (name === 'gpipe') return stages.map(() => [...mbs.map((j) => F(j)), ...mbs.map((j) => B(j))]);
  if (name === '1f1b' || v === 1) {
    return stages.map((s) => {
      const warmup = Math.min(p - s - 1, m);
      const out = mbs.slice(0, warmup).map((j) => F(j));
      for (let i = 0; i < m - warmup; i++) out.push(F(warmup + i), B(i));
      for (let i = m - warmup; i < m; i++) out.push(B(i));
      return out;
    });
  }
  // Megatron-LM's interleaved order: virtual micro-batch k runs micro-batch
  // (k / (p V)) p + k % p on local chunk (k / p) % V forward, V - 1 - (k / p) % V backward.
  const total = m * v;
  const mbOf = (k: number) => Math.floor(k / (p * v)) * p + (k % p);
  const fwd = (k: number) => F(mbOf(k), Math.floor(k / p) % v);
  const bwd = (k: number) => B(mbOf(k), v - 1 - (Math.floor(k / p) % v));
  return stages.map((s) => {
    const warmup = Math.min((p - s - 1) * 2 + (v - 1) * p, total);
    const out: ScheduleItem[] = [];
    for (let k = 0; k < warmup; k++) out.push(fwd(k));
    for (let i = 0; i < total - warmup; i++) out.push(fwd(warmup + i), bwd(i));
    for (let i = total - warmup; i < total; i++) out.push(bwd(i));
    return out;
  });
}

/** The most (micro-batch, chunk) activations a stage holds at once: forwards not yet backward. */
export function peakInFlight(items: readonly ScheduleItem[]): number {
  let live = 0;
  let peak = 0;
  for (const it of items) {
    live += it.pass === 'F' ? 1 : -1;
    peak = Math.max(peak, live);
  }
  return peak;
}
