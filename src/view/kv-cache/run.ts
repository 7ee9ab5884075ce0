// One KV-cache page run: the seeded workload of the state, served by its scheduler over the GPU
// decoder (every pass a real forward pass, time from GPU timestamps) or, without WebGPU, over
// the textbook's memory-bound model with assumed numbers (labelled as such); one frame an
// iteration. No DOM here: the page draws what this returns.
import { DecoderGpu } from '../../exec/decoder/gpu.ts';
import {
  DEFAULT_DECODER,
  type DecoderConfig,
  decoderWeights,
  weightBytes,
} from '../../exec/decoder/model.ts';
import type { GpuContext } from '../../gpu/device.ts';
import type { PipelineCache } from '../../gpu/pipelines.ts';
import type { ShaderLibrary } from '../../gpu/shader-library.ts';
import type { GpuTimer } from '../../gpu/timer.ts';
import { kvBytesPerToken } from '../../model/kv-cache.ts';
import { modelEngine } from '../../serving/engine.ts';
import { gpuEngine } from '../../serving/gpu-engine.ts';
import type { KvPool } from '../../serving/kv-pool.ts';
import { runMetrics, type ServingMetrics } from '../../serving/metrics.ts';
import type { IterationRecord, SimResult } from '../../serving/records.ts';
import { simulate } from '../../serving/scheduler.ts';
import { generateWorkload, type Request } from '../../serving/workload.ts';
import { frameRecorder, type KvFrame } from './frames.ts';
import type { KvState } from './state.ts';

/** Without a GPU: 10 ms a pass plus the bytes at 1 GB/s (assumed, not this machine's). */
export const ASSUMED_MODEL = { step_latency_s: 10e-3, memory_Bps: 1e9 } as const;

export interface KvRun {
  readonly state: KvState;
  readonly requests: readonly Request[];
  readonly frames: readonly KvFrame[];
  readonly result: SimResult;
  readonly metrics: ServingMetrics;
  /** True when the passes ran on the GPU; false: priced by ASSUMED_MODEL. */
  readonly measured: boolean;
}

export function workloadOf(s: KvState): Request[] {
  return generateWorkload({
    requests: s.requests,
    rate_per_s: s.rate > 0 ? s.rate : Number.POSITIVE_INFINITY,
    promptMean: s.promptMean,
    promptCv: 0.5,
    outputMean: s.outputMean,
    outputCv: s.cv,
    seed: s.seed,
    maxPromptTokens: 4 * s.promptMean,
    maxOutputTokens: 4 * s.outputMean,
  });
}

/** The default decoder with positions for the longest request the caps allow. */
export function decoderOf(s: KvState): DecoderConfig {
  return { ...DEFAULT_DECODER, maxPositions: 4 * s.promptMean + 4 * s.outputMean };
}

export interface KvGpu {
  readonly ctx: GpuContext;
  readonly shaders: ShaderLibrary;
  readonly cache: PipelineCache;
  readonly timer: GpuTimer;
}

/** How far a run has come: called after every iteration (the page's progress line). */
export interface KvProgress {
  readonly iterations: number;
  readonly finished: number;
  readonly requests: number;
  /** Virtual time at the end of the last iteration, seconds. */
  readonly t: number;
}

export async function runKv(
  s: KvState,
  gpu: KvGpu | undefined,
  onProgress?: (p: KvProgress) => void,
): Promise<KvRun> {
  const requests = workloadOf(s);
  const config = decoderOf(s);
  const weights = decoderWeights(config, s.seed);
  const recorder = frameRecorder();
  let finished = 0;
  const options = {
    blocks: s.blocks,
    blockTokens: s.blockTokens,
    maxBatch: s.maxBatch,
    onIteration: (it: IterationRecord, pool: KvPool) => {
      recorder.onIteration(it, pool);
      finished += it.finished.length;
      const t = recorder.frames[recorder.frames.length - 1]?.t ?? 0;
      onProgress?.({ iterations: recorder.frames.length, finished, requests: requests.length, t });
    },
  };
  let result: SimResult;
  if (gpu) {
    const decoder = await DecoderGpu.create(gpu.ctx, gpu.shaders, gpu.cache, weights, {
      ranks: s.ranks,
      maxRows: 64,
      maxSeqs: s.maxBatch,
      blockTokens: s.blockTokens,
      poolBlocks: s.blocks,
    });
    try {
      const engine = gpuEngine(decoder, gpu.timer, requests, s.seed);
      result = await simulate(s.scheduler, requests, options, engine);
    } finally {
      decoder.destroy();
    }
  } else {
    const engine = modelEngine({
      ...ASSUMED_MODEL,
      weight_bytes: weightBytes(weights),
      kv_bytes_per_token: kvBytesPerToken({
        layers: config.layers,
        kvHeads: config.kvHeads,
        headDim: config.headDim,
        dtypeBytes: 4,
      }),
      ranks: s.ranks,
    });
    result = await simulate(s.scheduler, requests, options, engine);
  }
  return {
    state: s,
    requests,
    frames: recorder.frames,
    result,
    metrics: runMetrics(result),
    measured: gpu !== undefined,
  };
}
