// A training step run on this GPU and checked: every rank's gradient (after the AllReduce) and
// updated parameters against the f64 reference within its derived bound
// (src/exec/training/reference.ts). The CLI's `dp`, the training page and the bench build on it.
import { GraphExecutor } from '../exec/executor/graph.ts';
import {
  scatterTrainingInputs,
  type TrainingInputs,
  trainingInputs,
} from '../exec/training/inputs.ts';
import { checkBounded, trainingReference } from '../exec/training/reference.ts';
import type { Graph } from '../plans/graph.ts';
import type { TrainingInfo } from '../plans/plan.ts';
import type { RunContext } from './run-plan.ts';

export interface TrainingCheck {
  /** Elements of any rank's gradient or parameters outside the bound. */
  readonly wrong: number;
  /** The largest |gpu - reference| over every rank's updated parameters, and its bound there. */
  readonly max_abs_err: number;
  readonly bound: number;
  readonly ok: boolean;
  /** The loss of the step's forward pass (f64, the whole batch). */
  readonly loss: number;
}

/** The training info of a graph, or a RangeError: only training plans have one. */
export function trainingInfo(graph: Graph): TrainingInfo {
  if (graph.info.kind !== 'training') {
    throw new RangeError(`a ${graph.info.kind} plan is not a training step`);
  }
  return graph.info.training;
}

/** Runs the step once on the GPU (from seeded inputs unless given) and checks every rank. */
export async function checkTrainingStep(
  run: RunContext,
  graph: Graph,
  options: { readonly seed?: number; readonly inputs?: TrainingInputs } = {},
): Promise<TrainingCheck> {
  const info = trainingInfo(graph);
  const inputs = options.inputs ?? trainingInputs(info, options.seed ?? 1);
  const exec = new GraphExecutor(run.ctx, run.shaders, graph, undefined, run.cache);
  try {
    await exec.prepare();
    exec.upload(scatterTrainingInputs(graph, info, inputs));
    await exec.runUntimed();
    const got = await exec.download();
    const ref = trainingReference(info, inputs);
    let wrong = 0;
    let max_abs_err = 0;
    let bound = 0;
    for (const own of got) {
      wrong += checkBounded(own.grad as Float32Array, ref.grad).wrong;
      const params = checkBounded(own.params as Float32Array, ref.params);
      wrong += params.wrong;
      max_abs_err = Math.max(max_abs_err, params.max_abs_err);
      bound = Math.max(bound, params.max_bound);
    }
    return { wrong, max_abs_err, bound, ok: wrong === 0, loss: ref.loss };
  } finally {
    exec.destroy();
  }
}
