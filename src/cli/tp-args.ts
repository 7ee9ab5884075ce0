// `fleetlab tp` options, checked before any GPU work: every plan the run will need is built
// here, so a shape the layout cannot split fails with exit 2 and one line, not halfway through.
import { parseArgs } from 'node:util';
import { fabricPreset } from '../fabric/fabric-presets.ts';
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
import { parseWhole, UsageError } from './args.ts';
import { parseBandwidth, parseTime } from './units-parse.ts';

export const SWEEP_RANKS = [1, 2, 4, 8] as const;

export const TP_USAGE = `usage: fleetlab tp --layout column|row|mlp|attention [options]
A tensor-parallel layer (Megatron-LM) run as WGSL across simulated ranks on this GPU, checked
against the unsharded layer, timed three ways: measured (all ranks on this GPU), emulated (N
devices as fast as this GPU, communication priced on a fabric) and analytic (the Fleet Law:
T_1 / N + the collective's closed form). X is M x K.
  --layout L     column: Y = X W, W (K x N2) split by columns, no communication (or all-gather);
                 row: X and W (K x N2) split along K, partial sums all-reduced;
                 mlp: Y = GeLU(X W1 + b1) W2, W1 K x N2 by columns, W2 N2 x K by rows, one all-reduce;
                 attention: causal self-attention of N2 heads of K/N2, heads split over ranks
                 (Wq, Wk, Wv by columns, Wo by rows), one all-reduce
  --ranks N      ranks (default 2; 1..${MAX_TP_RANKS}); the split dimension must be a multiple of N
  --m M --k K --n N2   the shape (defaults 128, 256, 512; each 1..${MAX_TP_DIM})
  --comm C       column: none (default) or allgather; row, mlp, attention: allreduce (default) or
                 reducescatter (sequence parallelism: M must be a multiple of N)
  --algo A       the collective's algorithm (default ring)
  --fabric P     where the emulated ranks talk (default nvswitch): nvswitch, nvlink-ring, pcie4,
                 ib-ndr, 100gbe, torus-ib, dgx-h100
  --alpha T --beta BW   override the fabric's bottleneck link (5us, 50GB/s, 400Gbps)
  --sweep        N = 1, 2, 4, 8: the Fleet Law table with eta = T_1 / (N T_N) and the tax 1 - eta
  --reps R       timed repetitions, medians reported (default 5)
  --seed S       seed of the random inputs (default 1)
  --json FILE    also write every figure as JSON (- for stdout)`;

export interface TpArgs {
  readonly specs: readonly TensorParallelSpec[];
  readonly fabric: string;
  readonly link: LinkSpec;
  readonly linkOverridden: boolean;
  readonly sweep: boolean;
  readonly reps: number;
  readonly seed: number;
  readonly json?: string;
}

export function parseTpArgs(argv: string[]): TpArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      layout: { type: 'string' },
      ranks: { type: 'string', default: '2' },
      m: { type: 'string', default: '128' },
      k: { type: 'string', default: '256' },
      n: { type: 'string', default: '512' },
      comm: { type: 'string' },
      algo: { type: 'string' },
      fabric: { type: 'string', default: 'nvswitch' },
      alpha: { type: 'string' },
      beta: { type: 'string' },
      sweep: { type: 'boolean', default: false },
      reps: { type: 'string', default: '5' },
      seed: { type: 'string', default: '1' },
      json: { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`tp takes no positional '${positionals[0]}'`);
  const layout = layoutOption(values, 'tp');
  const ranks = parseWhole('--ranks', values.ranks, 1, MAX_TP_RANKS);
  const [m, k, n] = (['m', 'k', 'n'] as const).map((d) =>
    parseWhole(`--${d}`, values[d], 1, MAX_TP_DIM),
  ) as [number, number, number];
  const preset = fabricPreset(values.fabric);
  const link: LinkSpec = {
    ...preset.link,
    ...(values.alpha === undefined ? {} : { alpha_s: parseTime('--alpha', values.alpha) }),
    ...(values.beta === undefined ? {} : { beta_Bps: parseBandwidth('--beta', values.beta) }),
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
  for (const spec of specs) {
    tensorParallel(spec);
    preset.build(spec.ranks, undefined, link);
  }
  return {
    specs,
    fabric: preset.name,
    link,
    linkOverridden: values.alpha !== undefined || values.beta !== undefined,
    sweep: values.sweep,
    reps: parseWhole('--reps', values.reps, 1, 1000),
    seed: parseWhole('--seed', values.seed, 0, 2 ** 32 - 1),
    ...(values.json === undefined ? {} : { json: values.json }),
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
  if (!(LAYOUTS as readonly string[]).includes(values.layout)) {
    throw new UsageError(`--layout '${values.layout}' is not one of ${LAYOUTS.join(', ')}`);
  }
  const layout = values.layout as Layout;
  const comms = LAYOUT_COMMS[layout];
  if (values.comm !== undefined && !(comms as readonly string[]).includes(values.comm)) {
    throw new UsageError(
      `--comm '${values.comm}' for --layout ${layout} must be ${comms.join(' or ')}`,
    );
  }
  return layout;
}
