// `fleetlab plan` options, checked before anything is built: bad input is a UsageError (exit
// 2, one line naming the value and the limit), as in every other command.
import { parseArgs } from 'node:util';
import { FABRIC_PRESETS, type FabricPreset, fabricPreset } from '../fabric/fabric-presets.ts';
import { MAX_PLAN_RANKS } from '../plans/build.ts';
import { COLLECTIVES, type Collective, type CollectiveSpec } from '../plans/plan.ts';
import { ALGORITHMS } from '../plans/registry.ts';
import {
  MAX_TP_DIM,
  MAX_TP_RANKS,
  type TensorParallelSpec,
  type TpComm,
} from '../plans/tensor-parallel.ts';
import { parseBytes, parseWhole, UsageError } from './args.ts';
import { layoutOption } from './tp-args.ts';
import { parseTime } from './units-parse.ts';

/** Plans of at most this many ranks are printed wave by wave. */
export const MAX_TEXT_RANKS = 16;

export const PLAN_USAGE = `usage: fleetlab plan <${COLLECTIVES.join('|')}|tp> [options]
A plan as a student reads it (no GPU): for up to ${MAX_TEXT_RANKS} ranks each wave as text (who sends
which chunk to whom), and for any size its tasks, waves, moves, bytes on the busiest link, the
critical path, the emulated time on a fabric (the event-driven pricer) beside the closed form,
and how long building, validating and pricing took.
  collective      ${COLLECTIVES.join(', ')}
      --algo A    the algorithm (default: the collective's first; as 'fleetlab model')
      --ranks N   ranks, 1..${MAX_PLAN_RANKS}
      --count C   elements of nccl-tests' count (default 1M = 2^20; K/M/G = 2^10...,
                  KB/MB/GB = 1e3...): allreduce, broadcast, reduce: each rank's buffer;
                  allgather: the gathered result; reducescatter, alltoall: each rank's input
      --root R    broadcast and reduce: the root rank (default 0)
      --in-place  the result overwrites the input (default: out of place)
  tp              a tensor-parallel layer (as 'fleetlab tp', no GPU)
      --layout L  column, row, mlp or attention
      --ranks N   ranks (default 2; 1..${MAX_TP_RANKS}); --m M --k K --n N2 (defaults 128, 256, 512)
      --comm C    as 'fleetlab tp'; --algo A: the collective's algorithm (default ring)
      --kernel-time T   seconds each kernel takes (default 0: communication only; 5us, 2e-6)
  --fabric P      where the ranks talk (default nvswitch):
                  ${FABRIC_PRESETS.map((p) => p.name).join(', ')}
  --json FILE     also write every figure as JSON (- for stdout)`;

interface Common {
  readonly preset: FabricPreset;
  readonly json?: string;
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

const OPTIONS = {
  algo: { type: 'string' },
  ranks: { type: 'string' },
  count: { type: 'string' },
  root: { type: 'string' },
  'in-place': { type: 'boolean', default: false },
  layout: { type: 'string' },
  m: { type: 'string' },
  k: { type: 'string' },
  n: { type: 'string' },
  comm: { type: 'string' },
  'kernel-time': { type: 'string' },
  fabric: { type: 'string', default: 'nvswitch' },
  json: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

const COLLECTIVE_ONLY = ['count', 'root', 'in-place'] as const;
const TP_ONLY = ['layout', 'm', 'k', 'n', 'comm', 'kernel-time'] as const;

function refuse(values: Values, names: readonly (keyof Values)[], what: string): void {
  for (const name of names) {
    const v = values[name];
    if (v !== undefined && v !== false) throw new UsageError(`--${name} does not apply to ${what}`);
  }
}

/** A count as sizes are written elsewhere ('64K' = 65536, '1MB' = 1e6), in elements. */
function parseCount(text: string): number {
  try {
    return parseBytes('--count', text);
  } catch {
    throw new UsageError(
      `--count '${text}' is not a count: a whole number, or with K/M/G (2^10...) or KB/MB/GB (1e3...)`,
    );
  }
}

function collectiveArgs(name: string, values: Values, common: Common): PlanArgs {
  if (!(COLLECTIVES as readonly string[]).includes(name)) {
    throw new UsageError(
      `unknown collective '${name}' (collectives: ${COLLECTIVES.join(', ')}; or tp)`,
    );
  }
  const collective = name as Collective;
  refuse(values, TP_ONLY, `plan ${collective}`);
  const known = Object.keys(ALGORITHMS[collective]);
  const algorithm = values.algo ?? (known[0] as string);
  if (!known.includes(algorithm)) {
    throw new UsageError(
      `--algo '${algorithm}' does not apply to ${collective} (algorithms: ${known.join(', ')})`,
    );
  }
  if (values.ranks === undefined) throw new UsageError(`plan ${collective} needs --ranks`);
  const ranks = parseWhole('--ranks', values.ranks, 1, MAX_PLAN_RANKS);
  const rooted = collective === 'broadcast' || collective === 'reduce';
  if (!rooted && values.root !== undefined) {
    throw new UsageError(`--root does not apply to ${collective}`);
  }
  const spec: CollectiveSpec = {
    ranks,
    count: parseCount(values.count ?? '1M'),
    dtype: 'float',
    redop: 'sum',
    inPlace: values['in-place'] === true,
    root: values.root === undefined ? 0 : parseWhole('--root', values.root, 0, ranks - 1),
  };
  return { kind: 'collective', collective, algorithm, spec, ...common };
}

function tpArgs(values: Values, common: Common): PlanArgs {
  refuse(values, COLLECTIVE_ONLY, 'plan tp');
  const layout = layoutOption(values, 'plan tp');
  const dim = (d: 'm' | 'k' | 'n', fallback: string) =>
    parseWhole(`--${d}`, values[d] ?? fallback, 1, MAX_TP_DIM);
  const spec: TensorParallelSpec = {
    layout,
    ranks: parseWhole('--ranks', values.ranks ?? '2', 1, MAX_TP_RANKS),
    m: dim('m', '128'),
    k: dim('k', '256'),
    n: dim('n', '512'),
    ...(values.comm === undefined ? {} : { comm: values.comm as TpComm }),
    ...(values.algo === undefined ? {} : { algorithm: values.algo }),
  };
  const kernel_s =
    values['kernel-time'] === undefined ? 0 : parseTime('--kernel-time', values['kernel-time']);
  return { kind: 'tp', spec, kernel_s, ...common };
}

export function parsePlanArgs(argv: string[]): PlanArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: OPTIONS,
  });
  const [what, ...extra] = positionals;
  if (what === undefined) {
    throw new UsageError(`plan needs a collective (${COLLECTIVES.join(', ')}) or tp`);
  }
  if (extra.length > 0) throw new UsageError(`plan takes one collective, not '${extra[0]}' too`);
  const common: Common = {
    preset: fabricPreset(values.fabric),
    ...(values.json === undefined ? {} : { json: values.json }),
  };
  return what === 'tp' ? tpArgs(values, common) : collectiveArgs(what, values, common);
}
