// The serving suite: static against continuous batching on the same seeded workload at output
// length CV 0.5, 1 and 2, in one run on this GPU (the tensor-parallel decoder, paged KV cache).
// Per CV: tokens/s of each, the measured gain of continuous over static beside the textbook's
// 1 + CV^2 / 2 and the gain the calibrated model engine predicts, paged KV utilization against
// a contiguous max-length reservation, TTFT/TPOT p50/p99, preemptions, and the decode model's
// error on the measured passes. An offline batch (every request at t = 0): throughput is what
// batching decides. Writes JSON + Markdown.
//   npx tsx bench/serving.ts [--quick] [--out bench/reports/serving]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cliContext } from '../src/cli/public.ts';
import { DecoderGpu } from '../src/exec/decoder/gpu.ts';
import { DEFAULT_DECODER, decoderWeights } from '../src/exec/decoder/model.ts';
import { describeAdapter } from '../src/gpu/device.ts';
import { PipelineCache } from '../src/gpu/pipelines.ts';
import { nodeShaders } from '../src/gpu/shaders-node.ts';
import { detectTimestampRegime, GpuTimer } from '../src/gpu/timer.ts';
import { continuousBatchingGain } from '../src/model/kv-cache.ts';
import { calibrateDecodeModel, decodeModelSeconds } from '../src/serving/decode-model.ts';
import type { Batch, Engine } from '../src/serving/engine.ts';
import { runMetrics } from '../src/serving/metrics.ts';
import { simulate } from '../src/serving/scheduler.ts';
import { type ServeRun, serveOnGpu } from '../src/serving/serve-run.ts';
import { generateWorkload } from '../src/serving/workload.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/reports/serving' },
  },
});
const REQUESTS = values.quick ? 16 : 48;
const PROMPT_MEAN = 16;
const OUTPUT_MEAN = 32;
const MAX_BATCH = 8;
const BLOCK_TOKENS = 16;
const BLOCKS = 96;
const CVS = [0.5, 1, 2];
const SEED = 7;
const decoderConfig = { ...DEFAULT_DECODER, maxPositions: 4 * PROMPT_MEAN + 4 * OUTPUT_MEAN };

const log = (line: string) => process.stderr.write(`${line}\n`);
const ctx = await cliContext();
const started = Date.now();
const timer = new GpuTimer(ctx);
const cache = new PipelineCache(ctx);
const regime = await detectTimestampRegime(ctx);
const decoder = await DecoderGpu.create(
  ctx,
  nodeShaders,
  cache,
  decoderWeights(decoderConfig, SEED),
  {
    ranks: 2,
    maxRows: 64,
    maxSeqs: MAX_BATCH,
    blockTokens: BLOCK_TOKENS,
    poolBlocks: BLOCKS,
  },
);
const model = await calibrateDecodeModel(decoder, timer);

interface Row {
  cv: number;
  static: ServeRun['metrics'];
  continuous: ServeRun['metrics'];
  gain: number;
  textbook_gain: number;
  model_gain: number;
  model_error: ServeRun['model_error'];
  model_rows_error: ServeRun['model_rows_error'];
}
const rows: Row[] = [];
const workloads = new Map<number, ReturnType<typeof generateWorkload>>();
for (const cv of CVS) {
  const requests = generateWorkload({
    requests: REQUESTS,
    rate_per_s: Number.POSITIVE_INFINITY,
    promptMean: PROMPT_MEAN,
    promptCv: 0.5,
    outputMean: OUTPUT_MEAN,
    outputCv: cv,
    seed: SEED,
    maxPromptTokens: 4 * PROMPT_MEAN,
    maxOutputTokens: 4 * OUTPUT_MEAN,
  });
  workloads.set(cv, requests);
  const a = await serveOnGpu(decoder, timer, model, 'static', requests, SEED);
  log(`CV ${cv}: static ${a.metrics.tokens_per_s.toFixed(1)} tokens/s`);
  const b = await serveOnGpu(decoder, timer, model, 'continuous', requests, SEED);
  log(`CV ${cv}: continuous ${b.metrics.tokens_per_s.toFixed(1)} tokens/s`);
  // The same two policies over the calibrated model instead of the GPU.
  const priced = async (name: 'static' | 'continuous') => {
    // Every pass priced as a decode pass over the tokens it reads (prefill included).
    const pass = async (batch: Batch) =>
      decodeModelSeconds(
        model,
        batch.reduce((n, s) => n + s.context + s.tokens, 0),
      );
    const engine: Engine = { prefill: pass, decode: pass };
    const run = await simulate(
      name,
      requests,
      { blocks: BLOCKS, blockTokens: BLOCK_TOKENS, maxBatch: MAX_BATCH },
      engine,
    );
    return runMetrics(run).tokens_per_s;
  };
  rows.push({
    cv,
    static: a.metrics,
    continuous: b.metrics,
    gain: b.metrics.tokens_per_s / a.metrics.tokens_per_s,
    textbook_gain: continuousBatchingGain(cv),
    model_gain: (await priced('continuous')) / (await priced('static')),
    model_error: b.model_error,
    model_rows_error: b.model_rows_error,
  });
}
decoder.destroy();

// Block size against utilization: the CV 1 workload, continuous, in blocks of 4 tokens (the
// last block of a sequence wastes half a block on average: 8 of ~50 tokens at 16, 2 at 4).
const small = await DecoderGpu.create(
  ctx,
  nodeShaders,
  cache,
  decoderWeights(decoderConfig, SEED),
  {
    ranks: 2,
    maxRows: 64,
    maxSeqs: MAX_BATCH,
    blockTokens: 4,
    poolBlocks: BLOCKS * 4,
  },
);
const cv1 = workloads.get(1);
if (!cv1) throw new Error('the block-size run reuses the CV 1 workload: keep 1 in CVS');
const smallRun = await serveOnGpu(small, timer, model, 'continuous', cv1, SEED);
log(`CV 1, blocks of 4: utilization ${smallRun.metrics.kv_utilization.toFixed(3)}`);
small.destroy();
timer.destroy();
ctx.device.destroy();

const report = {
  adapter: ctx.adapter,
  timestamps: regime,
  decoder: decoderConfig,
  ranks: 2,
  workload: {
    requests: REQUESTS,
    rate_per_s: 'inf',
    prompt_mean: PROMPT_MEAN,
    prompt_cv: 0.5,
    output_mean: OUTPUT_MEAN,
    seed: SEED,
  },
  max_batch: MAX_BATCH,
  blocks: BLOCKS,
  block_tokens: BLOCK_TOKENS,
  model,
  seconds: (Date.now() - started) / 1e3,
  rows,
  blocks_of_4: { block_tokens: 4, blocks: BLOCKS * 4, cv: 1, ...smallRun.metrics },
};
writeFileSync(`${values.out}.json`, `${JSON.stringify(report, null, 2)}\n`);
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const ms = (s: number) => `${(s * 1e3).toFixed(0)}`;
const lines = [
  '# Serving on one GPU: static vs continuous batching',
  '',
  `Adapter: ${describeAdapter(ctx.adapter)}; timestamps: ${regime.note}.`,
  `Decoder: ${decoderConfig.layers} layers, d ${decoderConfig.dModel}, ${decoderConfig.qHeads} query / ${decoderConfig.kvHeads} KV heads x ${decoderConfig.headDim}, 2 tensor-parallel ranks. ${REQUESTS} requests at t = 0, prompt mean ${PROMPT_MEAN} (CV 0.5), output mean ${OUTPUT_MEAN}; batch ${MAX_BATCH}; KV pool ${BLOCKS} blocks x ${BLOCK_TOKENS} tokens.`,
  `Decode model (fitted before the runs): latency ${ms(model.latency_s)} ms, bandwidth ${(model.bandwidth_Bps / 1e9).toFixed(3)} GB/s, R^2 ${model.r2.toFixed(3)}; with a term per row: latency ${ms(model.with_rows.latency_s)} ms, bandwidth ${(model.with_rows.bandwidth_Bps / 1e9).toFixed(3)} GB/s, ${(model.with_rows.row_s * 1e3).toFixed(2)} ms a row, R^2 ${model.with_rows.r2.toFixed(3)}.`,
  '',
  '| output CV | static tokens/s | continuous tokens/s | gain | 1 + CV^2/2 | model gain | KV util. paged / contiguous | TTFT p50 / p99 (ms) static | continuous | preemptions | decode model error (median / worst) | with a term per row |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.cv} | ${r.static.tokens_per_s.toFixed(1)} | ${r.continuous.tokens_per_s.toFixed(1)} | ${r.gain.toFixed(2)} | ${r.textbook_gain.toFixed(2)} | ${r.model_gain.toFixed(2)} | ${pct(r.continuous.kv_utilization)} / ${pct(r.continuous.kv_utilization_contiguous)} | ${ms(r.static.ttft_s.p50)} / ${ms(r.static.ttft_s.p99)} | ${ms(r.continuous.ttft_s.p50)} / ${ms(r.continuous.ttft_s.p99)} | ${r.continuous.preemptions} | ${pct(r.model_error.median_abs)} / ${pct(r.model_error.worst_abs)} | ${pct(r.model_rows_error.median_abs)} / ${pct(r.model_rows_error.worst_abs)} |`,
  ),
  '',
  `Block size: the CV 1 workload, continuous, in ${BLOCKS * 4} blocks of 4 tokens (the same memory): paged KV utilization ${pct(smallRun.metrics.kv_utilization)} (blocks of ${BLOCK_TOKENS}: ${pct((rows[1] as Row).continuous.kv_utilization)}), ${smallRun.metrics.tokens_per_s.toFixed(1)} tokens/s.`,
  '',
  `Run time: ${report.seconds.toFixed(0)} s.`,
];
writeFileSync(`${values.out}.md`, `${lines.join('\n')}\n`);
log(lines.join('\n'));
