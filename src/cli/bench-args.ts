// `fleetlab bench` options, as nccl-tests spells them, plus fleetlab's own (ranks, algorithms,
// fabric, JSON, a bus bandwidth gate).
import { FABRIC_PRESETS } from '../fabric/fabric-presets.ts';
import { MAX_RANKS } from '../plans/build.ts';
import { DTYPES, type Dtype, REDOPS, type RedOp } from '../plans/dtype.ts';
import { ALLTOALLV_ALGORITHMS } from '../plans/experts/alltoallv.ts';
import { COLLECTIVES, type Collective } from '../plans/plan.ts';
import { ALGORITHMS } from '../plans/registry.ts';
import { UsageError } from './args.ts';
import { traceFileOf } from './run-flags.ts';
import { type CommandSchema, parseCommand, usage } from './schema.ts';

/** -f, nccl-tests' step factor: each size is the previous times F (bench and calibrate). */
export const STEP_FACTOR_FLAG = {
  kind: 'number',
  short: 'f',
  min: 1.01,
  max: 1024,
  default: '2',
  help: 'each size is the previous times F',
  meta: 'F',
} as const;

/** What bench runs: nccl-tests' collectives, and the AllToAllv of a MoE dispatch. */
export const BENCH_COLLECTIVES = [...COLLECTIVES, 'alltoallv'] as const;
export type BenchCollective = (typeof BENCH_COLLECTIVES)[number];

export const BENCH_SCHEMA = {
  name: 'bench',
  about:
    "A collective run on this GPU across simulated ranks, as nccl-tests' table: every size " +
    'timed, checked against the CPU interpreter, and set beside the calibrated model of the ' +
    "executor; with --fabric, the same plan priced on that fabric ('emulated') and its closed " +
    "form ('analytic').",
  positionals: {
    synopsis: `<${BENCH_COLLECTIVES.join('|')}>`,
    min: 1,
    max: 1,
    choices: BENCH_COLLECTIVES,
    unknown: (c: string) =>
      `unknown collective '${c}' (have: ${BENCH_COLLECTIVES.join(', ')}; or matmul)`,
    missing: `bench takes one collective (${BENCH_COLLECTIVES.join(', ')}), got 0`,
    extra: (c: string) => `bench takes one collective, not '${c}' too`,
  },
  flags: {
    minbytes: { kind: 'size', short: 'b', default: '8K', help: 'smallest message' },
    maxbytes: { kind: 'size', short: 'e', default: '8M', help: 'largest message' },
    stepfactor: STEP_FACTOR_FLAG,
    iters: {
      kind: 'count',
      short: 'n',
      min: 1,
      max: 10_000,
      default: '5',
      help: 'timed iterations per size',
    },
    warmup_iters: {
      kind: 'count',
      short: 'w',
      min: 0,
      max: 10_000,
      default: '1',
      help: 'untimed iterations first',
    },
    check: {
      kind: 'choice',
      short: 'c',
      choices: ['0', '1'],
      default: '1',
      help: 'check every result against the CPU interpreter',
      meta: '0|1',
    },
    datatype: {
      kind: 'choice',
      short: 'd',
      choices: DTYPES,
      default: 'float',
      help: 'element type',
      meta: 'T',
    },
    op: {
      kind: 'choice',
      short: 'o',
      choices: REDOPS,
      default: 'sum',
      help: 'reduction',
      meta: 'OP',
    },
    root: {
      kind: 'count',
      short: 'r',
      min: 0,
      max: MAX_RANKS - 1,
      default: '0',
      help: 'root rank of broadcast and reduce (below --ranks)',
      meta: 'R',
    },
    ranks: {
      kind: 'count',
      short: 'g',
      min: 1,
      max: MAX_RANKS,
      default: '8',
      help: 'simulated ranks',
    },
    skew: {
      kind: 'number',
      min: 0,
      max: 8,
      default: '0',
      help: 'alltoallv: each rank splits its count over the ranks by Zipf weights 1/(j+1)^S (0: evenly, as alltoall)',
      meta: 'S',
    },
    algo: {
      kind: 'text',
      help: "algorithms, comma separated (default: all for the collective; 'fleetlab model --help' lists them)",
      meta: 'A,B',
    },
    fabric: {
      kind: 'choice',
      choices: FABRIC_PRESETS.map((p) => p.name),
      help: 'add the emulated and analytic columns: the plan priced on this fabric',
      meta: 'PRESET',
    },
    calibration: {
      kind: 'text',
      help: "fit the model to this 'fleetlab calibrate --json' output (default: calibrate here, now)",
      meta: 'FILE',
    },
    json: {
      kind: 'text',
      help: "write nccl-tests' -J layout plus fleetlab's columns (- for stdout)",
      meta: 'FILE',
    },
    // The largest size only, not every size one after another: the sizes span orders of
    // magnitude (8K to 8M by default), so the small ones would be slivers beside the largest,
    // and the largest is where bandwidth, the thing bench measures, decides the time.
    trace: {
      kind: 'text',
      help:
        "write a Chrome trace (ui.perfetto.dev) of each algorithm's largest size, out of place, " +
        'one after another: the GPU-measured steps (all ranks in one pass a step) and, with ' +
        '--fabric, the emulated ranks',
      meta: 'FILE',
    },
    'min-busbw': {
      kind: 'rate',
      help: 'fail (exit 1) when the average bus bandwidth is below this',
      meta: 'RATE',
    },
  },
  notes: `also:\n  fleetlab bench matmul [options]   the matmul kernels' GFLOP/s ('fleetlab bench matmul --help')\nfabric presets (--fabric):\n${FABRIC_PRESETS.map((p) => `  ${p.name.padEnd(12)}${p.title}`).join('\n')}`,
} as const satisfies CommandSchema;

export const BENCH_USAGE = usage(BENCH_SCHEMA);

export interface BenchArgs {
  readonly collective: BenchCollective;
  /** alltoallv: the Zipf skew of the receivers (0: even). */
  readonly skew: number;
  readonly algorithms: readonly string[];
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly stepFactor: number;
  readonly iters: number;
  readonly warmup: number;
  readonly check: boolean;
  readonly dtype: Dtype;
  readonly redop: RedOp;
  readonly root: number;
  readonly ranks: number;
  readonly fabric?: string;
  readonly json?: string;
  readonly calibration?: string;
  /** --trace FILE, checked writable (src/cli/run-flags.ts traceFileOf). */
  readonly trace?: string;
  /** Bytes per second; the gate is off when absent. */
  readonly minBusBw?: number;
}

export function parseBenchArgs(args: string[]): BenchArgs {
  const { values, positionals } = parseCommand(BENCH_SCHEMA, args);
  const collective = positionals[0] as BenchCollective;
  const known: readonly string[] =
    collective === 'alltoallv'
      ? ALLTOALLV_ALGORITHMS
      : Object.keys(ALGORITHMS[collective as Collective]);
  const algorithms =
    values.algo === undefined ? known : values.algo.split(',').map((a) => a.trim());
  for (const a of algorithms) {
    if (!known.includes(a)) {
      throw new UsageError(
        `unknown algorithm '${a}' for ${collective} (have: ${known.join(', ') || 'none'})`,
      );
    }
  }
  if (algorithms.length === 0) throw new UsageError(`no algorithm for ${collective} yet`);
  const { minbytes: minBytes, maxbytes: maxBytes, ranks } = values;
  if (maxBytes < minBytes)
    throw new UsageError(`--maxbytes ${maxBytes} B is below --minbytes ${minBytes} B`);
  if (values.skew !== 0 && collective !== 'alltoallv') {
    throw new UsageError(`--skew is for alltoallv, not ${collective}`);
  }
  if (values.root >= ranks) {
    throw new UsageError(
      `--root '${values.root}' must be below --ranks ${ranks} (0 to ${ranks - 1})`,
    );
  }
  return {
    collective,
    skew: values.skew,
    algorithms,
    minBytes,
    maxBytes,
    stepFactor: values.stepfactor,
    iters: values.iters,
    warmup: values.warmup_iters,
    check: values.check === '1',
    dtype: values.datatype,
    redop: values.op,
    root: values.root,
    ranks,
    ...(values.fabric === undefined ? {} : { fabric: values.fabric }),
    ...(values.json === undefined ? {} : { json: values.json }),
    ...(values.calibration === undefined ? {} : { calibration: values.calibration }),
    ...(values.trace === undefined ? {} : { trace: traceFileOf(values.trace) as string }),
    ...(values['min-busbw'] === undefined ? {} : { minBusBw: values['min-busbw'] }),
  };
}
