import { describe, expect, it } from 'vitest';
import {
  type Batch,
  decodeStepSeconds,
  type Engine,
  modelEngine,
} from '../../src/serving/engine.ts';
import { runMetrics } from '../../src/serving/metrics.ts';
import type { SimResult } from '../../src/serving/records.ts';
import { runContinuous, runStatic, simulate } from '../../src/serving/scheduler.ts';
import { generateWorkload, type Request } from '../../src/serving/workload.ts';

/** Every pass takes 1 s; the batches it saw are kept for the test to read. */
function clockEngine(): Engine & { passes: { kind: string; batch: Batch }[] } {
  const passes: { kind: string; batch: Batch }[] = [];
  return {
    passes,
    prefill: async (batch) => {
      passes.push({ kind: 'prefill', batch });
      return 1;
    },
    decode: async (batch) => {
      passes.push({ kind: 'decode', batch });
      return 1;
    },
  };
}

const req = (
  id: number,
  arrival_s: number,
  prompt_tokens: number,
  output_tokens: number,
): Request => ({
  id,
  arrival_s,
  prompt_tokens,
  output_tokens,
});

function record(run: SimResult, id: number) {
  const r = run.requests.find((x) => x.id === id);
  if (!r) throw new Error(`request ${id} did not complete`);
  return r;
}

describe('continuous batching', () => {
  it('admits a waiting request in the iteration right after blocks free', async () => {
    // One block of 16 tokens: request 1 (4 + 8 - 1 = 11 tokens) must wait for request 0's.
    const run = await runContinuous(
      [req(0, 0, 4, 8), req(1, 0, 4, 8)],
      { blocks: 1, maxBatch: 4 },
      clockEngine(),
    );
    const done = run.iterations.findIndex((it) => it.finished.includes(0));
    expect(run.iterations.slice(0, done + 1).every((it) => !it.admitted.includes(1))).toBe(true);
    expect(run.iterations[done + 1]?.admitted).toEqual([1]);
    expect(run.iterations[done + 1]?.start_s).toBe(record(run, 0).finish_s);
    // Request 0: prefill at 0-1 s gives token 1, seven decode steps tokens 2-8.
    expect(record(run, 0)).toMatchObject({ first_token_s: 1, finish_s: 8, preemptions: 0 });
    expect(record(run, 1)).toMatchObject({ first_token_s: 9, finish_s: 16 });
  });

  it('lets a request join a running batch at the next iteration', async () => {
    const engine = clockEngine();
    const run = await runContinuous(
      [req(0, 0, 4, 6), req(1, 2.5, 3, 2)],
      { blocks: 4, maxBatch: 4 },
      engine,
    );
    // Iterations: [0,1) prefill 0; [1,2) decode 0; [2,3) decode 0; at 3 request 1 has arrived:
    // [3,4) prefill 1, [4,5) decode 0 and 1.
    const joined = run.iterations.find((it) => it.admitted.includes(1));
    expect(joined).toMatchObject({ start_s: 3, decoded: [0], prefill_s: 1, decode_s: 1 });
    expect(record(run, 1)).toMatchObject({ first_token_s: 4, finish_s: 6 });
    const both = engine.passes.find((p) => p.kind === 'decode' && p.batch.length === 2);
    expect(both?.batch.map((s) => [s.id, s.context, s.tokens])).toEqual([
      [0, 7, 1],
      [1, 3, 1],
    ]);
    expect(record(run, 0).finish_s).toBe(7);
  });

  it('preempts by recompute under a tiny pool, and every request completes', async () => {
    const requests = generateWorkload({
      requests: 30,
      rate_per_s: Number.POSITIVE_INFINITY,
      promptMean: 6,
      promptCv: 0.5,
      outputMean: 12,
      outputCv: 1,
      seed: 2,
      maxPromptTokens: 10,
      maxOutputTokens: 20,
    });
    const engine = clockEngine();
    let seen = 0;
    let maxUsed = 0;
    const run = await runContinuous(
      requests,
      {
        blocks: 8,
        blockTokens: 4,
        maxBatch: 8,
        onIteration: (_, pool) => {
          seen++;
          maxUsed = Math.max(maxUsed, pool.usedBlocks);
        },
      },
      engine,
    );
    expect(seen).toBe(run.iterations.length);
    expect(maxUsed).toBeLessThanOrEqual(8);
    expect(run.requests).toHaveLength(30);
    expect(run.preemptions).toBeGreaterThan(0);
    expect(run.iterations.flatMap((it) => it.preempted)).toHaveLength(run.preemptions);
    expect(run.iterations.every((it) => it.blocks_used <= 8)).toBe(true);
    for (const r of run.requests) {
      const q = requests[r.id] as Request;
      expect(r.output_tokens).toBe(q.output_tokens);
      expect(r.first_token_s).toBeGreaterThan(r.arrival_s);
      expect(r.finish_s).toBeGreaterThanOrEqual(r.first_token_s);
    }
    // A preempted request's prefill redoes its prompt and the output it had produced.
    const prefilled = engine.passes.filter((p) => p.kind === 'prefill').flatMap((p) => p.batch);
    const redone = prefilled.filter((s) => s.tokens > (requests[s.id] as Request).prompt_tokens);
    expect(redone).toHaveLength(run.preemptions);
    // Tokens produced: one per prefill and per decode row, exactly the outputs asked for.
    const rows = engine.passes.reduce((n, p) => n + p.batch.length, 0);
    // A recompute loses no token: its prefill produces the next one.
    expect(rows).toBe(requests.reduce((n, r) => n + r.output_tokens, 0));
  });
});

describe('static batching', () => {
  it('never admits mid-batch', async () => {
    const run = await runStatic(
      [req(0, 0, 4, 6), req(1, 0.5, 3, 2), req(2, 0.7, 3, 3)],
      { blocks: 8, maxBatch: 4 },
      clockEngine(),
    );
    // Request 0 runs alone (the only one waiting at 0); 1 and 2 start together after it ends.
    expect(run.iterations.map((it) => it.admitted)).toEqual([
      [0],
      [],
      [],
      [],
      [],
      [],
      [1, 2],
      [],
      [],
    ]);
    expect(record(run, 0).finish_s).toBe(6);
    expect(record(run, 1)).toMatchObject({ first_token_s: 7, finish_s: 8 });
    expect(record(run, 2)).toMatchObject({ first_token_s: 7, finish_s: 9 });
  });

  it('holds each batch until its longest member finishes, on a random workload', async () => {
    const requests = generateWorkload({
      requests: 40,
      rate_per_s: 2,
      promptMean: 8,
      promptCv: 0.5,
      outputMean: 10,
      outputCv: 1,
      seed: 5,
    });
    const run = await runStatic(
      requests,
      { blocks: 64, blockTokens: 4, maxBatch: 6 },
      clockEngine(),
    );
    expect(run.requests).toHaveLength(40);
    expect(run.preemptions).toBe(0);
    const running = new Set<number>();
    for (const it of run.iterations) {
      if (it.admitted.length > 0) expect(running.size).toBe(0);
      for (const id of it.admitted) running.add(id);
      for (const id of it.finished) running.delete(id);
    }
    expect(running.size).toBe(0);
  });

  it('admits only what fits the pool at its final length', async () => {
    // Three requests of 8 + 9 - 1 = 16 tokens, 4 blocks of 4 each; the pool has 10 blocks.
    const run = await runStatic(
      [0, 1, 2].map((i) => req(i, 0, 8, 9)),
      { blocks: 10, blockTokens: 4, maxBatch: 8 },
      clockEngine(),
    );
    expect(run.iterations[0]?.admitted).toEqual([0, 1]);
    expect(
      run.iterations.find((it) => it.admitted.length > 0 && it !== run.iterations[0])?.admitted,
    ).toEqual([2]);
    expect(run.kv.peak_blocks_used).toBe(8);
  });
});

describe('the two schedulers on the model engine', () => {
  const engine = modelEngine({
    weight_bytes: 14e9,
    kv_bytes_per_token: 524_288,
    memory_Bps: 2e12,
    step_latency_s: 1e-3,
  });

  it('prices a decode step as latency + (weights / ranks + KV read) / bandwidth', async () => {
    const o = {
      weight_bytes: 1e9,
      kv_bytes_per_token: 1000,
      memory_Bps: 1e11,
      step_latency_s: 1e-4,
      ranks: 2,
    };
    const batch: Batch = [
      { id: 0, slot: 0, context: 99, tokens: 1, blocks: [] },
      { id: 1, slot: 1, context: 299, tokens: 1, blocks: [] },
    ];
    const expected = 1e-4 + (0.5e9 + (400 * 1000) / 2) / 1e11;
    expect(await modelEngine(o).decode(batch)).toBeCloseTo(expected, 15);
    expect(decodeStepSeconds(o, 400)).toBeCloseTo(expected, 15);
    // Given flop/s, a long prefill is compute-bound: 2 GFLOP per token here.
    const prefill = modelEngine({ ...o, prefill_flops_per_token: 2e9, flops_per_s: 1e14 });
    const long: Batch = [{ id: 0, slot: 0, context: 0, tokens: 1000, blocks: [] }];
    expect(await prefill.prefill(long)).toBeCloseTo(1e-4 + (1000 * 2e9) / 2 / 1e14, 15);
    expect(() => modelEngine({ ...o, memory_Bps: 0 })).toThrow(
      'memory bandwidth (B/s) 0 must be a number > 0',
    );
  });

  it('continuous beats static in tokens/s on a CV = 1 workload', async () => {
    const requests = generateWorkload({
      requests: 200,
      rate_per_s: 1000,
      promptMean: 64,
      promptCv: 0.5,
      outputMean: 128,
      outputCv: 1,
      seed: 1,
    });
    const options = { blocks: 2048, maxBatch: 16 };
    const s = runMetrics(await simulate('static', requests, options, engine));
    const c = runMetrics(await simulate('continuous', requests, options, engine));
    expect(s.requests_completed).toBe(200);
    expect(c.requests_completed).toBe(200);
    expect(c.output_tokens).toBe(s.output_tokens);
    expect(c.tokens_per_s / s.tokens_per_s).toBeGreaterThan(1.5);
    expect(c.ttft_s.p50).toBeLessThan(s.ttft_s.p50);
    // Paged blocks waste at most the last block of each sequence; a contiguous max-length
    // reservation wastes the rest of every sequence's region.
    expect(c.kv_utilization).toBeGreaterThan(0.9);
    expect(c.kv_utilization_contiguous).toBeLessThan(0.5);
  });

  it('refuses a request the pool could never hold', async () => {
    await expect(
      runContinuous([req(0, 0, 30, 4)], { blocks: 2, maxBatch: 2 }, engine),
    ).rejects.toThrow('request 0 needs 3 KV blocks (33 tokens) at its longest: the pool has 2');
    await expect(runStatic([req(5, 0, 3, 0)], { blocks: 2, maxBatch: 2 }, engine)).rejects.toThrow(
      'request 5: output of 0 tokens must be a whole number >= 1',
    );
    await expect(runStatic([req(0, 0, 3, 4)], { blocks: 2, maxBatch: 0 }, engine)).rejects.toThrow(
      'batch of 0 slots: must be a whole number from 1 to 65536',
    );
  });
});
