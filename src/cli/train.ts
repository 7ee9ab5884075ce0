// `fleetlab dp` and `fleetlab pp`: a training step of a small MLP run on this GPU across
// simulated ranks (data parallel with gradient buckets and ZeRO, or a pipeline schedule),
// every rank's result checked against the f64 reference step within its derived bound, then
// priced on a fabric of devices as fast as this GPU, beside the book's formulas.
import { writeFileSync } from 'node:fs';
import { fabricPreset } from '../fabric/fabric-presets.ts';
import { describeAdapter } from '../gpu/device.ts';
import { PipelineCache } from '../gpu/pipelines.ts';
import { nodeShaders } from '../gpu/shaders-node.ts';
import { detectTimestampRegime, GpuTimer } from '../gpu/timer.ts';
import { chromeTrace } from '../model/chrome-trace.ts';
import { zeroBytesPerRank } from '../model/training.ts';
import { formatBandwidth, formatSeconds } from '../model/units.ts';
import { ALGORITHMS } from '../plans/registry.ts';
import { memoryPerRank } from '../plans/training/memory.ts';
import { paramCount } from '../plans/training/mlp.ts';
import { SCHEDULES } from '../plans/training/schedules.ts';
import { measureTraining, type TrainingSpec, trainingGraphs } from '../run/training.ts';
import { UsageError } from './args.ts';
import { cliContext } from './node-context.ts';
import { RUN_FLAGS, stragglersOf, writeTrace } from './run-flags.ts';
import { type CommandSchema, parseCommand, usage } from './schema.ts';

const MODEL_FLAGS = {
  layers: { kind: 'count', min: 1, max: 64, default: '4', help: 'layers of the MLP', meta: 'L' },
  d: { kind: 'count', min: 1, max: 1024, default: '32', help: 'width of every layer', meta: 'D' },
  batch: { kind: 'count', min: 1, max: 4096, default: '16', help: 'rows of the batch', meta: 'B' },
  ...RUN_FLAGS,
} as const;

export const DP_SCHEMA = {
  name: 'dp',
  about:
    'A data-parallel training step: each rank a slice of the batch, the gradients all-reduced ' +
    'in buckets on the comm stream right after the backward kernels that complete them ' +
    '(or, with --zero, reduce-scattered, a shard updated per rank and the parameters ' +
    'all-gathered; ZeRO 3 gathers every layer before its forward and its backward).',
  flags: {
    ranks: { kind: 'count', min: 1, max: 64, default: '2', help: 'data-parallel ranks', meta: 'N' },
    bucket: {
      kind: 'size',
      min: 1,
      help: 'bytes a gradient bucket holds at least (default: one bucket for the model)',
    },
    zero: { kind: 'choice', choices: ['0', '1', '2', '3'], default: '0', help: 'ZeRO stage' },
    algo: { kind: 'text', help: "the collectives' algorithm (default ring)", meta: 'A' },
    ...MODEL_FLAGS,
  },
} as const satisfies CommandSchema;

export const PP_SCHEMA = {
  name: 'pp',
  about:
    'A pipeline-parallel training step: the layers split into stages (a rank each), the batch ' +
    'into micro-batches, run in the order of a schedule (gpipe, 1f1b, interleaved with V chunks ' +
    'a stage); activations and their gradients move stage to stage.',
  flags: {
    schedule: { kind: 'choice', choices: SCHEDULES, default: '1f1b', help: 'the schedule' },
    stages: { kind: 'count', min: 1, max: 64, default: '2', help: 'pipeline stages', meta: 'P' },
    microbatches: {
      kind: 'count',
      min: 1,
      max: 1024,
      default: '4',
      help: 'micro-batches',
      meta: 'M',
    },
    virtual: {
      kind: 'count',
      min: 1,
      max: 16,
      default: '1',
      help: 'chunks a stage (interleaved)',
      meta: 'V',
    },
    ...MODEL_FLAGS,
  },
} as const satisfies CommandSchema;

export const DP_USAGE = usage(DP_SCHEMA);
export const PP_USAGE = usage(PP_SCHEMA);

/** The spec, fabric and output options of `dp` or `pp`, all checked before the GPU starts. */
export function trainingArgs(which: 'dp' | 'pp', argv: string[]) {
  const common = (v: { layers: number; d: number; batch: number }) => ({
    layers: v.layers,
    d: v.d,
    batch: v.batch,
  });
  let spec: TrainingSpec;
  let values: {
    fabric: string;
    reps: number;
    seed: number;
    json: string | undefined;
    trace: string | undefined;
    straggler: string | undefined;
  };
  if (which === 'dp') {
    const p = parseCommand(DP_SCHEMA, argv).values;
    const algorithm = p.algo ?? 'ring';
    if (!Object.hasOwn(ALGORITHMS.allreduce, algorithm)) {
      throw new UsageError(
        `--algo '${algorithm}' is not one of ${Object.keys(ALGORITHMS.allreduce).join(', ')}`,
      );
    }
    spec = {
      mode: 'dp',
      ...common(p),
      ranks: p.ranks,
      algorithm,
      zero: Number(p.zero) as 0 | 1 | 2 | 3,
      ...(p.bucket === undefined ? {} : { bucketBytes: p.bucket }),
    };
    values = p;
  } else {
    const p = parseCommand(PP_SCHEMA, argv).values;
    spec = {
      mode: 'pp',
      ...common(p),
      stages: p.stages,
      microbatches: p.microbatches,
      schedule: p.schedule,
      virtual: p.virtual,
    };
    values = p;
  }
  const preset = fabricPreset(values.fabric);
  const ranks = spec.mode === 'dp' ? spec.ranks : spec.stages;
  try {
    trainingGraphs(spec); // a shape the split cannot take fails here, exit 2
    preset.build(ranks);
  } catch (e) {
    throw e instanceof RangeError ? new UsageError(e.message) : e;
  }
  return {
    spec,
    preset,
    ranks,
    reps: values.reps,
    seed: values.seed,
    json: values.json,
    trace: values.trace,
    stragglers: stragglersOf(values.straggler, ranks),
  };
}

const ms = (s: number | undefined) =>
  s === undefined || !Number.isFinite(s) ? '-' : `${(s * 1e3).toFixed(3)} ms`;
const fraction = (x: number) => x.toFixed(3);

async function runTraining(which: 'dp' | 'pp', argv: string[], out: (l: string) => void) {
  const args = trainingArgs(which, argv);
  const { spec, preset, ranks } = args;
  const ctx = await cliContext();
  const timer = new GpuTimer(ctx);
  try {
    const run = { ctx, shaders: nodeShaders, cache: new PipelineCache(ctx) };
    const regime = await detectTimestampRegime(ctx);
    const fabric = { fabric: preset.name, built: preset.build(ranks), link: preset.link };
    const m = await measureTraining(run, spec, fabric, {
      reps: args.reps,
      seed: args.seed,
      timer,
      stragglers: args.stragglers,
    });
    if (args.trace !== undefined) {
      const about = { command: which, algorithm: m.graph.info.algorithm };
      writeTrace(
        args.trace,
        chromeTrace([{ graph: m.graph, price: m.emulated.price }], fabric.built, about),
      );
    }
    const info = m.graph.info.kind === 'training' ? m.graph.info.training : undefined;
    if (!info) throw new Error('the step lost its training info');
    const P = paramCount(spec);
    out(
      `# fleetlab ${which}: an MLP of ${spec.layers} layers of width ${spec.d} (${P} parameters), a batch of ${spec.batch} rows, ${m.graph.info.kind === 'training' ? m.graph.info.algorithm : ''}`,
    );
    out(`# adapter     ${describeAdapter(ctx.adapter)}`);
    out(`# timestamps  ${regime.note}`);
    out(
      `# fabric      ${preset.name} (${preset.title}); bottleneck link alpha ${formatSeconds(preset.link.alpha_s)}, beta ${formatBandwidth(preset.link.beta_Bps)}`,
    );
    out('# measured    every rank on this one GPU, one after another (median of the repetitions)');
    out(
      '# emulated    devices as fast as this GPU: each kernel timed alone, the plan priced on the fabric by the event-driven pricer',
    );
    out(
      `# check       every rank's gradient and parameters against the f64 reference step within its derived bound (src/exec/training/reference.ts)`,
    );
    out('#');
    out(
      `check         ${m.check.ok ? 'ok' : 'FAILED'}: max |err| ${m.check.max_abs_err.toExponential(2)} within bounds up to ${m.check.bound.toExponential(2)}; ${m.check.wrong} values outside`,
    );
    out(`loss          ${m.check.loss.toPrecision(6)} (before the update, f64)`);
    if (args.stragglers.length > 0) {
      out(
        `stragglers    ${args.stragglers.map((s) => `rank ${s.rank} x${s.factor}`).join(', ')} (kernels and outgoing links, emulated face only)`,
      );
    }
    out(`measured      ${ms(m.measured_s)}`);
    out(`emulated      ${ms(m.emulated.time_s)}`);
    const result: Record<string, unknown> = {
      command: which,
      adapter: ctx.adapter,
      timestamps: regime,
      fabric: preset.name,
      link: preset.link,
      layers: spec.layers,
      d: spec.d,
      batch: spec.batch,
      params: P,
      check: {
        max_abs_err: m.check.max_abs_err,
        bound: m.check.bound,
        ok: m.check.ok,
        wrong: m.check.wrong,
      },
      loss: m.check.loss,
      stragglers: args.stragglers,
    };
    if (spec.mode === 'dp') {
      out(`no overlap    ${ms(m.emulated_no_overlap_s)} (every bucket after the whole backward)`);
      out(
        `analytic      ${m.analytic ? `${ms(m.analytic.time_s)} (no overlap ${ms(m.analytic.no_overlap_s)}): forward + the backward/AllReduce pipeline over the buckets + update, the AllReduce's closed form on the link` : `- (${info.zero ? 'ZeRO is not in the layer-overlap model' : 'no closed form for this algorithm'})`}`,
      );
      out(
        `overlap       ${fraction(m.emulated.overlap_fraction)} of the communication hidden under compute (${ms(m.emulated.hidden_comm_s / ranks)} of ${ms(m.emulated.comm_s / ranks)} a rank), ${info.buckets.length} bucket(s)`,
      );
      const memory = memoryPerRank(info);
      const most = memory.reduce((a, b) => (b.total > a.total ? b : a));
      const formula = zeroBytesPerRank(P, ranks, info.zero, 8, { weight: 4, grad: 4 });
      out(
        `memory/rank   params ${most.params} B, grads ${most.grads} B, optimizer ${most.optimizer} B, total ${most.total} B (formula at 8 B a parameter, f32 SGD: ${formula.total} B)`,
      );
      Object.assign(result, {
        ranks,
        zero: info.zero,
        algorithm: spec.algorithm,
        buckets: info.buckets,
        step_s: {
          measured: m.measured_s,
          emulated: m.emulated.time_s,
          emulated_no_overlap: m.emulated_no_overlap_s ?? null,
          analytic: m.analytic?.time_s ?? null,
        },
        overlap_fraction: m.emulated.overlap_fraction,
        memory_bytes_per_rank: most,
        memory_formula_bytes: formula,
      });
    } else {
      const pp = info.pipeline;
      const b = m.bubble_fraction;
      out(
        `bubble        ${b ? `${fraction(b.emulated)} emulated (idle share of the stages' compute) beside (p-1)/(p-1+mV) = ${fraction(b.analytic)}` : '-'}`,
      );
      out(
        `peak acts     ${pp?.peak_activations.join(', ')} micro-batch activations in flight per stage`,
      );
      Object.assign(result, {
        schedule: spec.schedule,
        stages: spec.stages,
        microbatches: spec.microbatches,
        virtual: spec.virtual,
        bubble_fraction: b ?? null,
        peak_activations_per_stage: pp?.peak_activations ?? [],
        step_s: { measured: m.measured_s, emulated: m.emulated.time_s },
      });
    }
    if (args.json !== undefined) {
      const json = JSON.stringify(result, null, 2);
      if (args.json === '-') out(json);
      else writeFileSync(args.json, `${json}\n`);
    }
    return m.check.ok ? 0 : 1;
  } finally {
    timer.destroy();
    ctx.device.destroy();
  }
}

export const runDp = (argv: string[], out: (l: string) => void) => runTraining('dp', argv, out);
export const runPp = (argv: string[], out: (l: string) => void) => runTraining('pp', argv, out);
