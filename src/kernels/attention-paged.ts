// Attention through a paged KV cache (vLLM's PagedAttention, Kwon et al. 2023): the attention
// kernel's shader (attention.wgsl) with attention-paged.wgsl's buffers: queries, key and value
// pools of blocks, the block table, the query rows (sequence, position) and a scratch of
// scores. The serving decoder and src/exec/kernels/paged-attention.ts run it on buffers of their
// own; it has no arena form, since a plan's buffers hold one dtype and the table and rows are u32.
// The oracle reads each sequence's tokens out of the pools through the table and hands them to
// the contiguous oracle (attention.ts), so paging cannot change what is right.
import { ATTENTION_WG, attentionCpu, type ContiguousKv, f32, type QueryRow } from './attention.ts';
import { type Kernel, type OperandValues, operandValue, uniformWords } from './kernel.ts';

/**
 * `rows` query rows of `qHeads` heads of `headDim`, over pools of `poolBlocks` blocks of
 * `blockTokens` tokens x `kvHeads` heads, a block table of `seqs` rows of `maxBlocks`; no row
 * attends to more than `maxContext` tokens (the scratch row's stride).
 */
export type PagedAttentionParams = {
  readonly rows: number;
  readonly qHeads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly blockTokens: number;
  readonly maxBlocks: number;
  readonly maxContext: number;
  readonly seqs: number;
  readonly poolBlocks: number;
};

/** Each sequence's cache gathered from the pools through its row of the block table. */
function gather(
  p: PagedAttentionParams,
  v: OperandValues,
): { seqs: ContiguousKv[]; rows: QueryRow[] } {
  const words = operandValue(v, 'rows');
  const table = operandValue(v, 'blockTable');
  const [kPool, vPool] = [operandValue(v, 'kPool'), operandValue(v, 'vPool')];
  const rows = Array.from({ length: p.rows }, (_, r) => ({
    seq: words[2 * r] as number,
    pos: words[2 * r + 1] as number,
  }));
  const width = p.kvHeads * p.headDim;
  const seqs = Array.from({ length: p.seqs }, (_, s): ContiguousKv => {
    const length = Math.max(0, ...rows.filter((r) => r.seq === s).map((r) => r.pos + 1));
    const keys = new Float32Array(length * width);
    const values = new Float32Array(length * width);
    for (let t = 0; t < length; t++) {
      const block = table[s * p.maxBlocks + Math.floor(t / p.blockTokens)] as number;
      const at = (block * p.blockTokens + (t % p.blockTokens)) * width;
      for (let i = 0; i < width; i++) {
        keys[t * width + i] = kPool[at + i] as number;
        values[t * width + i] = vPool[at + i] as number;
      }
    }
    return { keys, values, length };
  });
  return { seqs, rows };
}

function oracle(p: PagedAttentionParams, v: OperandValues) {
  const { seqs, rows } = gather(p, v);
  const shape = { qHeads: p.qHeads, kvHeads: p.kvHeads, headDim: p.headDim };
  return attentionCpu(shape, seqs, rows, f32(operandValue(v, 'q')));
}

export const pagedAttentionKernel = {
  name: 'attention-paged',
  title: 'softmax(Q K^T / sqrt(d)) V through a paged KV cache',
  params: [
    'rows',
    'qHeads',
    'kvHeads',
    'headDim',
    'blockTokens',
    'maxBlocks',
    'maxContext',
    'seqs',
    'poolBlocks',
  ],
  check: (p) =>
    p.qHeads % p.kvHeads === 0
      ? undefined
      : `query heads ${p.qHeads} must be a multiple of KV heads ${p.kvHeads}`,
  operands: (p) => {
    const pool = p.poolBlocks * p.blockTokens * p.kvHeads * p.headDim;
    return [
      { name: 'q', count: p.rows * p.qHeads * p.headDim, access: 'read' },
      { name: 'kPool', count: pool, access: 'read' },
      { name: 'vPool', count: pool, access: 'read' },
      { name: 'blockTable', count: p.seqs * p.maxBlocks, access: 'read', dtype: 'u32' },
      { name: 'rows', count: 2 * p.rows, access: 'read', dtype: 'u32' },
      { name: 'scores', count: p.rows * p.qHeads * p.maxContext, access: 'scratch' },
      { name: 'out', count: p.rows * p.qHeads * p.headDim, access: 'write' },
    ];
  },
  oracle: (p, v) => ({ out: oracle(p, v).out }),
  tolerance: (p, v) => ({ out: oracle(p, v).tolerance }),
  // Bounds: where a row attends lies in the data (its position); at most maxContext tokens.
  flops: (p) => 4 * p.rows * p.qHeads * p.headDim * p.maxContext,
  bytes: (p) =>
    4 * (2 * p.rows * p.qHeads * p.headDim + 2 * p.rows * p.maxContext * p.kvHeads * p.headDim),
  buffers: (p) => ({
    program: {
      label: 'paged-attention',
      shaders: ['attention-paged', 'attention'],
      aliases: {},
      constants: { WG: ATTENTION_WG },
    },
    // attention-paged.wgsl's Params: the shape, the table's geometry, the scale.
    uniform: uniformWords(
      [p.qHeads, p.kvHeads, p.headDim, p.blockTokens, p.maxBlocks, p.maxContext, 0, 0],
      { 6: 1 / Math.sqrt(p.headDim) },
    ),
    workgroups: [p.qHeads, p.rows, 1],
  }),
} satisfies Kernel<PagedAttentionParams>;
