// The tensor-parallel decoder on the GPU against the unsharded CPU reference: a prefill of two
// prompts (17 and 5 tokens, crossing blocks of 4), then greedy decode steps of both; logits
// within logitTolerance (L 4d u) x (1 + max |logit|) at 1, 2 and 4 ranks, blocks scattered in the pool.
import { describe, expect, it } from 'vitest';
import { DecoderCpu, type DecoderRow, logitTolerance } from '../../src/exec/decoder/cpu.ts';
import { DecoderGpu } from '../../src/exec/decoder/gpu.ts';
import { type DecoderConfig, decoderWeights } from '../../src/exec/decoder/model.ts';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { nodeShaders } from '../../src/gpu/shaders-node.ts';
import { GpuTimer } from '../../src/gpu/timer.ts';
import { testContext } from './context.ts';

const BLOCK = 4;
const CONFIG: DecoderConfig = {
  layers: 2,
  dModel: 32,
  qHeads: 4,
  kvHeads: 4,
  headDim: 8,
  vocab: 64,
  maxPositions: 32,
};

function argmax(logits: Float32Array, row: number, vocab: number): number {
  let best = 0;
  for (let j = 1; j < vocab; j++) {
    if ((logits[row * vocab + j] as number) > (logits[row * vocab + best] as number)) best = j;
  }
  return best;
}

describe('decoder on the GPU', async () => {
  const ctx = await testContext();
  const cache = new PipelineCache(ctx);

  it.each([
    [1, 4],
    [2, 2],
    [4, 4],
  ])('%i ranks, %i KV heads: prefill + decode logits match the CPU', async (ranks, kvHeads) => {
    const config = { ...CONFIG, kvHeads };
    const weights = decoderWeights(config, 42);
    const gpu = await DecoderGpu.create(ctx, nodeShaders, cache, weights, {
      ranks,
      maxRows: 32,
      maxSeqs: 2,
      blockTokens: BLOCK,
      poolBlocks: 20,
    });
    const timer = new GpuTimer(ctx);
    try {
      const cpu = new DecoderCpu(weights);
      // Blocks handed out out of order, as a pool that has served others would.
      const table = new Uint32Array(2 * gpu.maxBlocks);
      const free = [13, 2, 7, 19, 0, 11, 5, 16, 8, 3, 14, 1];
      const lengths = [0, 0];
      const ensure = (seq: number, pos: number) => {
        const b = Math.floor(pos / BLOCK);
        if (pos % BLOCK === 0) table[seq * gpu.maxBlocks + b] = free.shift() as number;
      };
      const prompts = [
        Array.from({ length: 17 }, (_, i) => (i * 7 + 3) % config.vocab),
        [5, 9, 1, 60, 33],
      ];
      let batch: DecoderRow[] = prompts.flatMap((p, seq) =>
        p.map((token, pos) => ({ seq, pos, token })),
      );
      for (let step = 0; step < 4; step++) {
        for (const row of batch) ensure(row.seq, row.pos);
        const { logits, gpu_s } = await gpu.forward(batch, table, timer);
        expect(gpu_s).toBeGreaterThan(0);
        const want = cpu.forward(batch);
        const scale = 1 + Math.max(...want.map(Math.abs));
        let worst = 0;
        for (let i = 0; i < want.length; i++) {
          worst = Math.max(worst, Math.abs((logits[i] as number) - (want[i] as number)));
        }
        expect(worst, `step ${step}`).toBeLessThanOrEqual(logitTolerance(config) * scale);
        // Greedy: each sequence's next token from its last row.
        const next: DecoderRow[] = [];
        for (const seq of [0, 1]) {
          const last = batch
            .map((r, i) => [r, i] as const)
            .filter(([r]) => r.seq === seq)
            .at(-1);
          if (!last) continue;
          lengths[seq] = last[0].pos + 1;
          next.push({
            seq,
            pos: lengths[seq] as number,
            token: argmax(logits, last[1], config.vocab),
          });
        }
        batch = next;
      }
    } finally {
      timer.destroy();
      gpu.destroy();
    }
  });

  it('rejects a config whose KV heads do not split over the ranks', async () => {
    await expect(
      DecoderGpu.create(ctx, nodeShaders, cache, decoderWeights({ ...CONFIG, kvHeads: 2 }, 1), {
        ranks: 4,
        maxRows: 8,
        maxSeqs: 1,
        blockTokens: BLOCK,
        poolBlocks: 4,
      }),
    ).rejects.toThrow(/KV heads 2 must be a multiple of 4 ranks/);
  });
});
