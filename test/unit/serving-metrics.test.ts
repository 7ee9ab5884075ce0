import { describe, expect, it } from 'vitest';
import { percentile, requestMetrics, servingMetrics } from '../../src/serving/metrics.ts';
import type { KvSummary, RequestRecord } from '../../src/serving/records.ts';

const rec = (
  id: number,
  arrival_s: number,
  first_token_s: number,
  finish_s: number,
  output_tokens: number,
  preemptions = 0,
): RequestRecord => ({
  id,
  arrival_s,
  prompt_tokens: 8,
  output_tokens,
  first_token_s,
  finish_s,
  preemptions,
});

const KV: KvSummary = {
  blocks_total: 64,
  block_tokens: 16,
  peak_blocks_used: 40,
  utilization: 0.96,
  contiguous_utilization: 0.3,
  max_seq_tokens: 256,
};

describe('percentile (nearest rank)', () => {
  it('takes sorted[ceil(p n / 100) - 1]', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile([3, 1, 2], 50)).toBe(2);
    expect(percentile([3, 1, 2], 99)).toBe(3);
    expect(percentile([7], 1)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 0)).toThrow('percentile 0 must be in (0, 100]');
  });
});

describe('requestMetrics', () => {
  it('gives TTFT, E2E and TPOT = (E2E - TTFT) / (output tokens - 1)', () => {
    expect(requestMetrics(rec(0, 1, 1.25, 3.25, 5, 2))).toEqual({
      id: 0,
      ttft_s: 0.25,
      e2e_s: 2.25,
      tpot_s: 0.5,
      output_tokens: 5,
      preemptions: 2,
    });
    expect(requestMetrics(rec(1, 0, 2, 2, 1)).tpot_s).toBeNaN();
  });

  it('refuses a record out of order', () => {
    expect(() => requestMetrics(rec(3, 2, 1, 4, 2))).toThrow(
      'request 3: arrival 2 s, first token 1 s, finish 4 s are out of order',
    );
    expect(() => requestMetrics(rec(4, 0, 1, 4, 0))).toThrow('request 4: 0 output tokens');
  });
});

describe('servingMetrics', () => {
  const records = [rec(0, 0, 1, 5, 5), rec(1, 1, 1.5, 3.5, 3, 1), rec(2, 2, 4, 4, 1)];

  it('sums tokens over first arrival to last finish, percentiles per request', () => {
    const m = servingMetrics(records, KV);
    expect(m).toMatchObject({
      requests_completed: 3,
      output_tokens: 9,
      duration_s: 5,
      tokens_per_s: 1.8,
      // TTFT 1, 0.5, 2; TPOT 1, 1 (one-token request 2 has none); E2E 5, 2.5, 2.
      ttft_s: { p50: 1, p99: 2 },
      tpot_s: { p50: 1, p99: 1 },
      e2e_s: { p50: 2.5, p99: 5 },
      kv_utilization: 0.96,
      kv_utilization_contiguous: 0.3,
      kv_peak_blocks: 40,
      preemptions: 1,
    });
    expect(m.goodput_rps).toBeUndefined();
  });

  it('counts goodput: requests per second meeting TTFT and TPOT bounds', () => {
    const m = servingMetrics(records, KV, { ttft_s: 1, tpot_s: 1 });
    // Requests 0 and 1 meet both bounds (at equality); request 2's TTFT is 2 s.
    expect(m.goodput_rps).toBeCloseTo(2 / 5, 15);
    expect(m.slo_attainment).toBeCloseTo(2 / 3, 15);
    const loose = servingMetrics(records, KV, { ttft_s: 2, tpot_s: 0.5 });
    // Only request 2 (no TPOT to miss) meets TPOT <= 0.5 s.
    expect(loose.goodput_rps).toBeCloseTo(1 / 5, 15);
    expect(() => servingMetrics(records, KV, { ttft_s: 0, tpot_s: 1 })).toThrow(
      'SLO TTFT 0 s and TPOT 1 s must both be > 0',
    );
  });
});
