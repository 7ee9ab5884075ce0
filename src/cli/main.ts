// The `fleetlab` command. Exit codes: 0 done, 1 the GPU or the run failed, 2 bad usage (one
// line on stderr naming the value and the limit).
import { readFileSync } from 'node:fs';
import { LimitError, NoAdapterError } from '../gpu/errors.ts';
import { UsageError } from './args.ts';
import { BENCH_USAGE, runBench } from './bench.ts';
import { BENCH_MATMUL_USAGE } from './bench-matmul.ts';
import { CALIBRATE_USAGE, runCalibrate } from './calibrate.ts';
import { COUNT_FORMS, RATE_FORMS, SIZE_FORMS, TIME_FORMS } from './grammar.ts';
import { IMPORT_USAGE, runImport } from './import.ts';
import { MODEL_USAGE, runModel } from './model.ts';
import { KVCACHE_USAGE } from './model-kvcache.ts';
import { MOE_USAGE } from './model-moe.ts';
import { OVERLAP_USAGE, PIPELINE_USAGE, ZERO_USAGE } from './model-training.ts';
import { MOE_CLI_USAGE, runMoeCommand } from './moe.ts';
import { PLAN_USAGE, runPlan } from './plan.ts';
import { runServe, SERVE_USAGE } from './serve.ts';
import { runTp, TP_USAGE } from './tp.ts';
import { DP_USAGE, PP_USAGE, runDp, runPp } from './train.ts';

const USAGE = `usage: fleetlab <command> [options]
commands:
  bench       run a collective on the GPU across simulated ranks: nccl-tests' table + model;
              'bench matmul': GFLOP/s of the matmul kernels against the measured FMA peak
  calibrate   measure the memory roofline, the step kernel (copy, reduce) and dispatch latency
  model       the textbook's closed-form time of a collective or a message; 'model kvcache':
              KV bytes; 'model pipeline | zero | overlap': the training models; 'model moe':
              the MoE all-to-all sized as the book does (no GPU)
  dp          a data-parallel training step (gradient buckets under the backward pass, ZeRO
              1-3) on the GPU: checked, measured, emulated with and without overlap
  import      nccl-tests output from a real cluster read back: its rows in fleetlab's table,
              alpha and beta fitted per run, the fitted closed form beside every row (no GPU)
  moe         a mixture-of-experts layer (top-k routing, capacity, dispatch and combine
              AllToAllv) on the GPU: checked, tokens per expert, dropped, imbalance and its cost
  plan        a plan as text (who sends which chunk to whom, wave by wave), its tasks, bytes,
              critical path and emulated time beside the closed form, at any size (no GPU)
  pp          a pipeline-parallel training step (gpipe, 1f1b, interleaved): checked, its bubble
              emulated beside (p-1)/(p-1+mV), the activations each stage holds
  serve       a seeded workload served by a small decoder on this GPU (paged KV cache,
              static or continuous batching): TTFT, TPOT, tokens/s, KV utilization
  tp          a tensor-parallel layer (column, row, MLP, attention) across simulated ranks:
              checked, timed (measured, emulated, analytic) and, with --sweep, the Fleet Law's eta
  help        this text; 'fleetlab help bench' or 'fleetlab bench --help' for a command's options
  --version   fleetlab's version
values: sizes ${SIZE_FORMS}; times ${TIME_FORMS};
  rates ${RATE_FORMS}; counts ${COUNT_FORMS}.
  A time or a rate needs its unit ('--alpha 1.5' is refused: 1.5s or 1.5us?).
exit status: 0 done, 1 the GPU or the run failed, 2 bad usage (one line on stderr).`;

/** A command writes lines to `out` and resolves with its exit code (anything else: 0). */
type Run = (args: string[], out: (line: string) => void) => Promise<unknown>;

interface Entry {
  readonly usage: string;
  readonly run: Run;
  /** Subcommands, the first argument after the command ('bench matmul'), by their help. */
  readonly subcommands?: Readonly<Record<string, string>>;
}

const COMMANDS: Readonly<Record<string, Entry>> = {
  bench: { usage: BENCH_USAGE, run: runBench, subcommands: { matmul: BENCH_MATMUL_USAGE } },
  calibrate: { usage: CALIBRATE_USAGE, run: runCalibrate },
  model: {
    usage: MODEL_USAGE,
    run: runModel,
    subcommands: {
      kvcache: KVCACHE_USAGE,
      pipeline: PIPELINE_USAGE,
      zero: ZERO_USAGE,
      overlap: OVERLAP_USAGE,
      moe: MOE_USAGE,
    },
  },
  dp: { usage: DP_USAGE, run: runDp },
  import: { usage: IMPORT_USAGE, run: runImport },
  moe: { usage: MOE_CLI_USAGE, run: runMoeCommand },
  plan: { usage: PLAN_USAGE, run: runPlan },
  pp: { usage: PP_USAGE, run: runPp },
  serve: { usage: SERVE_USAGE, run: runServe },
  tp: { usage: TP_USAGE, run: runTp },
};

/** The help of `command` and, when the first of `rest` is one of its subcommands, of that. */
function helpOf(entry: Entry, rest: readonly string[]): string {
  const sub = rest.find((a) => !a.startsWith('-'));
  return (sub !== undefined && entry.subcommands?.[sub]) || entry.usage;
}

/** package.json's version, read when asked (the CLI runs from the source tree). */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return `fleetlab ${String(pkg.version)}`;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    if (command === undefined) {
      // No command is a usage error: the help goes to stderr, and the exit status says so.
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
    if (command === '--version' || command === '-V') {
      out(version());
      return 0;
    }
    if (command === 'help' || command === '--help' || command === '-h') {
      const topic = rest[0] === undefined ? undefined : COMMANDS[rest[0]];
      if (rest[0] !== undefined && !topic) {
        throw new UsageError(
          `no help on '${rest[0]}' (commands: ${Object.keys(COMMANDS).join(', ')})`,
        );
      }
      out(topic ? helpOf(topic, rest.slice(1)) : USAGE);
      return 0;
    }
    const entry = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!entry)
      throw new UsageError(
        `unknown command '${command}' (commands: ${Object.keys(COMMANDS).join(', ')}, help, --version)`,
      );
    if (rest.includes('--help') || rest.includes('-h')) {
      out(helpOf(entry, rest));
      return 0;
    }
    const code = await entry.run(rest, out);
    return typeof code === 'number' ? code : 0;
  } catch (e) {
    const error = e as Error;
    // Plan builders, fabrics and the model throw RangeError for values they cannot take; the
    // schema's parser throws UsageError; both are bad usage, exit 2.
    const usage = e instanceof UsageError || e instanceof LimitError || e instanceof RangeError;
    const message = e instanceof NoAdapterError ? error.message : error.message.split('\n')[0];
    process.stderr.write(`fleetlab: ${message}\n`);
    return usage ? 2 : 1;
  }
}
