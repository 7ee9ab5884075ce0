// One training step of the page's state: with a GPU, run and checked against the f64 reference,
// each kernel timed alone, then priced on the fabric (src/run/training.ts, the code `fleetlab dp`
// and `fleetlab pp` use); without one, the same graph priced with kernels at an assumed rate,
// said on the page as modelled, not measured.
import { fabricPreset } from '../../fabric/fabric-presets.ts';
import type { GpuContext } from '../../gpu/device.ts';
import type { PipelineCache } from '../../gpu/pipelines.ts';
import type { ShaderLibrary } from '../../gpu/shader-library.ts';
import type { GpuTimer } from '../../gpu/timer.ts';
import { type GraphPrice, priceGraph } from '../../model/event-pricer.ts';
import { pipelineBubble, zeroBytesPerRank } from '../../model/training.ts';
import type { Graph } from '../../plans/graph.ts';
import { type MemoryBytes, memoryPerRank } from '../../plans/training/memory.ts';
import { paramCount } from '../../plans/training/mlp.ts';
import {
  measureTraining,
  type TrainingCheck,
  type TrainingSpec,
  trainingGraphs,
  trainingInfo,
} from '../../run/training.ts';
import { ASSUMED_DEVICE, assumedSeconds } from '../common/assumed-device.ts';
import type { TrainingState } from './state.ts';

export { ASSUMED_DEVICE };

export interface TrainingRun {
  readonly state: TrainingState;
  readonly graph: Graph;
  readonly price: GraphPrice;
  /** The GPU's check against the f64 reference (absent: no GPU, nothing was run). */
  readonly check?: TrainingCheck;
  readonly measured_s?: number;
  /** Data parallel: the step priced with every bucket after the whole backward pass. */
  readonly no_overlap_s?: number;
  readonly bubble?: { readonly emulated: number; readonly formula: number };
  /** Micro-batch activations in flight per stage, counted from the schedule (pp). */
  readonly peak_activations?: readonly number[];
  readonly memory: readonly MemoryBytes[];
  /** Data parallel: the same memory by the formula (f32 SGD: 4 B weight, 4 B gradient, no
   * optimizer state), beside the count from the plan's buffers. */
  readonly memory_formula_B?: number;
}

export interface TrainingGpu {
  readonly ctx: GpuContext;
  readonly shaders: ShaderLibrary;
  readonly cache: PipelineCache;
  readonly timer: GpuTimer;
}

/** The builders' spec of a page state. */
export function specOf(s: TrainingState): TrainingSpec {
  const mlp = { layers: s.layers, d: s.d, batch: s.batch };
  if (s.mode === 'pp') {
    return {
      mode: 'pp',
      ...mlp,
      stages: s.stages,
      microbatches: s.microbatches,
      schedule: s.schedule,
      virtual: s.virtual,
    };
  }
  return {
    mode: 'dp',
    ...mlp,
    ranks: s.ranks,
    bucketBytes: s.bucket,
    overlap: s.overlap === 1,
    zero: s.zero as 0 | 1 | 2 | 3,
  };
}

/** Runs (with a GPU) or prices (without) the step of `s`. RangeError on a state no plan has. */
export async function runTraining(s: TrainingState, gpu?: TrainingGpu): Promise<TrainingRun> {
  const spec = specOf(s);
  const ranks = spec.mode === 'pp' ? spec.stages : spec.ranks;
  const preset = fabricPreset(s.fabric);
  const built = preset.build(ranks);
  let graph: Graph;
  let price: GraphPrice;
  let no_overlap_s: number | undefined;
  let check: TrainingCheck | undefined;
  let measured_s: number | undefined;
  if (gpu) {
    const m = await measureTraining(
      gpu,
      spec,
      { fabric: preset.name, built, link: preset.link },
      { reps: 1, timer: gpu.timer },
    );
    ({ graph, check, measured_s } = m);
    price = m.emulated.price;
    no_overlap_s = m.emulated_no_overlap_s;
  } else {
    const graphs = trainingGraphs(spec);
    graph = graphs.graph;
    price = priceGraph(graph, built, { kernelSeconds: assumedSeconds });
    if (graphs.serial) {
      no_overlap_s = priceGraph(graphs.serial, built, { kernelSeconds: assumedSeconds }).total_s;
    }
  }
  const info = trainingInfo(graph);
  const pp = info.pipeline;
  const busy = price.compute_busy_s.reduce((a, b) => a + b, 0);
  const zero = (spec.mode === 'dp' ? (spec.zero ?? 0) : 0) as 0 | 1 | 2 | 3;
  const memory = memoryPerRank(info);
  return {
    state: s,
    graph,
    price,
    ...(check ? { check } : {}),
    ...(measured_s !== undefined ? { measured_s } : {}),
    ...(no_overlap_s !== undefined ? { no_overlap_s } : {}),
    ...(pp
      ? {
          bubble: {
            emulated: price.total_s > 0 ? 1 - busy / (pp.stages * price.total_s) : 0,
            formula: pipelineBubble(pp.stages, pp.microbatches, pp.virtual),
          },
          peak_activations: pp.peak_activations,
        }
      : {}),
    memory,
    ...(spec.mode === 'dp'
      ? {
          memory_formula_B: zeroBytesPerRank(paramCount(spec), spec.ranks, zero, 8, {
            weight: 4,
            grad: 4,
          }).total,
        }
      : {}),
  };
}
