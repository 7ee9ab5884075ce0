// `fleetlab bench` options, as nccl-tests spells them, plus fleetlab's own (ranks, algorithms,
// fabric, JSON, a bus bandwidth gate).
import { parseArgs } from 'node:util';
import { MAX_RANKS } from '../plans/build.ts';
import { type Dtype, isDtype, isRedOp, type RedOp } from '../plans/dtype.ts';
import { COLLECTIVES, type Collective } from '../plans/plan.ts';
import { ALGORITHMS } from '../plans/registry.ts';
import { parseBytes, parseNumber, UsageError } from './args.ts';

export const BENCH_USAGE = `usage: fleetlab bench <${COLLECTIVES.join('|')}> [options]
  -b, --minbytes SIZE       smallest message (default 8K; K/M/G = 2^10..., KB/MB/GB = 1e3...)
  -e, --maxbytes SIZE       largest message (default 8M)
  -f, --stepfactor F        each size is the previous times F (default 2)
  -n, --iters N             timed iterations per size (default 5)
  -w, --warmup_iters N      untimed iterations first (default 1)
  -c, --check 0|1           check every result against the CPU interpreter (default 1)
  -d, --datatype T          float or int32 (default float)
  -o, --op OP               sum, prod, max or min (default sum)
  -r, --root R              root rank of broadcast and reduce (default 0)
  -g, --ranks N             simulated ranks, 1 to ${MAX_RANKS} (default 8)
      --algo A,B            algorithms, comma separated (default: all for the collective)
      --fabric PRESET       add an emulated column: the plan priced on this fabric
      --calibration FILE    fit the model to this 'fleetlab calibrate --json' output (default: measure now)
      --json FILE           write nccl-tests' -J layout plus fleetlab's columns (- for stdout)
      --min-busbw GBPS      fail (exit 1) when the average bus bandwidth is below this (GB/s)`;

export interface BenchArgs {
  readonly collective: Collective;
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
  /** Bytes per second; the gate is off when absent. */
  readonly minBusBw?: number;
}

function wholeNumber(option: string, text: string, min: number, max: number): number {
  const n = parseNumber(option, text, min, max);
  if (!Number.isInteger(n))
    throw new UsageError(`${option} '${text}' must be a whole number from ${min} to ${max}`);
  return n;
}

export function parseBenchArgs(args: string[]): BenchArgs {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      minbytes: { type: 'string', short: 'b', default: '8K' },
      maxbytes: { type: 'string', short: 'e', default: '8M' },
      stepfactor: { type: 'string', short: 'f', default: '2' },
      iters: { type: 'string', short: 'n', default: '5' },
      warmup_iters: { type: 'string', short: 'w', default: '1' },
      check: { type: 'string', short: 'c', default: '1' },
      datatype: { type: 'string', short: 'd', default: 'float' },
      op: { type: 'string', short: 'o', default: 'sum' },
      root: { type: 'string', short: 'r', default: '0' },
      ranks: { type: 'string', short: 'g', default: '8' },
      algo: { type: 'string' },
      fabric: { type: 'string' },
      json: { type: 'string' },
      calibration: { type: 'string' },
      'min-busbw': { type: 'string' },
    },
  });
  if (positionals.length !== 1) {
    throw new UsageError(
      `bench takes one collective (${COLLECTIVES.join(', ')}), got ${positionals.length}`,
    );
  }
  const collective = positionals[0] as string;
  if (!(COLLECTIVES as readonly string[]).includes(collective)) {
    throw new UsageError(`unknown collective '${collective}' (have: ${COLLECTIVES.join(', ')})`);
  }
  const known = Object.keys(ALGORITHMS[collective as Collective]);
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
  const minBytes = parseBytes('--minbytes', values.minbytes);
  const maxBytes = parseBytes('--maxbytes', values.maxbytes);
  if (maxBytes < minBytes)
    throw new UsageError(`--maxbytes ${maxBytes} B is below --minbytes ${minBytes} B`);
  const ranks = wholeNumber('--ranks', values.ranks, 1, MAX_RANKS);
  const datatype = values.datatype;
  if (!isDtype(datatype))
    throw new UsageError(`--datatype '${datatype}' is not one of float, int32`);
  const op = values.op;
  if (!isRedOp(op)) throw new UsageError(`--op '${op}' is not one of sum, prod, max, min`);
  const check = values.check;
  if (check !== '0' && check !== '1') throw new UsageError(`--check '${check}' must be 0 or 1`);
  const minBusBw = values['min-busbw'];
  return {
    collective: collective as Collective,
    algorithms,
    minBytes,
    maxBytes,
    stepFactor: parseNumber('--stepfactor', values.stepfactor, 1.01, 1024),
    iters: wholeNumber('--iters', values.iters, 1, 10_000),
    warmup: wholeNumber('--warmup_iters', values.warmup_iters, 0, 10_000),
    check: check === '1',
    dtype: datatype,
    redop: op,
    root: wholeNumber('--root', values.root, 0, ranks - 1),
    ranks,
    ...(values.fabric === undefined ? {} : { fabric: values.fabric }),
    ...(values.json === undefined ? {} : { json: values.json }),
    ...(values.calibration === undefined ? {} : { calibration: values.calibration }),
    ...(minBusBw === undefined
      ? {}
      : { minBusBw: parseNumber('--min-busbw', minBusBw, 0, 1e6) * 1e9 }),
  };
}
