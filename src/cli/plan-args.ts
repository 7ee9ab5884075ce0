// `fleetlab plan` options, checked before anything is built: bad input is a UsageError (exit
// 2, one line naming the value and the limit), as in every other command.
import { FABRIC_PRESETS, type FabricPreset, fabricPreset } from '../fabric/fabric-presets.ts';
import type { Straggler } from '../fabric/stragglers.ts';
import { MAX_PLAN_RANKS } from '../plans/build.ts';
import { COLLECTIVES, type Collective, type CollectiveSpec, LAYOUTS } from '../plans/plan.ts';
import { ALGORITHMS } from '../plans/registry.ts';
import {
  MAX_TP_DIM,
  MAX_TP_RANKS,
  type TensorParallelSpec,
  type TpComm,
} from '../plans/tensor-parallel.ts';
import { UsageError } from './args.ts';
import {
  DETECT_TIMEOUT_FLAG,
  FAIL_FLAG,
  STRAGGLER_FLAG,
  stragglersOf,
  TRACE_FLAG,
} from './run-flags.ts';
import { type CommandSchema, type Parsed, parseCommand, usage } from './schema.ts';
import { layoutOption } from './tp-args.ts';

type Flags = typeof PLAN_SCHEMA.flags;

/** Plans of at most this many ranks are printed wave by wave. */
export const MAX_TEXT_RANKS = 16;

export const PLAN_SCHEMA = {
  name: 'plan',
  about:
    `A plan as a student reads it (no GPU): for up to ${MAX_TEXT_RANKS} ranks each wave as text (who sends ` +
    'which chunk to whom), and for any size its tasks, waves, moves, bytes on the busiest link, ' +
    'the critical path, the emulated time on a fabric (the event-driven pricer) beside the closed ' +
    "form, and how long building, validating and pricing took. 'plan tp': a tensor-parallel " +
    "layer (as 'fleetlab tp', no GPU).",
  positionals: {
    synopsis: `<${COLLECTIVES.join('|')}|tp>`,
    min: 1,
    max: 1,
    choices: [...COLLECTIVES, 'tp'],
    unknown: (name: string) =>
      `unknown collective '${name}' (collectives: ${COLLECTIVES.join(', ')}; or tp)`,
    missing: `plan needs a collective (${COLLECTIVES.join(', ')}) or tp`,
    extra: (name: string) => `plan takes one collective, not '${name}' too`,
  },
  flags: {
    algo: {
      kind: 'text',
      help: "the algorithm (default: the collective's first, as 'fleetlab model'; tp: the collective's, default ring)",
      meta: 'A',
    },
    ranks: {
      kind: 'count',
      min: 1,
      max: MAX_PLAN_RANKS,
      help: `ranks (a collective needs it; tp: default 2, at most ${MAX_TP_RANKS})`,
    },
    count: {
      kind: 'count',
      min: 0,
      max: 2 ** 40,
      help:
        "collectives: elements of nccl-tests' count (default 1M = 2^20): allreduce, broadcast, " +
        "reduce: each rank's buffer; allgather: the gathered result; reducescatter, alltoall: " +
        "each rank's input",
      meta: 'C',
    },
    root: {
      kind: 'count',
      min: 0,
      max: MAX_PLAN_RANKS - 1,
      help: 'broadcast and reduce: the root rank (default 0)',
      meta: 'R',
    },
    'in-place': {
      kind: 'flag',
      help: 'collectives: the result overwrites the input (default: out of place)',
    },
    layout: { kind: 'choice', choices: LAYOUTS, help: 'tp: the layer', meta: 'L' },
    m: { kind: 'count', min: 1, max: MAX_TP_DIM, help: 'tp: rows of X (default 128)', meta: 'M' },
    k: {
      kind: 'count',
      min: 1,
      max: MAX_TP_DIM,
      help: 'tp: columns of X (default 256)',
      meta: 'K',
    },
    n: {
      kind: 'count',
      min: 1,
      max: MAX_TP_DIM,
      help: 'tp: columns of W (default 512)',
      meta: 'N2',
    },
    comm: { kind: 'text', help: "tp: as 'fleetlab tp'", meta: 'C' },
    'kernel-time': {
      kind: 'time',
      help: 'tp: the time each kernel takes (default 0: communication only)',
      meta: 'T',
    },
    fabric: {
      kind: 'choice',
      choices: FABRIC_PRESETS.map((p) => p.name),
      default: 'nvswitch',
      help: 'where the ranks talk',
      meta: 'P',
    },
    json: { kind: 'text', help: 'also write every figure as JSON (- for stdout)', meta: 'FILE' },
    trace: TRACE_FLAG,
    straggler: STRAGGLER_FLAG,
    fail: FAIL_FLAG,
    'detect-timeout': DETECT_TIMEOUT_FLAG,
  },
} as const satisfies CommandSchema;

export const PLAN_USAGE = usage(PLAN_SCHEMA);

interface Common {
  readonly preset: FabricPreset;
  readonly json?: string;
  readonly trace?: string;
  readonly stragglers?: readonly Straggler[];
  /** --fail as written (checked against the plan's waves once it is built), and the timeout. */
  readonly fail?: { readonly text: string; readonly detect_s: number };
}

export type PlanArgs =
  | (Common & {
      readonly kind: 'collective';
      readonly collective: Collective;
      readonly algorithm: string;
      readonly spec: CollectiveSpec;
    })
  | (Common & {
      readonly kind: 'tp';
      readonly spec: TensorParallelSpec;
      readonly kernel_s: number;
    });

type Values = Parsed<typeof PLAN_SCHEMA.flags>['values'];
type Given = Parsed<typeof PLAN_SCHEMA.flags>['given'];

const COLLECTIVE_ONLY = ['count', 'root', 'in-place'] as const;
const TP_ONLY = ['layout', 'm', 'k', 'n', 'comm', 'kernel-time'] as const;

function refuse(given: Given, names: readonly (keyof Values & string)[], what: string): void {
  for (const name of names) {
    if (given.has(name)) throw new UsageError(`--${name} does not apply to ${what}`);
  }
}

function collectiveArgs(name: string, { values, given }: Parsed<Flags>, common: Common): PlanArgs {
  const collective = name as Collective;
  refuse(given, TP_ONLY, `plan ${collective}`);
  const known = Object.keys(ALGORITHMS[collective]);
  const algorithm = values.algo ?? (known[0] as string);
  if (!known.includes(algorithm)) {
    throw new UsageError(
      `--algo '${algorithm}' does not apply to ${collective} (algorithms: ${known.join(', ')})`,
    );
  }
  if (values.ranks === undefined) throw new UsageError(`plan ${collective} needs --ranks`);
  const ranks = values.ranks;
  const rooted = collective === 'broadcast' || collective === 'reduce';
  if (!rooted && values.root !== undefined) {
    throw new UsageError(`--root does not apply to ${collective}`);
  }
  if (values.root !== undefined && values.root >= ranks) {
    throw new UsageError(
      `--root '${values.root}' must be below --ranks ${ranks} (0 to ${ranks - 1})`,
    );
  }
  if (values.fail !== undefined && collective !== 'allreduce') {
    throw new UsageError(`--fail applies to allreduce, not ${collective}`);
  }
  const spec: CollectiveSpec = {
    ranks,
    count: values.count ?? 2 ** 20,
    dtype: 'float',
    redop: 'sum',
    inPlace: values['in-place'] === true,
    root: values.root ?? 0,
  };
  return { kind: 'collective', collective, algorithm, spec, ...common };
}

function tpArgs({ values, given }: Parsed<Flags>, common: Common): PlanArgs {
  refuse(given, [...COLLECTIVE_ONLY, 'fail'], 'plan tp');
  const layout = layoutOption(values, 'plan tp');
  const ranks = values.ranks ?? 2;
  if (ranks > MAX_TP_RANKS) {
    throw new UsageError(`--ranks '${ranks}' must be at most ${MAX_TP_RANKS} for plan tp`);
  }
  const spec: TensorParallelSpec = {
    layout,
    ranks,
    m: values.m ?? 128,
    k: values.k ?? 256,
    n: values.n ?? 512,
    ...(values.comm === undefined ? {} : { comm: values.comm as TpComm }),
    ...(values.algo === undefined ? {} : { algorithm: values.algo }),
  };
  return { kind: 'tp', spec, kernel_s: values['kernel-time'] ?? 0, ...common };
}

export function parsePlanArgs(argv: string[]): PlanArgs {
  const parsed = parseCommand(PLAN_SCHEMA, argv);
  const { values } = parsed;
  const what = parsed.positionals[0] as string;
  const common: Common = {
    preset: fabricPreset(values.fabric),
    ...(values.json === undefined ? {} : { json: values.json }),
    ...(values.trace === undefined ? {} : { trace: values.trace }),
    ...(values.fail === undefined
      ? {}
      : { fail: { text: values.fail, detect_s: values['detect-timeout'] } }),
  };
  if (values.fail === undefined && parsed.given.has('detect-timeout')) {
    throw new UsageError('--detect-timeout applies only with --fail');
  }
  if (values.fail !== undefined && values.straggler !== undefined) {
    throw new UsageError('--fail and --straggler cannot be combined yet');
  }
  const args = what === 'tp' ? tpArgs(parsed, common) : collectiveArgs(what, parsed, common);
  if (values.straggler === undefined) return args;
  return { ...args, stragglers: stragglersOf(values.straggler, args.spec.ranks) };
}
