// Paged attention on the GPU: ragged lengths across block boundaries (1, 15, 16, 17, 100 tokens
// in blocks of 16), decode and prefill rows, MHA / GQA / MQA. The kernel reading a shuffled
// block table must give the same bits as reading the same cache laid out contiguously, and
// both must match the CPU's contiguous attention within the bound of src/kernels/attention.ts.
import { describe, expect, it } from 'vitest';
import { pagedAttention } from '../../src/exec/kernels/paged-attention.ts';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { nodeShaders } from '../../src/gpu/shaders-node.ts';
import {
  type AttentionShape,
  attentionCpu,
  type ContiguousKv,
  type QueryRow,
} from '../../src/kernels/attention.ts';
import { prng } from '../prng.ts';
import { testContext } from './context.ts';

const BLOCK = 16;
const LENGTHS = [1, 15, 16, 17, 100];

function randomArray(n: number, next: () => number): Float32Array<ArrayBuffer> {
  return Float32Array.from({ length: n }, () => 2 * next() - 1);
}

/** Each sequence's cache scattered over a pool by `order` (a permutation of block slots). */
function pooled(shape: AttentionShape, seqs: ContiguousKv[], shuffle: boolean, seed: number) {
  const perToken = shape.kvHeads * shape.headDim;
  const need = seqs.map((s) => Math.ceil(s.length / BLOCK));
  const maxBlocks = Math.max(...need);
  const total = need.reduce((a, b) => a + b, 0) + (shuffle ? 5 : 0);
  const slots = Array.from({ length: total }, (_, i) => i);
  if (shuffle) {
    const next = prng(seed);
    for (let i = slots.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [slots[i], slots[j]] = [slots[j] as number, slots[i] as number];
    }
  }
  const kPool = new Float32Array(total * BLOCK * perToken).fill(Number.NaN);
  const vPool = new Float32Array(total * BLOCK * perToken).fill(Number.NaN);
  const blockTable = new Uint32Array(seqs.length * maxBlocks);
  let used = 0;
  seqs.forEach((s, q) => {
    for (let b = 0; b < (need[q] as number); b++) {
      const block = slots[used++] as number;
      blockTable[q * maxBlocks + b] = block;
      const tokens = Math.min(BLOCK, s.length - b * BLOCK);
      const from = b * BLOCK * perToken;
      kPool.set(s.keys.subarray(from, from + tokens * perToken), block * BLOCK * perToken);
      vPool.set(s.values.subarray(from, from + tokens * perToken), block * BLOCK * perToken);
    }
  });
  return { kPool, vPool, blockTable, maxBlocks };
}

describe('paged attention', async () => {
  const ctx = await testContext();
  const cache = new PipelineCache(ctx);

  it.each([
    { qHeads: 4, kvHeads: 4, headDim: 16 },
    { qHeads: 8, kvHeads: 2, headDim: 64 },
    { qHeads: 4, kvHeads: 1, headDim: 80 },
  ])(
    'heads %o: decode and prefill rows, paged = contiguous bit for bit, within the CPU bound',
    async (shape) => {
      const next = prng(shape.headDim);
      const perToken = shape.kvHeads * shape.headDim;
      const seqs: ContiguousKv[] = LENGTHS.map((length) => ({
        length,
        keys: randomArray(length * perToken, next),
        values: randomArray(length * perToken, next),
      }));
      // Decode: one row per sequence at its last token. Prefill: every token of the 17-long one.
      const rows: QueryRow[] = [
        ...LENGTHS.map((length, seq) => ({ seq, pos: length - 1 })),
        ...Array.from({ length: 17 }, (_, pos) => ({ seq: 3, pos })),
      ];
      const q = randomArray(rows.length * shape.qHeads * shape.headDim, next);
      const run = (shuffle: boolean) =>
        pagedAttention(ctx, nodeShaders, cache, {
          shape,
          blockTokens: BLOCK,
          ...pooled(shape, seqs, shuffle, 7),
          rows,
          q,
        });
      const paged = await run(true);
      const contiguous = await run(false);
      expect(new Uint32Array(paged.buffer)).toEqual(new Uint32Array(contiguous.buffer));
      const want = attentionCpu(shape, seqs, rows, q);
      let wrong = 0;
      for (let i = 0; i < want.out.length; i++) {
        const e = Math.abs((paged[i] as number) - (want.out[i] as number));
        if (!(e <= (want.tolerance[i] as number))) wrong++;
      }
      expect(wrong).toBe(0);
    },
  );

  it('rejects a block table that points outside the pool, naming the block', async () => {
    const shape = { qHeads: 2, kvHeads: 1, headDim: 4 };
    await expect(
      pagedAttention(ctx, nodeShaders, cache, {
        shape,
        blockTokens: BLOCK,
        kPool: new Float32Array(BLOCK * 4),
        vPool: new Float32Array(BLOCK * 4),
        blockTable: new Uint32Array([0, 3]),
        maxBlocks: 2,
        rows: [{ seq: 0, pos: 20 }],
        q: new Float32Array(8),
      }),
    ).rejects.toThrow(/sequence 0's block 1 is 3, outside 0..0/);
  });

  it('rejects query heads that are not a multiple of the KV heads', async () => {
    await expect(
      pagedAttention(ctx, nodeShaders, cache, {
        shape: { qHeads: 3, kvHeads: 2, headDim: 4 },
        blockTokens: BLOCK,
        kPool: new Float32Array(0),
        vPool: new Float32Array(0),
        blockTable: new Uint32Array(0),
        maxBlocks: 1,
        rows: [],
        q: new Float32Array(0),
      }),
    ).rejects.toThrow(/query heads 3 must be a multiple of KV heads 2/);
  });
});
