// `fleetlab tp` options, checked before any GPU work: every plan the run will need is built
// here, so a shape the layout cannot split fails with exit 2 and one line, not halfway through.
import { FABRIC_PRESETS, fabricPreset } from '../fabric/fabric-presets.ts';
import type { LinkSpec } from '../fabric/topologies.ts';
import { LAYOUTS, type Layout } from '../plans/plan.ts';
import {
  LAYOUT_COMMS,
  MAX_TP_DIM,
  MAX_TP_RANKS,
  type TensorParallelSpec,
  type TpComm,
  tensorParallel,
} from '../plans/tensor-parallel.ts';
import { UsageError } from './args.ts';
import { traceFileOf } from './run-flags.ts';
import { type CommandSchema, parseCommand, usage } from './schema.ts';

export const SWEEP_RANKS = [1, 2, 4, 8] as const;

const DIM = { kind: 'count', min: 1, max: MAX_TP_DIM } as const;

export const TP_SCHEMA = {
  name: 'tp',
  about:
    'A tensor-parallel layer (Megatron-LM) run as WGSL across simulated ranks on this GPU, ' +
    'checked against the unsharded layer, timed three ways: measured (all ranks on this GPU), ' +
    'emulated (N devices as fast as this GPU, communication priced on a fabric) and analytic ' +
    "(the Fleet Law: T_1 / N + the collective's closed form). X is M x K.\n" +
    '  column:    Y = X W, W (K x N2) split by columns, no communication (or all-gather)\n' +
    '  row:       X and W (K x N2) split along K, partial sums all-reduced\n' +
    '  mlp:       Y = GeLU(X W1 + b1) W2, W1 K x N2 by columns, W2 N2 x K by rows, one all-reduce\n' +
    '  attention: causal self-attention of N2 heads of K/N2, heads split over ranks (Wq, Wk, Wv\n' +
    '             by columns, Wo by rows), one all-reduce',
  flags: {
    layout: { kind: 'choice', choices: LAYOUTS, help: 'the layer (required)', meta: 'L' },
    ranks: {
      kind: 'count',
      min: 1,
      max: MAX_TP_RANKS,
      default: '2',
      help: 'ranks; the split dimension must be a multiple of N',
    },
    m: { ...DIM, default: '128', help: 'rows of X', meta: 'M' },
    k: { ...DIM, default: '256', help: 'columns of X', meta: 'K' },
    n: { ...DIM, default: '512', help: 'columns of W (attention: heads)', meta: 'N2' },
    comm: {
      kind: 'text',
      help:
        'column: none (default) or allgather; row, mlp, attention: allreduce (default) or ' +
        'reducescatter (sequence parallelism: M must be a multiple of N)',
      meta: 'C',
    },
    algo: { kind: 'text', help: "the collective's algorithm (default ring)", meta: 'A' },
    fabric: {
      kind: 'choice',
      choices: FABRIC_PRESETS.map((p) => p.name),
      default: 'nvswitch',
      help: 'where the emulated ranks talk',
      meta: 'P',
    },
    alpha: { kind: 'time', help: "override the fabric's bottleneck link latency", meta: 'T' },
    beta: { kind: 'rate', help: "override the fabric's bottleneck link bandwidth", meta: 'BW' },
    sweep: {
      kind: 'flag',
      help: 'N = 1, 2, 4, 8: the Fleet Law table with eta = T_1 / (N T_N) and the tax 1 - eta',
    },
    reps: {
      kind: 'count',
      min: 1,
      max: 1000,
      default: '5',
      help: 'timed repetitions, medians reported',
    },
    seed: {
      kind: 'count',
      min: 0,
      max: 2 ** 32 - 1,
      default: '1',
      help: 'seed of the random inputs',
    },
    json: { kind: 'text', help: 'also write every figure as JSON (- for stdout)', meta: 'FILE' },
    trace: {
      kind: 'text',
      help:
        'write a Chrome trace (ui.perfetto.dev) of the layer at the largest rank count: the ' +
        'emulated ranks (kernels at their measured times) and the GPU-measured steps',
      meta: 'FILE',
    },
  },
} as const satisfies CommandSchema;

export const TP_USAGE = usage(TP_SCHEMA);

export interface TpArgs {
  readonly specs: readonly TensorParallelSpec[];
  readonly fabric: string;
  readonly link: LinkSpec;
  readonly linkOverridden: boolean;
  readonly sweep: boolean;
  readonly reps: number;
  readonly seed: number;
  readonly json?: string;
  /** --trace FILE, checked writable (src/cli/run-flags.ts traceFileOf). */
  readonly trace?: string;
}

export function parseTpArgs(argv: string[]): TpArgs {
  const { values } = parseCommand(TP_SCHEMA, argv);
  const layout = layoutOption(values, 'tp');
  const { ranks, m, k, n } = values;
  const preset = fabricPreset(values.fabric);
  const link: LinkSpec = {
    ...preset.link,
    ...(values.alpha === undefined ? {} : { alpha_s: values.alpha }),
    ...(values.beta === undefined ? {} : { beta_Bps: values.beta }),
  };
  const list = values.sweep ? [...SWEEP_RANKS] : ranks === 1 ? [1] : [1, ranks];
  const specs = list.map((r) => ({
    layout,
    ranks: r,
    m,
    k,
    n,
    ...(values.comm === undefined ? {} : { comm: values.comm as TpComm }),
    ...(values.algo === undefined ? {} : { algorithm: values.algo }),
  }));
  // Build every plan and fabric now: bad shapes and rank counts fail before the GPU starts.
  try {
    for (const spec of specs) {
      tensorParallel(spec);
      preset.build(spec.ranks, undefined, link);
    }
  } catch (e) {
    // A shape the layout cannot split, or ranks the fabric cannot hold: bad usage, one line.
    throw e instanceof RangeError ? new UsageError(e.message) : e;
  }
  return {
    specs,
    fabric: preset.name,
    link,
    linkOverridden: values.alpha !== undefined || values.beta !== undefined,
    sweep: values.sweep,
    reps: values.reps,
    seed: values.seed,
    ...(values.json === undefined ? {} : { json: values.json }),
    ...(values.trace === undefined ? {} : { trace: traceFileOf(values.trace) as string }),
  };
}

/**
 * --layout (required) and --comm (one the layout allows), as `tp` and `plan tp` take them;
 * UsageError naming the value and what there is.
 */
export function layoutOption(
  values: { readonly layout?: string | undefined; readonly comm?: string | undefined },
  command: string,
): Layout {
  if (values.layout === undefined) {
    throw new UsageError(`${command} needs --layout (${LAYOUTS.join(', ')})`);
  }
  // The schema checked --layout against LAYOUTS already.
  const layout = values.layout as Layout;
  const comms = LAYOUT_COMMS[layout];
  if (values.comm !== undefined && !(comms as readonly string[]).includes(values.comm)) {
    throw new UsageError(
      `--comm '${values.comm}' for --layout ${layout} must be ${comms.join(' or ')}`,
    );
  }
  return layout;
}
