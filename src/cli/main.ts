// The `fleetlab` command. Exit codes: 0 done, 1 the GPU or the run failed, 2 bad usage (one
// line on stderr naming the value and the limit).
import { LimitError, NoAdapterError } from '../gpu/errors.ts';
import { UsageError } from './args.ts';
import { BENCH_USAGE, runBench } from './bench.ts';
import { CALIBRATE_USAGE, runCalibrate } from './calibrate.ts';
import { MODEL_USAGE, runModel } from './model.ts';
import { PLAN_USAGE, runPlan } from './plan.ts';
import { runServe, SERVE_USAGE } from './serve.ts';
import { runTp, TP_USAGE } from './tp.ts';

const USAGE = `usage: fleetlab <command> [options]
commands:
  bench       run a collective on the GPU across simulated ranks: nccl-tests' table + model;
              'bench matmul': GFLOP/s of the matmul kernels against the measured FMA peak
  calibrate   measure the memory roofline, the step kernel (copy, reduce) and dispatch latency
  model       the textbook's closed-form time of a collective or a message, or 'model
              kvcache': KV bytes per token and in total (no GPU)
  plan        a plan as text (who sends which chunk to whom, wave by wave), its tasks, bytes,
              critical path and emulated time beside the closed form, at any size (no GPU)
  serve       a seeded workload served by a small decoder on this GPU (paged KV cache,
              static or continuous batching): TTFT, TPOT, tokens/s, KV utilization
  tp          a tensor-parallel layer (column, row, MLP) across simulated ranks: checked,
              timed (measured, emulated, analytic) and, with --sweep, the Fleet Law's eta
  help        this text; 'fleetlab help calibrate' for a command's options`;

/** A command writes lines to `out` and resolves with its exit code (anything else: 0). */
type Run = (args: string[], out: (line: string) => void) => Promise<unknown>;

const COMMANDS: Readonly<Record<string, { usage: string; run: Run }>> = {
  bench: { usage: BENCH_USAGE, run: runBench },
  calibrate: { usage: CALIBRATE_USAGE, run: runCalibrate },
  model: { usage: MODEL_USAGE, run: runModel },
  plan: { usage: PLAN_USAGE, run: runPlan },
  serve: { usage: SERVE_USAGE, run: runServe },
  tp: { usage: TP_USAGE, run: runTp },
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      const topic = rest[0] === undefined ? undefined : COMMANDS[rest[0]];
      out(topic ? topic.usage : USAGE);
      return 0;
    }
    const entry = COMMANDS[command];
    if (!entry)
      throw new UsageError(
        `unknown command '${command}' (commands: ${Object.keys(COMMANDS).join(', ')}, help)`,
      );
    if (rest.includes('--help') || rest.includes('-h')) {
      out(entry.usage);
      return 0;
    }
    const code = await entry.run(rest, out);
    return typeof code === 'number' ? code : 0;
  } catch (e) {
    const error = e as Error & { code?: string };
    // node:util parseArgs reports unknown or malformed options with ERR_PARSE_ARGS_* codes;
    // plan builders, fabrics and the model throw RangeError for values they cannot take.
    const usage =
      e instanceof UsageError ||
      e instanceof LimitError ||
      e instanceof RangeError ||
      error.code?.startsWith('ERR_PARSE_ARGS');
    const message = e instanceof NoAdapterError ? error.message : error.message.split('\n')[0];
    process.stderr.write(`fleetlab: ${message}\n`);
    return usage ? 2 : 1;
  }
}
