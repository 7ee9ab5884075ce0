// `fleetlab moe`: a mixture-of-experts layer run on this GPU across simulated ranks (router,
// top-k routing with a capacity, dispatch AllToAllv, the experts' MLPs, combine AllToAllv, the
// weighted sum), checked against the unsharded f64 layer within its derived bound, and priced
// on a fabric beside the balanced formula: what a hot expert costs is emulated - analytic.
import { writeFileSync } from 'node:fs';
import { fabricPreset } from '../fabric/fabric-presets.ts';
import { describeAdapter } from '../gpu/device.ts';
import { PipelineCache } from '../gpu/pipelines.ts';
import { nodeShaders } from '../gpu/shaders-node.ts';
import { detectTimestampRegime, GpuTimer } from '../gpu/timer.ts';
import { chromeTrace } from '../model/chrome-trace.ts';
import { formatBandwidth, formatBytes, formatSeconds } from '../model/units.ts';
import { ALLTOALLV_ALGORITHMS } from '../plans/experts/alltoallv.ts';
import { checkMoeSpec, type MoeSpec } from '../plans/experts/moe-layer.ts';
import { runMoe } from '../run/moe.ts';
import { UsageError } from './args.ts';
import { cliContext } from './node-context.ts';
import { RUN_FLAGS, stragglersOf, writeTrace } from './run-flags.ts';
import { type CommandSchema, parseCommand, usage } from './schema.ts';

export const MOE_CLI_SCHEMA = {
  name: 'moe',
  about:
    "A mixture-of-experts layer: the router's matmul on the GPU, each token's top-k experts " +
    'chosen from its logits (softmax, a Zipf prior with --skew that makes the first experts ' +
    'hot), an expert keeping at most ceil(C T k / E) copies (the rest dropped and counted), ' +
    "the copies dispatched to their experts' ranks by an AllToAllv, each expert's GeLU MLP " +
    'weighted by the gate, and combined back by a second AllToAllv.',
  flags: {
    ranks: {
      kind: 'count',
      min: 1,
      max: 64,
      default: '4',
      help: 'expert-parallel ranks',
      meta: 'N',
    },
    experts: {
      kind: 'count',
      min: 1,
      max: 1024,
      default: '8',
      help: 'experts E (a multiple of N)',
      meta: 'E',
    },
    'top-k': { kind: 'count', min: 1, max: 2, default: '2', help: 'experts a token', meta: 'K' },
    tokens: {
      kind: 'count',
      min: 1,
      max: 16_384,
      default: '64',
      help: 'tokens T (a multiple of N)',
      meta: 'T',
    },
    d: { kind: 'count', min: 1, max: 1024, default: '16', help: 'model width', meta: 'D' },
    hidden: {
      kind: 'count',
      min: 1,
      max: 4096,
      help: "experts' hidden width (default 2 D)",
      meta: 'H',
    },
    capacity: {
      kind: 'number',
      min: 0.01,
      max: 64,
      default: '1.25',
      help: 'capacity factor C',
      meta: 'C',
    },
    skew: {
      kind: 'number',
      min: 0,
      max: 8,
      default: '0',
      help: "the router's prior -S ln(e + 1) (0: none)",
      meta: 'S',
    },
    algo: {
      kind: 'choice',
      choices: ALLTOALLV_ALGORITHMS,
      default: 'pairwise',
      help: 'the AllToAllv of dispatch and combine',
    },
    ...RUN_FLAGS,
  },
} as const satisfies CommandSchema;

export const MOE_CLI_USAGE = usage(MOE_CLI_SCHEMA);

/** The layer's spec and options, checked before the GPU starts (a UsageError naming the value). */
export function moeArgs(argv: string[]) {
  const v = parseCommand(MOE_CLI_SCHEMA, argv).values;
  const spec: MoeSpec = {
    ranks: v.ranks,
    experts: v.experts,
    topK: v['top-k'],
    tokens: v.tokens,
    d: v.d,
    hidden: v.hidden ?? 2 * v.d,
    capacityFactor: v.capacity,
    skew: v.skew,
    algorithm: v.algo,
  };
  const preset = fabricPreset(v.fabric);
  try {
    checkMoeSpec(spec);
    preset.build(spec.ranks);
  } catch (e) {
    throw e instanceof RangeError ? new UsageError(e.message) : e;
  }
  const stragglers = stragglersOf(v.straggler, spec.ranks);
  return { spec, preset, reps: v.reps, seed: v.seed, json: v.json, trace: v.trace, stragglers };
}

const ratio = (x: number) => `${x.toFixed(2)}x`;

export async function runMoeCommand(argv: string[], out: (l: string) => void): Promise<number> {
  const args = moeArgs(argv);
  const { spec, preset } = args;
  const ctx = await cliContext();
  const timer = new GpuTimer(ctx);
  try {
    const run = { ctx, shaders: nodeShaders, cache: new PipelineCache(ctx) };
    const regime = await detectTimestampRegime(ctx);
    const fabric = { fabric: preset.name, built: preset.build(spec.ranks), link: preset.link };
    const m = await runMoe(run, spec, fabric, {
      reps: args.reps,
      seed: args.seed,
      timer,
      stragglers: args.stragglers,
    });
    const r = m.routing;
    if (args.trace !== undefined) {
      const parts = [
        { graph: m.router, price: m.prices.router },
        { graph: m.layer, price: m.prices.layer },
      ];
      writeTrace(
        args.trace,
        chromeTrace(parts, fabric.built, { command: 'moe', algorithm: spec.algorithm }),
      );
    }
    out(
      `# fleetlab moe: ${spec.tokens} tokens of width ${spec.d} over ${spec.ranks} ranks, ${spec.experts} experts (hidden ${spec.hidden}), top-${spec.topK}, capacity factor ${spec.capacityFactor} (${r.capacity} copies an expert), skew ${spec.skew}, ${spec.algorithm} AllToAllv`,
    );
    out(`# adapter     ${describeAdapter(ctx.adapter)}`);
    out(`# timestamps  ${regime.note}`);
    out(
      `# fabric      ${preset.name} (${preset.title}); bottleneck link alpha ${formatSeconds(preset.link.alpha_s)}, beta ${formatBandwidth(preset.link.beta_Bps)}`,
    );
    out('# measured    router and layer on this one GPU, every rank one after another (median)');
    out(
      '# emulated    devices as fast as this GPU, both graphs priced on the fabric (hot ranks and all)',
    );
    out(
      "# analytic    the balanced formula: the router, dispatch and combine with every AllToAllv count the mean, each rank the mean share of the experts' kernel time",
    );
    out('#');
    out(
      `check           ${m.check.ok ? 'ok' : 'FAILED'}: max |err| ${m.check.max_abs_err.toExponential(2)} within bounds up to ${m.check.bound.toExponential(2)}; ${m.check.wrong} values outside; routing ${m.check.routing_agrees ? 'equals' : 'DIFFERS FROM'} the reference's`,
    );
    out(
      `tokens/expert   ${r.tokens_per_expert.join(' ')} (capacity ${r.capacity}; asked ${r.wanted_per_expert.join(' ')})`,
    );
    out(`tokens/rank     ${m.tokens_per_rank.join(' ')}`);
    out(`dropped         ${r.dropped} of ${spec.tokens * spec.topK} copies`);
    out(
      `imbalance       experts ${ratio(m.imbalance.experts)}, ranks ${ratio(m.imbalance.ranks)} (max / mean)`,
    );
    out(
      `alltoall        dispatch ${m.alltoall_bytes.dispatch} B [${formatBytes(m.alltoall_bytes.dispatch)}], combine ${m.alltoall_bytes.combine} B across ranks; closed forms ${formatSeconds(m.alltoall_s.actual)} for these counts, ${formatSeconds(m.alltoall_s.balanced)} balanced`,
    );
    if (args.stragglers.length > 0) {
      out(
        `stragglers      ${args.stragglers.map((s) => `rank ${s.rank} x${s.factor}`).join(', ')} (kernels and outgoing links, emulated face only)`,
      );
    }
    out(`measured        ${formatSeconds(m.step_s.measured)}`);
    out(`emulated        ${formatSeconds(m.step_s.emulated)}`);
    out(
      `analytic        ${formatSeconds(m.step_s.analytic)} (balanced); the imbalance costs ${formatSeconds(m.step_s.emulated - m.step_s.analytic)} on ${preset.name}`,
    );
    if (args.json !== undefined) {
      const json = JSON.stringify(
        {
          command: 'moe',
          adapter: ctx.adapter,
          timestamps: regime,
          fabric: preset.name,
          link: preset.link,
          ...spec,
          check: m.check,
          capacity: r.capacity,
          tokens_per_expert: r.tokens_per_expert,
          wanted_per_expert: r.wanted_per_expert,
          tokens_per_rank: m.tokens_per_rank,
          dropped: r.dropped,
          alltoall_bytes: m.alltoall_bytes,
          alltoall_s: m.alltoall_s,
          imbalance: m.imbalance,
          stragglers: args.stragglers,
          step_s: m.step_s,
        },
        null,
        2,
      );
      if (args.json === '-') out(json);
      else writeFileSync(args.json, `${json}\n`);
    }
    return m.check.ok ? 0 : 1;
  } finally {
    timer.destroy();
    ctx.device.destroy();
  }
}
