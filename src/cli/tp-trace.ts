// `fleetlab tp --trace FILE`: the layer at the largest rank count the run measured, as a Chrome
// trace:
//
//   the emulated face: N devices as fast as this GPU, each rank's kernels at the seconds they
//   took with the rank alone on the GPU, the collective priced on the fabric (what the
//   'emulated' column is), drawn as `plan --trace` draws a graph;
//   the measured face: one process for the GPU, a slice per step. Every rank runs on this one
//   GPU in the same pass, so the GPU timed steps, not ranks (each rank's kernels timed alone are
//   in the step's args, as the emulated ranks use them); each step's median over the reps, laid
//   end to end.
import type { Fabric } from '../fabric/fabric.ts';
import {
  type ChromeTrace,
  chromeTrace,
  endToEnd,
  measuredStepsName,
  withMeasured,
} from '../model/chrome-trace.ts';
import { graphOf } from '../plans/from-steps.ts';
import { emulatedFace } from '../run/faces.ts';
import type { TpMeasurement } from '../run/tp-measure.ts';

/**
 * The emulated face of `m` priced again on `fabric` (TpMeasurement keeps each step's seconds,
 * not the timeline): each step's kernels on a rank share that rank's time alone evenly, as
 * measureTensorParallel prices them. A total that differs from the measurement's is an error,
 * not a trace that disagrees with the table printed beside it.
 */
function emulatedOf(m: TpMeasurement, fabric: Fabric) {
  const { plan, kernel_s } = m;
  const graph = graphOf(plan);
  const face = emulatedFace(graph, fabric, {
    kernelSeconds: (task) => {
      const s = graph.stepOf[task.id] as number;
      const onRank = plan.steps[s]?.kernels?.filter((k) => k.rank === task.rank).length ?? 1;
      return ((kernel_s[s]?.[task.rank] as number) ?? 0) / onRank;
    },
  });
  const want = m.emulated.total_s;
  if (Math.abs(face.time_s - want) > 1e-9 * Math.max(want, 1e-12)) {
    throw new Error(
      `tp trace: the timeline priced again ends at ${face.time_s} s, the measurement's at ${want} s`,
    );
  }
  return face;
}

export function tpTrace(
  m: TpMeasurement,
  fabric: Fabric,
  about: Readonly<Record<string, unknown>> = {},
): ChromeTrace {
  const { plan } = m;
  const face = emulatedOf(m, fabric);
  const emulated = chromeTrace([{ graph: face.graph, price: face.price }], fabric, {
    command: 'tp',
  });
  const steps = plan.steps.map((step, i) => ({
    name: `step ${i} (${step.phase})`,
    seconds: m.measured_steps_s[i] as number,
    cat: 'step',
    args: {
      step: i,
      phase: step.phase,
      kernels: step.kernels?.length ?? 0,
      moves: step.ops.length,
      // Each rank's kernels of this step timed with the rank alone (null: none on that rank).
      rank_alone_s: (m.kernel_s[i] ?? []).map((t) => (Number.isFinite(t) ? t : null)),
    },
  }));
  return withMeasured(
    emulated,
    [
      {
        name: measuredStepsName(plan.ranks),
        threads: [{ name: 'steps, medians end to end', slices: endToEnd(steps).slices }],
      },
    ],
    {
      command: 'tp',
      layout: plan.layer?.layout,
      ranks: plan.ranks,
      measured_s: m.measured_s,
      emulated_s: m.emulated.total_s,
      ...about,
    },
  );
}
