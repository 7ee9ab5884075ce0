// The schedulers over the GPU decoder: a small seeded workload, a pool small enough that
// continuous batching must preempt. Every request completes under both policies, and greedy
// decoding gives every request the same tokens whatever the batching or preemption (each row's
// logits depend only on its own sequence), equal to the CPU reference decoding it alone.
import { describe, expect, it } from 'vitest';
import { DecoderCpu } from '../../src/exec/decoder/cpu.ts';
import { DecoderGpu } from '../../src/exec/decoder/gpu.ts';
import { type DecoderConfig, decoderWeights } from '../../src/exec/decoder/model.ts';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { nodeShaders } from '../../src/gpu/shaders-node.ts';
import { GpuTimer } from '../../src/gpu/timer.ts';
import { gpuEngine, promptTokens } from '../../src/serving/gpu-engine.ts';
import { simulate } from '../../src/serving/scheduler.ts';
import { generateWorkload } from '../../src/serving/workload.ts';
import { testContext } from './context.ts';

const CONFIG: DecoderConfig = {
  layers: 1,
  dModel: 32,
  qHeads: 4,
  kvHeads: 2,
  headDim: 8,
  vocab: 64,
  maxPositions: 64,
};
const BLOCKS = 8;
const BLOCK_TOKENS = 4;
const MAX_BATCH = 4;

describe('serving on the GPU decoder', async () => {
  const ctx = await testContext();
  const cache = new PipelineCache(ctx);
  const weights = decoderWeights(CONFIG, 3);
  const requests = generateWorkload({
    requests: 6,
    rate_per_s: Number.POSITIVE_INFINITY,
    promptMean: 6,
    promptCv: 0.5,
    outputMean: 8,
    outputCv: 1,
    seed: 9,
    maxPromptTokens: 12,
    maxOutputTokens: 16,
  });

  async function serve(scheduler: 'static' | 'continuous', ranks: number) {
    const decoder = await DecoderGpu.create(ctx, nodeShaders, cache, weights, {
      ranks,
      maxRows: 16,
      maxSeqs: MAX_BATCH,
      blockTokens: BLOCK_TOKENS,
      poolBlocks: BLOCKS,
    });
    const timer = new GpuTimer(ctx);
    try {
      const engine = gpuEngine(decoder, timer, requests, 1);
      const run = await simulate(
        scheduler,
        requests,
        { blocks: BLOCKS, blockTokens: BLOCK_TOKENS, maxBatch: MAX_BATCH },
        engine,
      );
      const tokens = new Map(requests.map((r) => [r.id, [...engine.tokens(r.id)]]));
      return { run, tokens, passes: engine.passes };
    } finally {
      timer.destroy();
      decoder.destroy();
    }
  }

  it('static and continuous complete every request with the same tokens; continuous preempts', async () => {
    const a = await serve('static', 1);
    const b = await serve('continuous', 2);
    for (const run of [a.run, b.run]) {
      expect(run.requests.map((r) => r.id).sort()).toEqual(requests.map((r) => r.id).sort());
    }
    expect(b.run.preemptions).toBeGreaterThan(0);
    expect(a.run.preemptions).toBe(0);
    for (const r of requests) {
      const want = r.prompt_tokens + r.output_tokens;
      expect(a.tokens.get(r.id)).toHaveLength(want);
      expect(b.tokens.get(r.id)).toEqual(a.tokens.get(r.id));
    }
    for (const p of [...a.passes, ...b.passes]) expect(p.gpu_s).toBeGreaterThan(0);
    // Time is the GPU's: the run lasts at least the sum of its passes.
    const busy = b.passes.reduce((t, p) => t + p.gpu_s, 0);
    const last = Math.max(...b.run.requests.map((r) => r.finish_s));
    expect(last).toBeCloseTo(busy, 9);
  });

  it('the GPU tokens are the CPU reference decoding each request alone', async () => {
    const { tokens } = await serve('continuous', 1);
    for (const r of requests.slice(0, 3)) {
      const cpu = new DecoderCpu(weights);
      const seq = promptTokens(r, CONFIG.vocab, 1);
      let logits = cpu.forward(seq.map((token, pos) => ({ seq: 0, pos, token })));
      let row = seq.length - 1;
      while (seq.length < r.prompt_tokens + r.output_tokens) {
        let best = 0;
        for (let j = 1; j < CONFIG.vocab; j++) {
          if (
            (logits[row * CONFIG.vocab + j] as number) >
            (logits[row * CONFIG.vocab + best] as number)
          )
            best = j;
        }
        seq.push(best);
        logits = cpu.forward([{ seq: 0, pos: seq.length - 1, token: best }]);
        row = 0;
      }
      expect(tokens.get(r.id)).toEqual(seq);
    }
  });
});
