// A failed run priced on a fabric (the emulated face of src/plans/failure.ts):
//
//   before      what ran, priced as it ran (its work is lost: the survivors start again);
//   stall       each survivor's last task ends: from then on it waits on the dead rank;
//   detected    the last survivor to stall times out: max over survivors of stall + timeout;
//   after       the re-forming (the votes' AllGather), then the rerun on the survivors,
//               priced from `detected` on.
//
// Choices, and why: the re-forming starts when the last survivor has timed out, not when each
// one has: it is a collective of all the survivors, so its first exchange waits for its
// slowest member anyway, and a survivor that timed out early cannot know the others have. The
// timeout is the caller's number (NCCL's is its NCCL_TIMEOUT-style watchdog, seconds to
// minutes; a heartbeat-based detector, milliseconds): fleetlab does not guess it.
import type { Fabric } from '../fabric/fabric.ts';
import type { FailedRun } from '../plans/failure.ts';
import { type GraphPrice, type PriceGraphOptions, priceGraph } from './event-pricer.ts';

export interface FailurePrice {
  readonly before: GraphPrice;
  readonly after: GraphPrice;
  /** Seconds from the start at which each rank had nothing left it could do (NaN: the failed one). */
  readonly stall_s: Float64Array;
  /** When the failed rank's last task ended (0 if it ran none). */
  readonly failed_at_s: number;
  /** When every survivor has timed out: the re-forming starts. */
  readonly detected_s: number;
  readonly detect_timeout_s: number;
  /** The re-forming's seconds (from detected_s to its last task's end). */
  readonly reform_s: number;
  /** The rerun's seconds, after the re-forming. */
  readonly rerun_s: number;
  /** Start to the survivors' result. */
  readonly total_s: number;
  /** The same plan without the failure. */
  readonly without_s: number;
}

export function priceFailure(
  run: FailedRun,
  fabric: Fabric,
  detect_timeout_s: number,
  options: PriceGraphOptions = {},
): FailurePrice {
  if (!(detect_timeout_s >= 0) || !Number.isFinite(detect_timeout_s)) {
    throw new RangeError(`detect timeout ${detect_timeout_s} s must be a finite number >= 0`);
  }
  const before = priceGraph(run.before, fabric, options);
  const after = priceGraph(run.after, fabric, options);
  const without = priceGraph(run.original, fabric, options);
  const stall = new Float64Array(run.original.ranks);
  let failed_at_s = 0;
  for (const t of run.before.tasks) {
    const end = before.end_s[t.id] as number;
    const ranks = t.kind === 'move' ? [t.rank, t.src.rank] : [t.rank];
    for (const r of ranks) {
      stall[r] = Math.max(stall[r] as number, end);
      if (r === run.failure.rank) failed_at_s = Math.max(failed_at_s, end);
    }
  }
  stall[run.failure.rank] = Number.NaN;
  const lastStall = Math.max(0, ...run.survivors.map((r) => stall[r] as number));
  const detected_s = lastStall + detect_timeout_s;
  let reform_s = 0;
  for (let id = 0; id < run.reformTasks; id++) {
    reform_s = Math.max(reform_s, after.end_s[id] as number);
  }
  return {
    before,
    after,
    stall_s: stall,
    failed_at_s,
    detected_s,
    detect_timeout_s,
    reform_s,
    rerun_s: after.total_s - reform_s,
    total_s: detected_s + after.total_s,
    without_s: without.total_s,
  };
}
