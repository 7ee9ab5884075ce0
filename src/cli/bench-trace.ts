// `fleetlab bench --trace FILE`: the runs bench made at its largest size (one per algorithm, out
// of place), one after another, as a Chrome trace:
//
//   with --fabric, the emulated face as `plan --trace` draws it (a process per rank, a thread
//   per stream, a slice per task, flows, link counters), each algorithm's slices prefixed by
//   its name;
//   always, the measured face: one process for the GPU, a slice per step. The executor runs all
//   ranks' moves of a step in one timed compute pass, so the GPU timed steps, not ranks; each
//   step's time is its median over the timed iterations, laid end to end (the executor submits
//   the steps back to back; the gaps between passes are not measured).
//
// Nothing is priced or timed here: the runner (src/run/run-plan.ts) gave both faces.
import type { Fabric } from '../fabric/fabric.ts';
import {
  type ChromeTrace,
  chromeTrace,
  endToEnd,
  type MeasuredSlice,
  measuredStepsName,
  withMeasured,
} from '../model/chrome-trace.ts';
import type { PlanRun } from '../run/run-plan.ts';

export interface BenchTraceRun {
  readonly algorithm: string;
  readonly run: PlanRun;
}

export interface BenchTraceAbout {
  readonly collective: string;
  readonly ranks: number;
  /** Timed iterations each step's median is over. */
  readonly iters: number;
  /** Bytes of the message traced (the largest size). */
  readonly bytes: number;
}

/** The measured steps of `runs`, one run after another, each step named for its algorithm. */
function measuredSteps(runs: readonly BenchTraceRun[]): MeasuredSlice[] {
  const slices: MeasuredSlice[] = [];
  let t = 0;
  for (const { algorithm, run } of runs) {
    const steps = run.measured.trace.steps.map((s) => ({
      name: `${algorithm}: step ${s.step} (${s.phase})`,
      seconds: s.gpu_s,
      cat: 'step',
      args: {
        part: algorithm,
        step: s.step,
        phase: s.phase,
        ops: s.ops.length,
        // Ops between two ranks; the rest stay on one rank (a local copy or reduce).
        transfers: s.ops.filter((op) => op.link !== null).length,
        bytes: s.ops.reduce((sum, op) => sum + op.bytes, 0),
      },
    }));
    const laid = endToEnd(steps, t);
    slices.push(...laid.slices);
    t = laid.end_s;
  }
  return slices;
}

/**
 * The trace of `runs` (each with its emulated face where `fabric` is given: the fabric the runs
 * were priced on, gamma and all).
 */
export function benchTrace(
  runs: readonly BenchTraceRun[],
  about: BenchTraceAbout,
  fabric?: Fabric,
): ChromeTrace {
  const parts = runs.flatMap(({ algorithm, run }) =>
    run.emulated
      ? [{ graph: run.emulated.graph, price: run.emulated.price, label: algorithm }]
      : [],
  );
  const emulated =
    fabric && parts.length === runs.length && parts.length > 0
      ? chromeTrace(parts, fabric, { command: 'bench' })
      : undefined;
  return withMeasured(
    emulated,
    [
      {
        name: measuredStepsName(about.ranks),
        threads: [
          {
            name: `steps, median of ${about.iters} iteration${about.iters === 1 ? '' : 's'} each, end to end`,
            slices: measuredSteps(runs),
          },
        ],
      },
    ],
    {
      command: 'bench',
      collective: about.collective,
      algorithms: runs.map((r) => r.algorithm),
      bytes: about.bytes,
      placement: 'out of place',
      // Each run's whole-plan median (not the sum of its steps' medians, which the slices are).
      measured_median_s: runs.map((r) => r.run.measured.median_s),
      ...(emulated ? { emulated_s: runs.map((r) => r.run.emulated?.time_s) } : {}),
    },
  );
}
