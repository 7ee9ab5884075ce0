// One workload served on the GPU decoder: the scheduler over gpuEngine, its metrics, and the
// calibrated decode model's error on the run's decode passes. The CLI (`fleetlab serve`) and
// the serving bench share it; a decoder serves many runs (each run's prefills rewrite the KV
// blocks they use before any pass reads them).
import type { DecoderGpu } from '../exec/decoder/gpu.ts';
import { median } from '../exec/measure/median.ts';
import type { GpuTimer } from '../gpu/timer.ts';
import { type DecodeModel, decodeModelRowsSeconds, decodeModelSeconds } from './decode-model.ts';
import { type GpuPass, gpuEngine } from './gpu-engine.ts';
import { runMetrics, type ServingMetrics, type Slo } from './metrics.ts';
import type { SchedulerName, SimResult } from './records.ts';
import { simulate } from './scheduler.ts';
import type { Request } from './workload.ts';

export interface ModelError {
  readonly median_abs: number;
  readonly worst_abs: number;
  readonly median_signed: number;
}

function errorOf(errors: readonly number[]): ModelError {
  return {
    median_abs: median(errors.map(Math.abs)),
    worst_abs: Math.max(0, ...errors.map(Math.abs)),
    median_signed: median(errors),
  };
}

export interface ServeRun {
  readonly run: SimResult;
  readonly metrics: ServingMetrics;
  readonly passes: readonly GpuPass[];
  /** The model against each decode pass: (predicted - measured) / measured. */
  readonly model_error: ModelError;
  /** The same for the form with a term per row. */
  readonly model_rows_error: ModelError;
}

export async function serveOnGpu(
  decoder: DecoderGpu,
  timer: GpuTimer,
  model: DecodeModel,
  scheduler: SchedulerName,
  requests: readonly Request[],
  seed: number,
  slo?: Slo,
): Promise<ServeRun> {
  const { maxSeqs, blockTokens, poolBlocks } = decoder.options;
  const engine = gpuEngine(decoder, timer, requests, seed);
  const run = await simulate(
    scheduler,
    requests,
    { blocks: poolBlocks, blockTokens, maxBatch: maxSeqs },
    engine,
  );
  const decodes = engine.passes.filter((p) => p.kind === 'decode');
  const relative = (predict: (p: GpuPass) => number) =>
    errorOf(decodes.map((p) => (predict(p) - p.gpu_s) / p.gpu_s));
  return {
    run,
    metrics: runMetrics(run, slo),
    passes: engine.passes,
    model_error: relative((p) => decodeModelSeconds(model, p.kv_tokens_read)),
    model_rows_error: relative((p) => decodeModelRowsSeconds(model, p.kv_tokens_read, p.rows)),
  };
}
