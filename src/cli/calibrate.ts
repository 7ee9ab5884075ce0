// `fleetlab calibrate`: the memory roofline, the step kernel (copy and reduce) against it and the cost of
// a dispatch, on the adapter at hand, then real plans through the executor; a table on stdout,
// the executor model fitted from it (or why none could be), and, with --json, the figures the
// cost model is calibrated from.
import { writeFileSync } from 'node:fs';
import {
  type CalibrationRow,
  calibrate,
  type SweepOptions,
} from '../exec/calibration/microbench.ts';
import { DEFAULT_KERNEL_CONFIG, type KernelConfig } from '../exec/executor/kernel-config.ts';
import { describeAdapter, type GpuContext } from '../gpu/device.ts';
import { LimitError } from '../gpu/errors.ts';
import { nodeShaders } from '../gpu/shaders-node.ts';
import { describeExecutorModel, localExecutorModel } from '../model/executor-model.ts';
import { formatSeconds } from '../model/units.ts';
import { UsageError } from './args.ts';
import { STEP_FACTOR_FLAG } from './bench-args.ts';
import { cliContext } from './node-context.ts';
import { type CommandSchema, parseCommand, usage } from './schema.ts';
import { Table } from './table.ts';

export const CALIBRATE_SCHEMA = {
  name: 'calibrate',
  about:
    'The memory roofline (copyBufferToBuffer), the step kernel (copy, reduce) against it and the ' +
    'cost of a dispatch on this GPU, then real plans through the executor: the executor model ' +
    "'fleetlab bench' prices plans with is fitted from these figures.",
  flags: {
    'min-bytes': { kind: 'size', short: 'b', min: 16, default: '4K', help: 'smallest buffer' },
    'max-bytes': { kind: 'size', short: 'e', default: '64M', help: 'largest buffer' },
    'step-factor': STEP_FACTOR_FLAG,
    'workgroup-size': {
      kind: 'count',
      min: 1,
      max: 1024,
      default: String(DEFAULT_KERNEL_CONFIG.workgroupSize),
      help: 'step kernel workgroup size, a power of two',
    },
    'lanes-per-invocation': {
      kind: 'count',
      min: 1,
      max: 256,
      default: String(DEFAULT_KERNEL_CONFIG.lanesPerInvocation),
      help: 'lanes each invocation handles',
    },
    'no-robustness': {
      kind: 'flag',
      help: "switch off Dawn's bounds clamping (Node only; browsers keep it)",
    },
    json: { kind: 'text', help: 'also write the figures as JSON (- for stdout)', meta: 'FILE' },
  },
} as const satisfies CommandSchema;

export const CALIBRATE_USAGE = usage(CALIBRATE_SCHEMA);

export interface CalibrateOptions {
  readonly sweep: SweepOptions;
  readonly config: KernelConfig;
  readonly robustness: boolean;
  readonly json?: string;
}

export function parseCalibrateArgs(args: string[]): CalibrateOptions {
  const { values } = parseCommand(CALIBRATE_SCHEMA, args);
  const { 'min-bytes': minBytes, 'max-bytes': maxBytes } = values;
  if (maxBytes < minBytes) {
    throw new UsageError(`--max-bytes ${maxBytes} B is below --min-bytes ${minBytes} B`);
  }
  const workgroupSize = values['workgroup-size'];
  if (!Number.isInteger(Math.log2(workgroupSize))) {
    throw new UsageError(`--workgroup-size ${workgroupSize} must be a power of two`);
  }
  return {
    sweep: { minBytes, maxBytes, stepFactor: values['step-factor'] },
    config: {
      workgroupSize,
      lanesPerInvocation: values['lanes-per-invocation'],
      vectorize: true,
    },
    robustness: !values['no-robustness'],
    ...(values.json === undefined ? {} : { json: values.json }),
  };
}

/** Sizes and workgroup shape the device can hold, checked before any GPU work. */
function checkAgainstDevice(ctx: GpuContext, options: CalibrateOptions): void {
  const { maxBufferSize, maxComputeInvocationsPerWorkgroup } = ctx.limits;
  if (options.sweep.maxBytes > maxBufferSize) {
    throw new LimitError('--max-bytes', options.sweep.maxBytes, 'maxBufferSize', maxBufferSize);
  }
  if (options.config.workgroupSize > maxComputeInvocationsPerWorkgroup) {
    throw new UsageError(
      `--workgroup-size ${options.config.workgroupSize} is beyond this device's ` +
        `maxComputeInvocationsPerWorkgroup of ${maxComputeInvocationsPerWorkgroup}`,
    );
  }
}

const gbps = (bytesPerSecond: number) => (bytesPerSecond / 1e9).toFixed(3);
const us = (seconds: number) => (seconds * 1e6).toFixed(1);

export async function runCalibrate(args: string[], out: (line: string) => void): Promise<void> {
  const options = parseCalibrateArgs(args);
  const ctx = await cliContext({ noRobustness: !options.robustness });
  try {
    checkAgainstDevice(ctx, options);
    const table = new Table([
      { title: 'size', unit: '(B)' },
      { title: 'copyBuffer', unit: 'time(us)' },
      { title: '', unit: '(GB/s)' },
      { title: 'copy kernel', unit: 'time(us)' },
      { title: '', unit: '(GB/s)' },
      { title: '', unit: 'ratio' },
      { title: 'reduce kernel', unit: 'time(us)' },
      { title: '', unit: '(GB/s)' },
      { title: '', unit: 'ratio' },
    ]);
    const { config } = options;
    out('# fleetlab calibrate: memory roofline, step kernel (copy, reduce), dispatch latency');
    out(`# adapter     ${describeAdapter(ctx.adapter)}`);
    const result = await calibrate(ctx, nodeShaders, options.sweep, config, options.robustness, {
      onStart: (timestamp, latency) => {
        out(`# timestamps  ${timestamp.note}`);
        out(
          `# kernel      workgroup ${config.workgroupSize}, ${config.lanesPerInvocation} lanes/invocation, ` +
            `vec4 lanes; reduce = sum of float; robustness ${options.robustness ? 'on' : 'off'}`,
        );
        out('# bandwidth   (bytes read + written) / time; GB/s = 1e9 B/s');
        out('# ratio       kernel bandwidth / copyBufferToBuffer bandwidth at the same size');
        out(
          `# dispatch    ${formatSeconds(latency.dispatch_latency_s)} a timed pass with one empty dispatch`,
        );
        out(
          `#             ${formatSeconds(latency.empty_pass_s)} a timed pass with nothing in it (the floor)`,
        );
        out(
          `#             ${formatSeconds(latency.dispatch_in_pass_s)} each further empty dispatch in a pass`,
        );
        out(
          `#             ${formatSeconds(latency.submit_roundtrip_s)} wall-clock submit to onSubmittedWorkDone`,
        );
        out('#');
        for (const line of table.header()) out(line);
      },
      onRow: (row: CalibrationRow) =>
        out(
          table.row([
            String(row.bytes),
            us(row.copy_buffer_s),
            gbps(row.copy_buffer_Bps),
            us(row.copy_kernel_s),
            gbps(row.copy_kernel_Bps),
            (row.copy_kernel_Bps / row.copy_buffer_Bps).toFixed(3),
            us(row.reduce_kernel_s),
            gbps(row.reduce_kernel_Bps),
            (row.reduce_kernel_Bps / row.copy_buffer_Bps).toFixed(3),
          ]),
        ),
    });
    const best = (key: 'copy_buffer_Bps' | 'copy_kernel_Bps' | 'reduce_kernel_Bps') =>
      Math.max(...result.sizes.map((r) => r[key]));
    out('#');
    out(
      `# peak        copyBuffer ${gbps(best('copy_buffer_Bps'))} GB/s, copy kernel ${gbps(best('copy_kernel_Bps'))} GB/s, ` +
        `reduce kernel ${gbps(best('reduce_kernel_Bps'))} GB/s`,
    );
    const plans = result.executor_plans ?? [];
    out(
      `# executor    ${plans.length} plans run through the executor (${plans.reduce((n, p) => n + p.steps.length, 0)} steps), median of ${plans[0]?.reps ?? 0} runs each`,
    );
    // The model bench prices plans with; a fit that cannot be made says why, and this goes on.
    out(`# model       ${describeExecutorModel(localExecutorModel(result))}`);
    if (options.json !== undefined) {
      const text = `${JSON.stringify(result, null, 2)}\n`;
      if (options.json === '-') process.stdout.write(text);
      else writeFileSync(options.json, text);
    }
  } finally {
    ctx.device.destroy();
  }
}
