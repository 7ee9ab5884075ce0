// A MoE layer run on this GPU and checked: the router's logits, the routing the host makes of
// them, the layer built for that routing and run, the result and the dropped copies against the
// unsharded f64 reference (src/exec/experts/reference.ts); then timed, and priced on a fabric.
//
//   measured   GPU seconds of the router and of the layer, every rank on this GPU in turn
//   emulated   both graphs on the fabric by the event-driven pricer, each kernel at its time
//              measured here, the hot expert's rank and all
//   analytic   the balanced formula: the router, dispatch and combine as the closed form of an
//              AllToAllv whose counts are all the mean (src/model/alltoallv.ts), and each rank
//              computing the mean rank's share of the experts' kernel time
//
// so emulated - analytic is what the imbalance costs on that fabric.
import { GraphExecutor } from '../exec/executor/graph.ts';
import {
  gatherBuffer,
  type MoeInputs,
  moeInputs,
  scatterLayerInputs,
  scatterRouterInputs,
} from '../exec/experts/inputs.ts';
import { checkMoeOutput, type MoeCheck, moeReference } from '../exec/experts/reference.ts';
import type { GraphBuffers } from '../exec/interpreter/graph.ts';
import { median } from '../exec/measure/median.ts';
import { type Straggler, slowFabric, slowKernels } from '../fabric/stragglers.ts';
import { GpuTimer } from '../gpu/timer.ts';
import { allToAllvSeconds, balancedCounts } from '../model/alltoallv.ts';
import { type GraphPrice, priceGraph } from '../model/event-pricer.ts';
import {
  type MoeLayout,
  type MoeSpec,
  moeLayerGraph,
  moeLayout,
  moeRouterGraph,
} from '../plans/experts/moe-layer.ts';
import { type Routing, routeTokens } from '../plans/experts/routing.ts';
import type { Graph, Task } from '../plans/graph.ts';
import type { RunContext } from './run-plan.ts';

export type { MoeCheck };

import type { TrainingFabric } from './training.ts';

export interface MoeRun {
  readonly spec: MoeSpec;
  readonly check: MoeCheck;
  readonly routing: Routing;
  /** Where every kept copy lies in the layer's buffers (moeLayout of the routing). */
  readonly layout: MoeLayout;
  readonly router: Graph;
  readonly layer: Graph;
  /** The router's and the layer's emulated timelines (one after the other). */
  readonly prices: { readonly router: GraphPrice; readonly layer: GraphPrice };
  /** Copies each rank computes (its experts' rows). */
  readonly tokens_per_rank: readonly number[];
  /** Bytes that cross between ranks in dispatch and in combine (a rank's own rows stay). */
  readonly alltoall_bytes: { readonly dispatch: number; readonly combine: number };
  /** max / mean of the copies per expert and per rank (1: balanced). */
  readonly imbalance: { readonly experts: number; readonly ranks: number };
  readonly step_s: {
    readonly measured: number;
    readonly emulated: number;
    readonly analytic: number;
  };
  /** The emulated step's parts: the dispatch and combine AllToAllv closed forms, actual and balanced. */
  readonly alltoall_s: { readonly actual: number; readonly balanced: number };
}

const maxOverMean = (xs: readonly number[]) => {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return mean > 0 ? Math.max(...xs) / mean : 1;
};

/** Runs a graph from its buffers and returns what it left: on the GPU, or the CPU interpreter. */
export type ExecuteGraph = (graph: Graph, buffers: GraphBuffers) => Promise<GraphBuffers>;

/** Seconds of a graph timed on the GPU: the whole graph and each kernel task (NaN: a move). */
interface GraphTimes {
  readonly total_s: number;
  readonly kernel_s: Float64Array;
}

/**
 * Graphs on this GPU, one executor each: run once and read back, then (with `timing`) timed
 * `reps` times whole and kernel by kernel on the same executor, the medians kept by graph.
 */
function onGpu(
  run: RunContext,
  timing?: {
    readonly reps: number;
    readonly timer: GpuTimer;
    readonly into: Map<Graph, GraphTimes>;
  },
): ExecuteGraph {
  return async (graph, buffers) => {
    const exec = new GraphExecutor(run.ctx, run.shaders, graph, undefined, run.cache);
    try {
      await exec.prepare();
      exec.upload(buffers);
      await exec.runUntimed();
      const out = await exec.download();
      if (timing) {
        const totals: number[] = [];
        const per: Float64Array[] = [];
        for (let i = 0; i < timing.reps; i++) {
          totals.push((await exec.run(timing.timer)).reduce((x, y) => x + y, 0));
          per.push(await exec.timeEachKernel(timing.timer));
        }
        const kernel_s = new Float64Array(graph.tasks.length);
        for (const t of graph.tasks) {
          kernel_s[t.id] =
            t.kind === 'kernel' ? median(per.map((p) => p[t.id] as number)) : Number.NaN;
        }
        timing.into.set(graph, { total_s: median(totals), kernel_s });
      }
      return out;
    } finally {
      exec.destroy();
    }
  };
}

/** What routing and running a layer gives, checked against the f64 reference. */
export interface MoeChecked {
  readonly check: MoeCheck;
  readonly routing: Routing;
  readonly layout: MoeLayout;
  readonly router: Graph;
  readonly layer: Graph;
}

/**
 * The router run, its logits routed on the host, the layer built for that routing and run, and
 * the output and routing held to the reference; `execute` runs each graph (GPU or CPU).
 */
export async function routeAndCheck(
  spec: MoeSpec,
  inputs: MoeInputs,
  execute: ExecuteGraph,
): Promise<MoeChecked> {
  const router = moeRouterGraph(spec);
  const logits = gatherBuffer(
    await execute(router, scatterRouterInputs(router, spec, inputs)),
    'logits',
  );
  const routing = routeTokens(logits, spec);
  const layer = moeLayerGraph(spec, routing);
  const layout = moeLayout(spec, routing);
  const out = gatherBuffer(
    await execute(layer, scatterLayerInputs(layer, spec, inputs, layout)),
    'out',
  );
  return {
    check: checkMoeOutput(out, routing, moeReference(spec, inputs)),
    routing,
    layout,
    router,
    layer,
  };
}

/** Router and layer run once on the GPU and checked against the reference. */
export function checkMoe(run: RunContext, spec: MoeSpec, inputs: MoeInputs): Promise<MoeChecked> {
  return routeAndCheck(spec, inputs, onGpu(run));
}

export async function runMoe(
  run: RunContext,
  spec: MoeSpec,
  fabric: TrainingFabric,
  options: {
    readonly reps?: number;
    readonly seed?: number;
    readonly timer?: GpuTimer;
    /** Ranks slowed in the emulated face (their kernels and outgoing links). */
    readonly stragglers?: readonly Straggler[];
  } = {},
): Promise<MoeRun> {
  const reps = options.reps ?? 3;
  if (!Number.isInteger(reps) || reps < 1 || reps > 1000) {
    throw new RangeError(`reps ${reps} must be a whole number from 1 to 1000`);
  }
  const inputs = moeInputs(spec, options.seed ?? 1);
  const timer = options.timer ?? new GpuTimer(run.ctx);
  const times = new Map<Graph, GraphTimes>();
  let checked: MoeChecked;
  try {
    // One executor a graph for the check and the timing: pipelines and bind groups built once.
    checked = await routeAndCheck(spec, inputs, onGpu(run, { reps, timer, into: times }));
  } finally {
    if (!options.timer) timer.destroy();
  }
  const { check, routing, layout, router, layer } = checked;
  const r = times.get(router) as GraphTimes;
  const l = times.get(layer) as GraphTimes;
  const seconds = (k: Float64Array) => (t: { id: number }) => {
    const v = k[t.id] as number;
    return Number.isFinite(v) ? v : 0;
  };
  const slow = options.stragglers ?? [];
  const priced = priceMoe(
    spec,
    routing,
    layout,
    router,
    layer,
    { ...fabric, built: slowFabric(fabric.built, slow) },
    slowKernels<Task>(seconds(r.kernel_s), slow),
    slowKernels<Task>(seconds(l.kernel_s), slow),
  );
  return {
    spec,
    check,
    routing,
    layout,
    router,
    layer,
    ...priced,
    step_s: { ...priced.step_s, measured: r.total_s + l.total_s },
  };
}

/** What pricing a routed layer gives (runMoe's figures but the measured time). */
export interface MoePrice {
  /** The router's and the layer's emulated timelines (one after the other). */
  readonly prices: { readonly router: GraphPrice; readonly layer: GraphPrice };
  readonly tokens_per_rank: readonly number[];
  readonly alltoall_bytes: MoeRun['alltoall_bytes'];
  readonly imbalance: MoeRun['imbalance'];
  readonly step_s: { readonly emulated: number; readonly analytic: number };
  readonly alltoall_s: MoeRun['alltoall_s'];
}

/**
 * Router and layer priced on the fabric with the kernels' seconds given (measured here, or an
 * assumed device's), beside the balanced formula; the counts and imbalance of the routing.
 */
export function priceMoe(
  spec: MoeSpec,
  routing: Routing,
  layout: MoeLayout,
  router: Graph,
  layer: Graph,
  fabric: TrainingFabric,
  routerSeconds: (task: Task) => number,
  layerSeconds: (task: Task) => number,
): MoePrice {
  const prices = {
    router: priceGraph(router, fabric.built, { kernelSeconds: routerSeconds }),
    layer: priceGraph(layer, fabric.built, { kernelSeconds: layerSeconds }),
  };
  const emulated = prices.router.total_s + prices.layer.total_s;
  const N = spec.ranks;
  const Er = spec.experts / N;
  const perRank = Array.from({ length: N }, (_, j) =>
    routing.tokens_per_expert.slice(j * Er, (j + 1) * Er).reduce((s, c) => s + c, 0),
  );
  // The balanced formula's parts, on the busiest rank's kernels for the router.
  const kernelsOf = (g: Graph, k: (task: Task) => number, match: (label: string) => boolean) =>
    Array.from({ length: N }, (_, rank) =>
      g.tasks.reduce(
        (s, t) => (t.kind === 'kernel' && t.rank === rank && match(t.label) ? s + k(t) : s),
        0,
      ),
    );
  const routerRank = Math.max(...kernelsOf(router, routerSeconds, () => true));
  const expertsRank = kernelsOf(layer, layerSeconds, (label) => label.startsWith('expert'));
  const meanExperts = expertsRank.reduce((s, x) => s + x, 0) / N;
  const elements = layout.rows.map((row) => row.map((c) => c * spec.d));
  const form = { alpha_s: fabric.link.alpha_s, beta_Bps: fabric.link.beta_Bps, elementBytes: 4 };
  const transposed = elements.map((_, i) => elements.map((row) => row[i] as number));
  const actual =
    (allToAllvSeconds(spec.algorithm, elements, form) ?? 0) +
    (allToAllvSeconds(spec.algorithm, transposed, form) ?? 0);
  const balanced = 2 * (allToAllvSeconds(spec.algorithm, balancedCounts(elements), form) ?? 0);
  let crossing = 0;
  layout.rows.forEach((row, i) => {
    row.forEach((c, j) => {
      if (i !== j) crossing += c * spec.d * 4;
    });
  });
  return {
    prices,
    tokens_per_rank: perRank,
    alltoall_bytes: { dispatch: crossing, combine: crossing },
    imbalance: { experts: maxOverMean(routing.tokens_per_expert), ranks: maxOverMean(perRank) },
    step_s: { emulated, analytic: routerRank + balanced + meanExperts },
    alltoall_s: { actual, balanced },
  };
}
