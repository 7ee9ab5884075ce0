// One MoE layer of the page's state: with a GPU, run and checked on it and priced with its kernel
// times (src/run/moe.ts, what `fleetlab moe` runs); without one, the same graphs run by the CPU
// interpreter (the kernels' oracles), checked against the f64 layer all the same, and priced
// with kernels at an assumed rate: said on the page as interpreted and modelled, not measured.
import { moeInputs } from '../../exec/experts/inputs.ts';
import { type GraphBuffers, interpretGraph } from '../../exec/interpreter/graph.ts';
import { fabricPreset } from '../../fabric/fabric-presets.ts';
import type { GpuContext } from '../../gpu/device.ts';
import type { PipelineCache } from '../../gpu/pipelines.ts';
import type { ShaderLibrary } from '../../gpu/shader-library.ts';
import type { GpuTimer } from '../../gpu/timer.ts';
import { checkMoeSpec, type MoeLayout, type MoeSpec } from '../../plans/experts/moe-layer.ts';
import type { Routing } from '../../plans/experts/routing.ts';
import type { Graph } from '../../plans/graph.ts';
import { type MoeCheck, type MoePrice, priceMoe, routeAndCheck, runMoe } from '../../run/moe.ts';
import { ASSUMED_DEVICE, assumedSeconds } from '../common/assumed-device.ts';
import type { ExpertsState } from './state.ts';

export { ASSUMED_DEVICE };

export interface ExpertsGpu {
  readonly ctx: GpuContext;
  readonly shaders: ShaderLibrary;
  readonly cache: PipelineCache;
  readonly timer: GpuTimer;
}

export interface ExpertsRun extends MoePrice {
  readonly state: ExpertsState;
  readonly spec: MoeSpec;
  readonly routing: Routing;
  readonly layout: MoeLayout;
  readonly check: MoeCheck;
  /** Whether the GPU ran it (else the CPU interpreter, kernels priced at ASSUMED_DEVICE). */
  readonly measured: boolean;
  readonly measured_s?: number;
}

/** The layer's spec of a page state (RangeError naming a value no layer has). */
export function expertsSpec(s: ExpertsState): MoeSpec {
  return checkMoeSpec({
    ranks: s.ranks,
    experts: s.experts,
    topK: s.topk,
    tokens: s.tokens,
    d: s.d,
    hidden: 2 * s.d,
    capacityFactor: s.capacity,
    skew: s.skew,
    algorithm: s.algo,
  });
}

export async function runExperts(s: ExpertsState, gpu?: ExpertsGpu): Promise<ExpertsRun> {
  const spec = expertsSpec(s);
  const preset = fabricPreset(s.fabric);
  const fabric = { fabric: preset.name, built: preset.build(spec.ranks), link: preset.link };
  if (gpu) {
    const m = await runMoe(gpu, spec, fabric, { reps: 1, seed: s.seed, timer: gpu.timer });
    const { step_s, ...rest } = m;
    return {
      ...rest,
      step_s: { emulated: step_s.emulated, analytic: step_s.analytic },
      state: s,
      measured: true,
      measured_s: step_s.measured,
    };
  }
  // The same graphs, routed and checked the same way, run by the CPU interpreter.
  const interpreted = async (graph: Graph, buffers: GraphBuffers) => interpretGraph(graph, buffers);
  const c = await routeAndCheck(spec, moeInputs(spec, s.seed), interpreted);
  const { routing, layout, router, layer } = c;
  return {
    ...priceMoe(spec, routing, layout, router, layer, fabric, assumedSeconds, assumedSeconds),
    state: s,
    spec,
    routing,
    layout,
    check: c.check,
    measured: false,
  };
}
