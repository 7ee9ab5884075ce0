// What a serving run is judged by, per request and overall, under the names `fleetlab serve
// --json` prints (tokens_per_s, ttft_s {p50, p99}, tpot_s {p50, p99}, kv_utilization,
// preemptions, requests_completed).
//
//   TTFT = first token - arrival          (queueing + prefill)
//   E2E  = finish - arrival
//   TPOT = (E2E - TTFT) / (output tokens - 1)   (MODELS.md; undefined for one output token)
//
// Percentiles are nearest-rank: the smallest value with at least p % of the sample at or
// below it, sorted[ceil(p / 100 x n) - 1]; always a value that occurred, never interpolated.
import type { KvSummary, RequestRecord, SimResult } from './records.ts';

export interface RequestMetrics {
  readonly id: number;
  readonly ttft_s: number;
  /** NaN for a request of one output token (no time between tokens). */
  readonly tpot_s: number;
  readonly e2e_s: number;
  readonly output_tokens: number;
  readonly preemptions: number;
}

export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
}

/** A service-level objective: a request meets it if TTFT <= ttft_s and TPOT <= tpot_s. */
export interface Slo {
  readonly ttft_s: number;
  readonly tpot_s: number;
}

export interface ServingMetrics {
  readonly requests_completed: number;
  readonly output_tokens: number;
  /** First arrival to last finish. */
  readonly duration_s: number;
  /** Output tokens / duration_s. */
  readonly tokens_per_s: number;
  readonly ttft_s: Percentiles;
  readonly tpot_s: Percentiles;
  readonly e2e_s: Percentiles;
  readonly slo?: Slo;
  /** Requests meeting the SLO per second of duration_s (absent without an SLO). */
  readonly goodput_rps?: number;
  /** Share of requests meeting the SLO. */
  readonly slo_attainment?: number;
  /** Paged KV utilization, time-averaged: tokens stored / (blocks used x block tokens). */
  readonly kv_utilization: number;
  /** The same sequences in contiguous max-length regions, time-averaged. */
  readonly kv_utilization_contiguous: number;
  readonly kv_peak_blocks: number;
  readonly preemptions: number;
}

/** Nearest-rank percentile of `values` (NaN for an empty sample). */
export function percentile(values: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile ${p} must be in (0, 100]`);
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function p50p99(values: readonly number[]): Percentiles {
  return { p50: percentile(values, 50), p99: percentile(values, 99) };
}

export function requestMetrics(r: RequestRecord): RequestMetrics {
  if (!(r.first_token_s >= r.arrival_s && r.finish_s >= r.first_token_s)) {
    throw new RangeError(
      `request ${r.id}: arrival ${r.arrival_s} s, first token ${r.first_token_s} s, finish ${r.finish_s} s are out of order`,
    );
  }
  if (!Number.isInteger(r.output_tokens) || r.output_tokens < 1) {
    throw new RangeError(`request ${r.id}: ${r.output_tokens} output tokens, must be >= 1`);
  }
  const ttft_s = r.first_token_s - r.arrival_s;
  const e2e_s = r.finish_s - r.arrival_s;
  return {
    id: r.id,
    ttft_s,
    tpot_s: r.output_tokens > 1 ? (e2e_s - ttft_s) / (r.output_tokens - 1) : Number.NaN,
    e2e_s,
    output_tokens: r.output_tokens,
    preemptions: r.preemptions,
  };
}

/** A request of one output token has no TPOT: it meets the TPOT bound by having no gaps. */
function meets(m: RequestMetrics, slo: Slo): boolean {
  return m.ttft_s <= slo.ttft_s && (Number.isNaN(m.tpot_s) || m.tpot_s <= slo.tpot_s);
}

/** The metrics of completed requests; `kv` from the run (SimResult.kv). */
export function servingMetrics(
  records: readonly RequestRecord[],
  kv: KvSummary,
  slo?: Slo,
): ServingMetrics {
  if (slo !== undefined && !(slo.ttft_s > 0 && slo.tpot_s > 0)) {
    throw new RangeError(`SLO TTFT ${slo.ttft_s} s and TPOT ${slo.tpot_s} s must both be > 0`);
  }
  const per = records.map(requestMetrics);
  const start = Math.min(...records.map((r) => r.arrival_s));
  const end = Math.max(...records.map((r) => r.finish_s));
  const duration_s = records.length === 0 ? 0 : end - start;
  const output_tokens = per.reduce((n, m) => n + m.output_tokens, 0);
  const rate = (x: number) => (duration_s > 0 ? x / duration_s : Number.NaN);
  const good = slo === undefined ? 0 : per.filter((m) => meets(m, slo)).length;
  return {
    requests_completed: records.length,
    output_tokens,
    duration_s,
    tokens_per_s: rate(output_tokens),
    ttft_s: p50p99(per.map((m) => m.ttft_s)),
    tpot_s: p50p99(per.map((m) => m.tpot_s).filter((x) => !Number.isNaN(x))),
    e2e_s: p50p99(per.map((m) => m.e2e_s)),
    ...(slo === undefined
      ? {}
      : {
          slo,
          goodput_rps: rate(good),
          slo_attainment: records.length === 0 ? Number.NaN : good / records.length,
        }),
    kv_utilization: kv.utilization,
    kv_utilization_contiguous: kv.contiguous_utilization,
    kv_peak_blocks: kv.peak_blocks_used,
    preemptions: per.reduce((n, m) => n + m.preemptions, 0),
  };
}

/** servingMetrics of a whole run. */
export function runMetrics(run: SimResult, slo?: Slo): ServingMetrics {
  return servingMetrics(run.requests, run.kv, slo);
}
