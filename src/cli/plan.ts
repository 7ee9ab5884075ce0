// `fleetlab plan`: a plan as data, read without a GPU. It builds the plan (a collective's
// builder or a tensor-parallel layer), lists it as a graph of tasks (graphOf), validates the
// graph, prices it with the event-driven pricer on a fabric preset and sets the closed form
// beside it, timing each stage: the same path a fleet-sized plan takes before any GPU sees it.
import { writeFileSync } from 'node:fs';
import type { Fabric } from '../fabric/fabric.ts';
import { type Straggler, slowFabric, slowKernels } from '../fabric/stragglers.ts';
import { chromeTrace } from '../model/chrome-trace.ts';
import { closedForm } from '../model/closed-forms.ts';
import { type GraphPrice, priceGraph } from '../model/event-pricer.ts';
import { type FailurePrice, priceFailure } from '../model/failure.ts';
import { pricePlan } from '../model/pricer.ts';
import { formatBandwidth, formatBytes, formatSeconds } from '../model/units.ts';
import { DTYPE_INFO } from '../plans/dtype.ts';
import { type FailedRun, failedAllReduce, parseFailure } from '../plans/failure.ts';
import { graphOf } from '../plans/from-steps.ts';
import { type Graph, waveOf } from '../plans/graph.ts';
import type { Plan } from '../plans/plan.ts';
import { builderFor } from '../plans/registry.ts';
import { tensorParallel } from '../plans/tensor-parallel.ts';
import { planOf } from '../plans/to-steps.ts';
import { validateGraph } from '../plans/validate-graph.ts';
import { analyticFailure, checkFailure } from '../run/failure.ts';
import { UsageError } from './args.ts';
import { MAX_TEXT_RANKS, type PlanArgs, parsePlanArgs } from './plan-args.ts';
import { waveLines } from './plan-text.ts';
import { writeTrace } from './run-flags.ts';

export { PLAN_USAGE } from './plan-args.ts';

/** Every figure `fleetlab plan` prints, as its JSON carries them (seconds, bytes). */
export interface PlanReport {
  readonly command: 'plan';
  readonly what: string;
  readonly collective: string;
  readonly algorithm: string;
  readonly ranks: number;
  readonly fabric: string;
  readonly link: { readonly alpha_s: number; readonly beta_Bps: number };
  readonly tasks: number;
  readonly moves: number;
  readonly kernels: number;
  readonly waves: number;
  /** Bytes of every move (a byte crossing two links counts once). */
  readonly bytes_moved: number;
  readonly bytes_max_link: number;
  readonly max_link: string | null;
  readonly links_used: number;
  /** Tasks on the critical path, first to last. */
  readonly critical_path: number;
  readonly critical_path_ids: readonly number[];
  readonly emulated_s: number;
  /** With --straggler: the emulated time without them, and the slowdown emulated (the event
   * pricer) and as the lock-step schedule predicts it (every step waits for its slowest op). */
  readonly stragglers?: {
    readonly ranks: readonly Straggler[];
    readonly emulated_without_s: number;
    readonly slowdown: number;
    readonly schedule_slowdown: number;
  };
  /** With --fail: the failure, the survivors' recovery priced, and its check. */
  readonly failure?: FailureFigures;
  /** The closed form on the preset's bottleneck link; null where there is none. */
  readonly analytic_s: number | null;
  readonly comm_s: number;
  readonly hidden_comm_s: number;
  readonly overlap: number;
  readonly bubble_s: number;
  /** Building: the builder's steps (steps_s) and listing them as a graph (graph_s). */
  readonly build_s: number;
  readonly steps_s: number;
  readonly graph_s: number;
  readonly validate_s: number;
  readonly price_s: number;
  /** The process's resident memory after pricing. */
  readonly rss_bytes: number;
  readonly wave_text?: readonly string[];
  readonly [extra: string]: unknown;
}

const seconds = (t0: number, t1: number) => (t1 - t0) / 1e3;

/** Seconds of the emulated failure run, its parts, and the CPU check of the survivors' result. */
export interface FailureFigures {
  readonly rank: number;
  readonly wave: number;
  readonly waves: number;
  readonly survivors: readonly number[];
  readonly tasks_ran: number;
  readonly tasks_lost: number;
  readonly detect_timeout_s: number;
  readonly failed_at_s: number;
  readonly stalled_s: number;
  readonly detected_s: number;
  readonly reform_s: number;
  readonly rerun_s: number;
  readonly emulated_s: number;
  readonly emulated_without_s: number;
  readonly slowdown: number;
  readonly analytic_s: number | null;
  /** The interpreter on small integers: survivors' elements that differ from the reduction
   * over the survivors' inputs (null: not checked, the plan is too large to interpret). */
  readonly wrong: number | null;
  readonly members_agree: boolean | null;
}

/** Plans of at most this many elements in all are checked on the CPU under --fail. */
const MAX_CHECKED_ELEMENTS = 2 ** 22;

function failureOf(args: PlanArgs, graph: Graph, fabric: Fabric) {
  if (args.kind !== 'collective' || !args.fail) return undefined;
  const waves = Math.max(0, ...waveOf(graph)) + 1;
  let run: FailedRun;
  try {
    run = failedAllReduce(
      args.algorithm,
      args.spec,
      parseFailure(args.fail.text, args.spec.ranks, waves),
    );
  } catch (e) {
    throw e instanceof RangeError ? new UsageError(`--fail: ${e.message}`) : e;
  }
  const detect = args.fail.detect_s;
  const price = priceFailure(run, fabric, detect);
  const checked = args.spec.count * args.spec.ranks <= MAX_CHECKED_ELEMENTS;
  const check = checked ? checkFailure(run) : undefined;
  const stalled = Math.max(0, ...run.survivors.map((r) => price.stall_s[r] as number));
  const figures: FailureFigures = {
    rank: run.failure.rank,
    wave: run.failure.wave,
    waves,
    survivors: run.survivors,
    tasks_ran: run.ran.length,
    tasks_lost: graph.tasks.length - run.ran.length,
    detect_timeout_s: detect,
    failed_at_s: price.failed_at_s,
    stalled_s: stalled,
    detected_s: price.detected_s,
    reform_s: price.reform_s,
    rerun_s: price.rerun_s,
    emulated_s: price.total_s,
    emulated_without_s: price.without_s,
    slowdown: price.without_s > 0 ? price.total_s / price.without_s : 1,
    analytic_s: analyticFailure(run, args.algorithm, detect, args.preset.link) ?? null,
    wrong: check ? check.wrong : null,
    members_agree: check ? check.members === undefined : null,
  };
  return { run, price, figures };
}

/**
 * The plan of `args`, what its header says, and its analytic face from its graph: the closed
 * form of a collective; for a layer (Fleet Law's face) the busiest rank's kernels one after
 * another, then the closed form of its collective over the layer's result.
 */
function build(args: PlanArgs): {
  plan: Plan;
  fields: Pick<PlanReport, 'what' | 'collective' | 'algorithm'> & Record<string, unknown>;
  analytic: (graph: Graph) => number | null;
} {
  const link = { alpha: args.preset.link.alpha_s, beta: args.preset.link.beta_Bps };
  if (args.kind === 'collective') {
    const { spec, collective, algorithm } = args;
    const plan = builderFor(collective, algorithm)(spec);
    const bytes = spec.count * DTYPE_INFO[spec.dtype].bytes;
    let analytic_s: number | null = null;
    try {
      analytic_s = closedForm(collective, algorithm, spec.ranks, bytes, link).time;
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
    }
    const fields = {
      what: `${collective} ${algorithm}`,
      collective,
      algorithm,
      count: spec.count,
      dtype: spec.dtype,
      bytes,
      in_place: spec.inPlace,
      ...(collective === 'broadcast' || collective === 'reduce' ? { root: spec.root } : {}),
    };
    return { plan, fields, analytic: () => analytic_s };
  }
  const plan = tensorParallel(args.spec);
  const layer = plan.layer;
  if (!layer) throw new Error('a tensor-parallel plan without its layer');
  const [rows, cols] = layer.tensors[layer.result] as readonly [number, number];
  const comm = layer.comm;
  const comm_s =
    comm && plan.ranks > 1
      ? closedForm(comm.collective, comm.algorithm, plan.ranks, 4 * rows * cols, link).time
      : 0;
  const fields = {
    what: `tp ${layer.layout}`,
    collective: 'tensor-parallel',
    algorithm: plan.algorithm,
    layer: { layout: layer.layout, m: layer.m, k: layer.k, n: layer.n, comm },
    kernel_s: args.kernel_s,
  };
  const analytic = (graph: Graph) => {
    const perRank = new Int32Array(graph.ranks);
    for (const t of graph.tasks)
      if (t.kind === 'kernel') perRank[t.rank] = (perRank[t.rank] as number) + 1;
    return Math.max(0, ...perRank) * args.kernel_s + comm_s;
  };
  return { plan, fields, analytic };
}

function linkFigures(price: GraphPrice) {
  let max = -1;
  let used = 0;
  price.link_bytes.forEach((b, i) => {
    if (b > 0) used++;
    if (max < 0 || b > (price.link_bytes[max] as number)) max = i;
  });
  const bytes = max < 0 ? 0 : (price.link_bytes[max] as number);
  return {
    bytes_max_link: bytes,
    max_link: bytes > 0 ? (price.links[max] as string) : null,
    links_used: used,
  };
}

function graphFigures(graph: Graph) {
  const bytesPerElement = DTYPE_INFO[graph.dtype].bytes;
  let moves = 0;
  let bytes_moved = 0;
  for (const t of graph.tasks) {
    if (t.kind !== 'move') continue;
    moves++;
    bytes_moved += t.count * bytesPerElement;
  }
  let waves = 0;
  for (const w of waveOf(graph)) waves = Math.max(waves, w + 1);
  return {
    tasks: graph.tasks.length,
    moves,
    kernels: graph.tasks.length - moves,
    waves,
    bytes_moved,
  };
}

export function planReport(args: PlanArgs): PlanReport {
  return pricedPlan(args).report;
}

/** The report, and the graph as priced on the fabric (for --trace). */
export function pricedPlan(args: PlanArgs): {
  report: PlanReport;
  graph: Graph;
  price: GraphPrice;
  fabric: Fabric;
  failure?: { run: FailedRun; price: FailurePrice };
} {
  const ranks = args.spec.ranks;
  const fabric = args.preset.build(ranks);
  const t0 = performance.now();
  // The steps are dropped once listed as a graph: only the graph stays on the heap.
  const { graph, fields, analytic, t1 } = (() => {
    const built = build(args);
    const t = performance.now();
    return { ...built, graph: graphOf(built.plan), t1: t };
  })();
  const t2 = performance.now();
  validateGraph(graph);
  const t3 = performance.now();
  const kernel_s = args.kind === 'tp' ? args.kernel_s : 0;
  const slow = args.stragglers ?? [];
  const slowed = slowFabric(fabric, slow);
  const kernelSeconds = slowKernels((_: { rank: number }) => kernel_s, slow);
  const price = priceGraph(graph, slowed, { kernelSeconds });
  const t4 = performance.now();
  const failure = failureOf(args, graph, fabric);
  const report: PlanReport = {
    command: 'plan',
    ...fields,
    ranks,
    fabric: args.preset.name,
    link: { alpha_s: args.preset.link.alpha_s, beta_Bps: args.preset.link.beta_Bps },
    ...graphFigures(graph),
    ...linkFigures(price),
    critical_path: price.critical_path.length,
    critical_path_ids: [...price.critical_path],
    emulated_s: price.total_s,
    ...(slow.length > 0
      ? { stragglers: stragglerFigures(graph, fabric, slowed, kernel_s, slow, price) }
      : {}),
    ...(failure ? { failure: failure.figures } : {}),
    analytic_s: analytic(graph),
    comm_s: price.comm_s,
    hidden_comm_s: price.hidden_comm_s,
    overlap: price.overlap,
    bubble_s: price.bubble_s,
    build_s: seconds(t0, t2),
    steps_s: seconds(t0, t1),
    graph_s: seconds(t1, t2),
    validate_s: seconds(t2, t3),
    price_s: seconds(t3, t4),
    rss_bytes: process.memoryUsage().rss,
    ...(ranks <= MAX_TEXT_RANKS ? { wave_text: waveLines(graph) } : {}),
  };
  return {
    report,
    graph,
    price,
    fabric: slowed,
    ...(failure ? { failure: { run: failure.run, price: failure.price } } : {}),
  };
}

/** The straggler run beside the same plan without them, emulated and by the lock-step schedule. */
function stragglerFigures(
  graph: Graph,
  fabric: Fabric,
  slowed: Fabric,
  kernel_s: number,
  stragglers: readonly Straggler[],
  price: GraphPrice,
): NonNullable<PlanReport['stragglers']> {
  const without = priceGraph(graph, fabric, { kernelSeconds: () => kernel_s }).total_s;
  const steps = planOf(graph);
  const lockstep = (f: Fabric, s: readonly Straggler[]) =>
    pricePlan(
      steps,
      f,
      slowKernels((_op: { rank: number }) => kernel_s, s),
    ).total_s;
  const before = lockstep(fabric, []);
  return {
    ranks: stragglers,
    emulated_without_s: without,
    slowdown: without > 0 ? price.total_s / without : 1,
    schedule_slowdown: before > 0 ? lockstep(slowed, stragglers) / before : 1,
  };
}

const label = (name: string) => `${name}:`.padEnd(15);
/** '1 rank', '4 ranks'. */
const many = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** The report as the lines `fleetlab plan` prints. */
export function planText(r: PlanReport, args: PlanArgs): string[] {
  const lines: string[] = [];
  if (args.kind === 'collective') {
    const place = args.spec.inPlace ? 'in place' : 'out of place';
    const root = r.root === undefined ? '' : `, root ${r.root}`;
    lines.push(
      `plan: ${r.what}, ${many(r.ranks, 'rank')}, count ${r.count} (${r.dtype}, ${formatBytes(r.bytes as number)}), ${place}${root}`,
    );
  } else {
    const { layout, m, k, n } = args.spec;
    const comm = (r.layer as { comm: { collective: string; algorithm: string } | null }).comm;
    lines.push(
      `plan: tp ${layout}, ${many(r.ranks, 'rank')}, X ${m} x ${k}, N2 ${n}, ` +
        `${comm ? `${comm.collective} ${comm.algorithm}` : 'no communication'}; ` +
        `kernels at ${formatSeconds(args.kernel_s)} each (--kernel-time)`,
    );
  }
  lines.push(`fabric: ${args.preset.name} (${args.preset.title})`);
  if (r.wave_text) lines.push(...r.wave_text);
  else lines.push(`(waves as text for up to ${MAX_TEXT_RANKS} ranks)`);
  lines.push(
    `${label('tasks')}${r.tasks} (${many(r.moves, 'move')}, ${many(r.kernels, 'kernel')}) in ${many(r.waves, 'wave')}`,
  );
  const busiest =
    r.max_link === null
      ? 'no link carries bytes'
      : `busiest link ${r.max_link} carries ${formatBytes(r.bytes_max_link)}; ${many(r.links_used, 'link')} used`;
  lines.push(`${label('bytes')}${formatBytes(r.bytes_moved)} moved; ${busiest}`);
  lines.push(
    `${label('critical path')}${many(r.critical_path, 'task')}, ${formatSeconds(r.emulated_s)}`,
  );
  lines.push(
    `${label('emulated')}${formatSeconds(r.emulated_s)} on ${r.fabric} (event-driven pricer)`,
  );
  if (r.stragglers) {
    const s = r.stragglers;
    lines.push(
      `${label('stragglers')}${s.ranks.map((x) => `rank ${x.rank} x${x.factor}`).join(', ')}: ` +
        `${s.slowdown.toFixed(3)}x slower than without them (${formatSeconds(s.emulated_without_s)}); ` +
        `the lock-step schedule predicts ${s.schedule_slowdown.toFixed(3)}x (every step waits for its slowest op)`,
    );
  }
  if (r.failure) lines.push(...failureLines(r.failure));
  const { alpha_s, beta_Bps } = r.link;
  const form =
    args.kind === 'collective'
      ? `closed form of ${r.what}`
      : "busiest rank's kernels + closed form of the collective";
  lines.push(
    `${label('analytic')}${r.analytic_s === null ? '- (no closed form)' : formatSeconds(r.analytic_s)} ` +
      `(${form}, alpha ${formatSeconds(alpha_s)}, beta ${formatBandwidth(beta_Bps)})`,
  );
  if (r.kernels > 0) {
    lines.push(
      `${label('overlap')}${formatSeconds(r.hidden_comm_s)} of ${formatSeconds(r.comm_s)} comm ` +
        `hidden under compute (${(100 * r.overlap).toFixed(0)} %); bubble ${formatSeconds(r.bubble_s)}`,
    );
  }
  lines.push(
    `${label('time taken')}build ${formatSeconds(r.build_s)} (steps ${formatSeconds(r.steps_s)}, ` +
      `graph ${formatSeconds(r.graph_s)}), validate ${formatSeconds(r.validate_s)}, ` +
      `price ${formatSeconds(r.price_s)}; resident memory ${formatBytes(r.rss_bytes)}`,
  );
  return lines;
}

/** The failure run as text: what ran, the survivors' recovery, its cost, its check. */
function failureLines(f: FailureFigures): string[] {
  const pad = ' '.repeat(15);
  const t = formatSeconds;
  const check =
    f.wrong === null
      ? 'not checked (more than 2^22 elements in all: too large to interpret here)'
      : `${f.wrong} wrong of the survivors' result against the reduction over the survivors' inputs (CPU interpreter, small integers); members ${f.members_agree ? 'agreed' : 'DISAGREE'}`;
  return [
    `${label('failure')}rank ${f.rank} stops before wave ${f.wave} of ${f.waves} (at ${t(f.failed_at_s)}); ` +
      `${f.tasks_ran} tasks ran (their work is lost), ${f.tasks_lost} never did`,
    `${pad}survivors ${f.survivors.join(', ')} stall by ${t(f.stalled_s)}, time out after ${t(f.detect_timeout_s)} ` +
      `(--detect-timeout): detected at ${t(f.detected_s)}`,
    `${pad}re-formed in ${t(f.reform_s)} (a ring AllGather of the survivors' votes), rerun on ` +
      `${many(f.survivors.length, 'rank')} in ${t(f.rerun_s)}: the failed rank's contribution is out`,
    `${pad}total ${t(f.emulated_s)}, ${f.slowdown.toFixed(2)}x the run without the failure (${t(f.emulated_without_s)}); ` +
      `closed forms predict ${f.analytic_s === null ? '- (no closed form)' : t(f.analytic_s)}`,
    `${pad}check: ${check}`,
  ];
}

export async function runPlan(argv: string[], out: (line: string) => void): Promise<number> {
  const args = parsePlanArgs(argv);
  const { report, graph, price, fabric } = pricedPlan(args);
  if (args.trace !== undefined) {
    writeTrace(
      args.trace,
      chromeTrace([{ graph, price }], fabric, { command: 'plan', algorithm: report.algorithm }),
    );
  }
  for (const line of planText(report, args)) out(line);
  if (args.json !== undefined) {
    const json = JSON.stringify(report, null, 2);
    if (args.json === '-') out(json);
    else writeFileSync(args.json, `${json}\n`);
  }
  return 0;
}
