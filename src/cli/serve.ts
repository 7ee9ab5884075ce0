// `fleetlab serve`: a seeded workload through a scheduler (static or continuous batching) over
// the tensor-parallel decoder on this GPU, its KV cache paged; the serving metrics, and the
// textbook's decode-step model (calibrated on this GPU before the run) beside the measured
// decode passes.
import { writeFileSync } from 'node:fs';
import { DecoderGpu } from '../exec/decoder/gpu.ts';
import { decoderWeights } from '../exec/decoder/model.ts';
import { median } from '../exec/measure/median.ts';
import { describeAdapter } from '../gpu/device.ts';
import { PipelineCache } from '../gpu/pipelines.ts';
import { nodeShaders } from '../gpu/shaders-node.ts';
import { detectTimestampRegime, GpuTimer } from '../gpu/timer.ts';
import { formatBandwidth, formatBytes, formatSeconds } from '../model/units.ts';
import { calibrateDecodeModel } from '../serving/decode-model.ts';
import { serveOnGpu } from '../serving/serve-run.ts';
import { cliContext } from './node-context.ts';
import { writeTraceFile } from './run-flags.ts';
import { parseServeArgs } from './serve-args.ts';
import { serveTrace } from './serve-trace.ts';

export { SERVE_USAGE } from './serve-args.ts';

/** Rows a forward pass takes at most: longer prefills run as several passes. */
const MAX_ROWS = 64;

const sec = (s: number) => (Number.isFinite(s) ? formatSeconds(s) : '-');

export async function runServe(argv: string[], out: (line: string) => void): Promise<number> {
  const args = parseServeArgs(argv);
  const ctx = await cliContext();
  const timer = new GpuTimer(ctx);
  let decoder: DecoderGpu | undefined;
  try {
    const cache = new PipelineCache(ctx);
    const regime = await detectTimestampRegime(ctx);
    const weights = decoderWeights(args.decoder, args.seed);
    decoder = await DecoderGpu.create(ctx, nodeShaders, cache, weights, {
      ranks: args.ranks,
      maxRows: MAX_ROWS,
      maxSeqs: args.maxBatch,
      blockTokens: args.blockTokens,
      poolBlocks: args.blocks,
    });
    const model = await calibrateDecodeModel(decoder, timer);
    const served = await serveOnGpu(
      decoder,
      timer,
      model,
      args.scheduler,
      args.requests,
      args.seed,
      args.slo,
    );
    const { metrics, passes } = served;
    const modelError = served.model_error;
    const rowsError = served.model_rows_error;
    const decodes = passes.filter((p) => p.kind === 'decode');
    const c = args.decoder;
    const w = args.workload;
    const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
    out(
      `# fleetlab serve: ${args.scheduler} batching, ${w.requests} requests (Poisson ${w.rate_per_s}/s; prompt mean ${w.promptMean} CV ${w.promptCv}, output mean ${w.outputMean} CV ${w.outputCv}, capped at 4x the mean; seed ${args.seed})`,
    );
    out(`# adapter     ${describeAdapter(ctx.adapter)}`);
    out(`# timestamps  ${regime.note}`);
    out(
      `# decoder     ${c.layers} layers, d ${c.dModel}, ${c.qHeads} query / ${c.kvHeads} KV heads x ${c.headDim}, vocab ${c.vocab}, ${args.ranks} tensor-parallel rank(s); weights ${formatBytes(model.weight_bytes)}, KV ${model.kv_bytes_per_token} B per token (2 x ${c.layers} x ${c.kvHeads} x ${c.headDim} x 4 B)`,
    );
    out(
      `# KV pool     ${args.blocks} blocks x ${args.blockTokens} tokens per rank; batch of ${args.maxBatch} slots; time is GPU time of the passes (virtual clock)`,
    );
    out('#');
    const rows: [string, string][] = [
      ['requests completed', `${metrics.requests_completed} of ${w.requests}`],
      ['output tokens', `${metrics.output_tokens}`],
      ['throughput', `${metrics.tokens_per_s.toFixed(1)} tokens/s`],
      ['TTFT p50 / p99', `${sec(metrics.ttft_s.p50)} / ${sec(metrics.ttft_s.p99)}`],
      ['TPOT p50 / p99', `${sec(metrics.tpot_s.p50)} / ${sec(metrics.tpot_s.p99)}`],
      ['end to end p50 / p99', `${sec(metrics.e2e_s.p50)} / ${sec(metrics.e2e_s.p99)}`],
      [
        'goodput',
        `${(metrics.goodput_rps ?? Number.NaN).toFixed(2)} requests/s meet TTFT <= ${sec(args.slo.ttft_s)} and TPOT <= ${sec(args.slo.tpot_s)} (${pct(metrics.slo_attainment ?? Number.NaN)})`,
      ],
      [
        'KV utilization',
        `${pct(metrics.kv_utilization)} paged, vs ${pct(metrics.kv_utilization_contiguous)} for a contiguous max-length reservation (time-averaged)`,
      ],
      ['KV peak', `${metrics.kv_peak_blocks} of ${args.blocks} blocks`],
      ['preemptions', `${metrics.preemptions} (by recompute)`],
      [
        'passes',
        `${passes.length - decodes.length} prefill, ${decodes.length} decode (median ${sec(median(decodes.map((p) => p.gpu_s)))})`,
      ],
    ];
    for (const [k, v] of rows) out(`  ${k.padEnd(22)} ${v}`);
    out('#');
    out(
      `# model: decode pass = latency + (weights + KV read) / bandwidth, fitted before the run on ${model.points.length} timed passes: latency ${sec(model.latency_s)}, bandwidth ${Number.isFinite(model.bandwidth_Bps) ? formatBandwidth(model.bandwidth_Bps) : 'unbounded'} (R^2 ${model.r2.toFixed(3)})`,
    );
    out(
      `# model vs the run's ${decodes.length} decode passes: median |error| ${pct(modelError.median_abs)}, worst ${pct(modelError.worst_abs)}, median signed ${pct(modelError.median_signed)}`,
    );
    const r = model.with_rows;
    out(
      `# with a term per row (+ rows x t_row, same passes): latency ${sec(r.latency_s)}, bandwidth ${Number.isFinite(r.bandwidth_Bps) ? formatBandwidth(r.bandwidth_Bps) : 'unbounded'}, t_row ${sec(r.row_s)} (R^2 ${r.r2.toFixed(3)}); vs the run: median |error| ${pct(rowsError.median_abs)}, worst ${pct(rowsError.worst_abs)}`,
    );
    if (args.trace !== undefined) {
      writeTraceFile(
        args.trace,
        serveTrace(served, { scheduler: args.scheduler, ranks: args.ranks, maxRows: MAX_ROWS }),
      );
    }
    if (args.json !== undefined) {
      const json = JSON.stringify(
        {
          adapter: ctx.adapter,
          timestamps: regime,
          scheduler: args.scheduler,
          ranks: args.ranks,
          workload: { ...w, rate_per_s: Number.isFinite(w.rate_per_s) ? w.rate_per_s : 'inf' },
          decoder: args.decoder,
          blocks: args.blocks,
          block_tokens: args.blockTokens,
          max_batch: args.maxBatch,
          ...metrics,
          model: { ...model, error: modelError, with_rows_error: rowsError },
          passes,
        },
        null,
        2,
      );
      if (args.json === '-') out(json);
      else writeFileSync(args.json, `${json}\n`);
    }
    return metrics.requests_completed === w.requests ? 0 : 1;
  } finally {
    decoder?.destroy();
    timer.destroy();
    ctx.device.destroy();
  }
}
