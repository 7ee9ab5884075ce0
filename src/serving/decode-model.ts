// The textbook's decode-step model calibrated on this GPU (MODELS.md, "Inference"):
//
//     t_pass = latency + (weight bytes + KV bytes read) / bandwidth
//
// Here every rank runs on the one GPU, so a pass reads all ranks' weights and KV: the bytes
// are the whole model's (on N devices each would read 1/N of them in parallel: divide by N).
// The two parameters are fitted by least squares (relative weights, src/model/least-squares.ts)
// on decode passes timed before the workload runs (batch 1 and a full batch, short and long
// contexts), then used to predict the workload's own decode passes: the model's error is that
// prediction against what was measured, never a fit to the data it is judged on.
//
// Beside it, the same form with a term per row (a token the pass computes):
//     t_pass = latency + (weights + KV read) / bandwidth + rows x t_row
// On a GPU whose decode is memory-bound t_row comes out near 0; on a CPU-emulated one (or a
// compute-bound batch) it carries most of the time. Both are fitted on the same passes, all
// terms kept >= 0.
import type { DecoderGpu } from '../exec/decoder/gpu.ts';
import { weightBytes } from '../exec/decoder/model.ts';
import type { GpuTimer } from '../gpu/timer.ts';
import { kvBytesPerToken } from '../model/kv-cache.ts';
import { fitLine, fitNonNegative, fitSlope } from '../model/least-squares.ts';

export interface DecodeModel {
  readonly latency_s: number;
  /** Effective bytes per second of a pass (weights + KV read). */
  readonly bandwidth_Bps: number;
  readonly weight_bytes: number;
  readonly kv_bytes_per_token: number;
  /** Of the calibration fit. */
  readonly r2: number;
  /** The form with a term per row, fitted on the same passes. */
  readonly with_rows: {
    readonly latency_s: number;
    readonly bandwidth_Bps: number;
    readonly row_s: number;
    readonly r2: number;
  };
  readonly points: readonly {
    readonly bytes: number;
    readonly rows: number;
    readonly gpu_s: number;
  }[];
}

export function decodeModelSeconds(m: DecodeModel, kvTokensRead: number): number {
  return m.latency_s + (m.weight_bytes + kvTokensRead * m.kv_bytes_per_token) / m.bandwidth_Bps;
}

export function decodeModelRowsSeconds(m: DecodeModel, kvTokensRead: number, rows: number): number {
  const r = m.with_rows;
  return (
    r.latency_s +
    (m.weight_bytes + kvTokensRead * m.kv_bytes_per_token) / r.bandwidth_Bps +
    rows * r.row_s
  );
}

export function decoderKvBytesPerToken(decoder: DecoderGpu): number {
  const c = decoder.weights.config;
  return kvBytesPerToken({
    layers: c.layers,
    kvHeads: c.kvHeads,
    headDim: c.headDim,
    dtypeBytes: 4,
  });
}

/**
 * Times decode passes of 1 and `maxSeqs` sequences at a short and a long context (3 passes
 * each, medians) and fits latency and bandwidth. Overwrites whatever the KV pool holds (run it
 * before a workload, never during one).
 */
export async function calibrateDecodeModel(
  decoder: DecoderGpu,
  timer: GpuTimer,
): Promise<DecodeModel> {
  const c = decoder.weights.config;
  const { maxSeqs, maxRows, blockTokens, poolBlocks } = decoder.options;
  const kvPerToken = decoderKvBytesPerToken(decoder);
  const weights = weightBytes(decoder.weights);
  const points: { bytes: number; rows: number; gpu_s: number }[] = [];
  const longest = Math.min(
    c.maxPositions,
    Math.floor(poolBlocks / Math.min(maxSeqs, maxRows)) * blockTokens,
  );
  for (const seqs of [1, Math.min(maxSeqs, maxRows)]) {
    for (const context of [1, Math.max(1, Math.floor(longest / 2)), Math.max(1, longest)]) {
      const perSeq = Math.ceil(context / blockTokens);
      if (perSeq * seqs > poolBlocks) continue;
      const table = new Uint32Array(maxSeqs * decoder.maxBlocks);
      for (let s = 0; s < seqs; s++) {
        for (let b = 0; b < perSeq; b++) table[s * decoder.maxBlocks + b] = s * perSeq + b;
      }
      const rows = Array.from({ length: seqs }, (_, seq) => ({ seq, pos: context - 1, token: 0 }));
      const times: number[] = [];
      for (let i = 0; i < 4; i++) times.push((await decoder.forward(rows, table, timer)).gpu_s);
      // The first is a warm-up.
      const sorted = times.slice(1).sort((a, b) => a - b);
      points.push({
        bytes: weights + seqs * context * kvPerToken,
        rows: seqs,
        gpu_s: sorted[1] as number,
      });
    }
  }
  const xs = points.map((p) => p.bytes);
  const ys = points.map((p) => p.gpu_s);
  // A negative latency has no meaning: where the line would need one, the fit goes through 0.
  const line = fitLine(xs, ys);
  const fit = line.intercept >= 0 ? line : { ...fitSlope(xs, ys), intercept: 0 };
  const rowsFit = fitNonNegative([xs.map(() => 1), xs, points.map((p) => p.rows)], ys);
  const [latency, perByte, perRow] = rowsFit.coefficients as [number, number, number];
  return {
    with_rows: {
      latency_s: latency,
      bandwidth_Bps: perByte > 0 ? 1 / perByte : Number.POSITIVE_INFINITY,
      row_s: perRow,
      r2: rowsFit.r2,
    },
    latency_s: fit.intercept,
    // A slope at or below 0 (bytes too few to show over the fixed cost) reads as unbounded.
    bandwidth_Bps: fit.slope > 0 ? 1 / fit.slope : Number.POSITIVE_INFINITY,
    weight_bytes: weights,
    kv_bytes_per_token: kvPerToken,
    r2: fit.r2,
    points,
  };
}
