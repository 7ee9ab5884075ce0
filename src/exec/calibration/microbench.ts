// The microbenchmarks the cost model is calibrated from (`fleetlab calibrate`): over a sweep of
// sizes, copyBufferToBuffer (the memory roofline), the copy and reduce step kernels, and the
// fixed cost of a dispatch; then real plans through the executor (calibration/executor.ts),
// what the executor model is fitted on. Bandwidth counts bytes read + written, as the roofline
// does.

import { createBuffer } from '../../gpu/buffers.ts';
import type { AdapterReport, GpuContext, GrantedLimits } from '../../gpu/device.ts';
import { PipelineCache } from '../../gpu/pipelines.ts';
import type { ShaderLibrary } from '../../gpu/shader-library.ts';
import {
  detectTimestampRegime,
  type EncodeRepetition,
  GpuTimer,
  type TimestampRegime,
  timestampMarker,
} from '../../gpu/timer.ts';
import type { Plan } from '../../plans/plan.ts';
import { treeBroadcast, treeReduce } from '../../plans/tree.ts';
import { DEFAULT_KERNEL_CONFIG, type KernelConfig } from '../executor/kernel-config.ts';
import { GpuExecutor } from '../executor/steps.ts';
import { median } from '../measure/median.ts';
import { calibrateExecutor, type ExecutorPlanSample } from './executor.ts';

export interface SweepOptions {
  readonly minBytes: number;
  readonly maxBytes: number;
  /** Each size is the previous times this (nccl-tests' -f). */
  readonly stepFactor: number;
}

export interface CalibrationRow {
  readonly bytes: number;
  readonly reps: number;
  readonly copy_buffer_s: number;
  readonly copy_kernel_s: number;
  readonly reduce_kernel_s: number;
  readonly copy_buffer_Bps: number;
  readonly copy_kernel_Bps: number;
  readonly reduce_kernel_Bps: number;
}

export interface Calibration {
  readonly tool: 'fleetlab calibrate';
  readonly date: string;
  readonly adapter: AdapterReport;
  readonly limits: GrantedLimits;
  readonly timestamp: TimestampRegime;
  readonly kernel: KernelConfig & { readonly reduce: 'sum float'; readonly robustness: boolean };
  readonly sizes: readonly CalibrationRow[];
  /** GPU time of a timed pass holding one empty dispatch: the fixed cost of one step. */
  readonly dispatch_latency_s: number;
  /** Extra GPU time of each further empty dispatch inside one pass. */
  readonly dispatch_in_pass_s: number;
  /** GPU time of a timed pass holding nothing: the floor of every timed figure. */
  readonly empty_pass_s: number;
  /** Wall-clock from submit of one empty dispatch to onSubmittedWorkDone. */
  readonly submit_roundtrip_s: number;
  /**
   * Real plans run through the executor (calibration/executor.ts): what the executor model is
   * fitted on. Absent in calibrations written before it (the model then falls back to the
   * alpha-beta-gamma fit of `sizes`).
   */
  readonly executor_plans?: readonly ExecutorPlanSample[];
}

/** Called as the sweep goes, so a CLI can print rows as nccl-tests does. */
export interface CalibrationHooks {
  readonly onStart?: (timestamp: TimestampRegime, latency: LatencyFigures) => void;
  readonly onRow?: (row: CalibrationRow) => void;
  /** Each executor calibration plan as it is measured. */
  readonly onExecutorPlan?: (sample: ExecutorPlanSample) => void;
}

/** The executor passes of a calibration: how large and how often (false: none). */
export interface ExecutorPassOptions {
  /** Largest bytes of one op (default: the sweep's largest size, at most 16 MiB). */
  readonly maxOpBytes?: number;
  /** Timed runs of each plan (default 7). */
  readonly reps?: number;
}

export type LatencyFigures = Pick<
  Calibration,
  'dispatch_latency_s' | 'dispatch_in_pass_s' | 'empty_pass_s' | 'submit_roundtrip_s'
>;

/** The sizes of a sweep, each a multiple of 16 B so every kernel runs on vec4 lanes. */
export function sweepSizes({ minBytes, maxBytes, stepFactor }: SweepOptions): number[] {
  const sizes: number[] = [];
  for (let b = minBytes; b <= maxBytes; b *= stepFactor) {
    const aligned = Math.max(16, Math.round(b / 16) * 16);
    if (sizes[sizes.length - 1] !== aligned) sizes.push(aligned);
    if (stepFactor <= 1) break;
  }
  return sizes;
}

/** Enough repetitions for a steady median without spending seconds on each large size. */
function repsFor(bytes: number): number {
  return Math.min(50, Math.max(5, Math.ceil(2 ** 27 / bytes)));
}

async function measureLatency(
  ctx: GpuContext,
  shaders: ShaderLibrary,
  timer: GpuTimer,
): Promise<LatencyFigures> {
  const { device } = ctx;
  const program = await new PipelineCache(ctx).compute('noop', shaders('noop'));
  const reps = 64;
  const inPass = 64;
  const encodeEmpty = (pass: GPUComputePassEncoder, n: number) => {
    pass.setPipeline(program.pipeline);
    for (let i = 0; i < n; i++) pass.dispatchWorkgroups(1);
  };
  const passWith = (n: number) =>
    timer.run(`${n} empty dispatches`, reps, (encoder, w) => {
      const pass = encoder.beginComputePass({ timestampWrites: w.both });
      encodeEmpty(pass, n);
      pass.end();
    });
  await passWith(1); // warm-up
  const empty = median(await passWith(0));
  const one = median(await passWith(1));
  const many = median(await passWith(inPass + 1));
  const roundtrips: number[] = [];
  for (let i = 0; i < 16; i++) {
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    encodeEmpty(pass, 1);
    pass.end();
    const commands = encoder.finish();
    const t0 = performance.now();
    device.queue.submit([commands]);
    await device.queue.onSubmittedWorkDone();
    roundtrips.push((performance.now() - t0) * 1e-3);
  }
  return {
    empty_pass_s: empty,
    dispatch_latency_s: one,
    dispatch_in_pass_s: Math.max(0, (many - one) / inPass),
    submit_roundtrip_s: median(roundtrips),
  };
}

/** One timed copyBufferToBuffer of `bytes`, between timestamp markers. */
function copyBufferRepetition(a: GPUBuffer, b: GPUBuffer, bytes: number): EncodeRepetition {
  return (encoder, w) => {
    timestampMarker(encoder, w.begin);
    encoder.copyBufferToBuffer(a, 0, b, 0, bytes);
    timestampMarker(encoder, w.end);
  };
}

/** Median GPU seconds of copyBufferToBuffer of `bytes`, after one untimed repetition. */
async function timeCopyBuffer(ctx: GpuContext, timer: GpuTimer, bytes: number): Promise<number> {
  const size = Math.max(16, Math.ceil(bytes / 16) * 16);
  const usage = GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const a = await createBuffer(ctx, { label: 'roofline a', size, usage });
  const b = await createBuffer(ctx, { label: 'roofline b', size, usage });
  try {
    const copy = copyBufferRepetition(a, b, size);
    await timer.run('warm-up', 1, copy);
    return median(await timer.run('copyBufferToBuffer', repsFor(size), copy));
  } finally {
    a.destroy();
    b.destroy();
  }
}

/** The memory roofline at one size: bytes read + written per second by copyBufferToBuffer. */
export async function measureCopyBuffer(
  ctx: GpuContext,
  timer: GpuTimer,
  bytes: number,
): Promise<number> {
  return (2 * Math.max(16, Math.ceil(bytes / 16) * 16)) / (await timeCopyBuffer(ctx, timer, bytes));
}

/** Median GPU seconds of a one-step plan on the executor, after one untimed run. */
async function timeStep(
  ctx: GpuContext,
  shaders: ShaderLibrary,
  cache: PipelineCache,
  config: KernelConfig,
  timer: GpuTimer,
  plan: Plan,
  reps: number,
): Promise<number> {
  const exec = new GpuExecutor(ctx, shaders, plan, config, cache);
  try {
    await exec.prepare();
    await exec.runUntimed();
    const seconds: number[] = [];
    for (let i = 0; i < reps; i++) seconds.push(...(await exec.run(timer)));
    return median(seconds);
  } finally {
    exec.destroy();
  }
}

/** Runs the whole calibration sweep on `ctx`; buffers are freed size by size. */
export async function calibrate(
  ctx: GpuContext,
  shaders: ShaderLibrary,
  sweep: SweepOptions,
  config: KernelConfig = DEFAULT_KERNEL_CONFIG,
  /** Whether the device clamps storage accesses (recorded, not changed, here). */
  robustness = true,
  hooks: CalibrationHooks = {},
  passes: ExecutorPassOptions | false = {},
): Promise<Calibration> {
  const timestamp = await detectTimestampRegime(ctx);
  const timer = new GpuTimer(ctx);
  const cache = new PipelineCache(ctx);
  try {
    const latency = await measureLatency(ctx, shaders, timer);
    hooks.onStart?.(timestamp, latency);
    const rows: CalibrationRow[] = [];
    for (const bytes of sweepSizes(sweep)) {
      const reps = repsFor(bytes);
      const copy_buffer_s = await timeCopyBuffer(ctx, timer, bytes);
      const count = bytes / 4;
      // The kernel every collective runs (step.wgsl), on one op from rank 0 to rank 1: a
      // 2-rank tree Broadcast is one copy, a 2-rank tree Reduce to rank 1 is one reduce.
      const spec = { ranks: 2, count, dtype: 'float', redop: 'sum', inPlace: true } as const;
      const step = (plan: Plan) => timeStep(ctx, shaders, cache, config, timer, plan, reps);
      const copy_kernel_s = await step(treeBroadcast({ ...spec, root: 0 }));
      const reduce_kernel_s = await step(treeReduce({ ...spec, root: 1 }));
      const row: CalibrationRow = {
        bytes,
        reps,
        copy_buffer_s,
        copy_kernel_s,
        reduce_kernel_s,
        copy_buffer_Bps: (2 * bytes) / copy_buffer_s,
        copy_kernel_Bps: (2 * bytes) / copy_kernel_s,
        reduce_kernel_Bps: (3 * bytes) / reduce_kernel_s,
      };
      rows.push(row);
      hooks.onRow?.(row);
    }
    const executor_plans =
      passes === false
        ? undefined
        : await calibrateExecutor(ctx, shaders, cache, timer, {
            maxOpBytes: passes.maxOpBytes ?? Math.min(16 * 2 ** 20, sweep.maxBytes),
            reps: passes.reps ?? 7,
            config,
            ...(hooks.onExecutorPlan ? { onPlan: hooks.onExecutorPlan } : {}),
          });
    return {
      tool: 'fleetlab calibrate',
      date: new Date().toISOString(),
      adapter: ctx.adapter,
      limits: ctx.limits,
      timestamp,
      kernel: { ...config, reduce: 'sum float', robustness },
      sizes: rows,
      ...latency,
      ...(executor_plans ? { executor_plans } : {}),
    };
  } finally {
    timer.destroy();
  }
}
