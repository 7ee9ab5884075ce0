// Attention through a paged KV cache on the GPU (the attention-paged kernel of
// src/kernels/attention-paged.ts): the pools, block table, query rows and queries in, the
// attention output read back. The CPU oracle is src/kernels/attention.ts; the paging itself
// (which blocks a sequence owns) is the KV pool's business (src/serving/), this only reads
// through the table it is given.
import { createBuffer, readBuffer } from '../../gpu/buffers.ts';
import type { GpuContext } from '../../gpu/device.ts';
import { LimitError, withErrorScopes } from '../../gpu/errors.ts';
import type { PipelineCache } from '../../gpu/pipelines.ts';
import type { ShaderLibrary } from '../../gpu/shader-library.ts';
import {
  type AttentionShape,
  checkAttentionShape,
  type QueryRow,
} from '../../kernels/attention.ts';
import { pagedAttentionKernel } from '../../kernels/attention-paged.ts';
import { kernelProgram } from './dispatch.ts';

export interface PagedAttentionInput {
  readonly shape: AttentionShape;
  /** Tokens a KV block holds (16 by default in vLLM). */
  readonly blockTokens: number;
  /** Key and value pools: [block][slot][kvHead][headDim], f32. */
  readonly kPool: Float32Array<ArrayBuffer>;
  readonly vPool: Float32Array<ArrayBuffer>;
  /** Row s lists sequence s's blocks in token order: [seq][maxBlocks]. */
  readonly blockTable: Uint32Array<ArrayBuffer>;
  readonly maxBlocks: number;
  readonly rows: readonly QueryRow[];
  /** Queries: [row][qHead][headDim]. */
  readonly q: Float32Array<ArrayBuffer>;
}

function check(
  ctx: GpuContext,
  x: PagedAttentionInput,
): { blocks: number; maxContext: number; seqs: number } {
  checkAttentionShape(x.shape);
  const { qHeads, kvHeads, headDim } = x.shape;
  if (!Number.isInteger(x.blockTokens) || x.blockTokens < 1 || x.blockTokens > 4096) {
    throw new RangeError(`block tokens ${x.blockTokens} must be a whole number from 1 to 4096`);
  }
  const perBlock = x.blockTokens * kvHeads * headDim;
  if (x.kPool.length % perBlock !== 0 || x.vPool.length !== x.kPool.length) {
    throw new RangeError(
      `K and V pools must both be whole blocks of ${perBlock} floats (got ${x.kPool.length}, ${x.vPool.length})`,
    );
  }
  const blocks = x.kPool.length / perBlock;
  const seqs = x.blockTable.length / x.maxBlocks;
  if (!Number.isInteger(seqs)) {
    throw new RangeError(
      `block table of ${x.blockTable.length} is not whole rows of ${x.maxBlocks}`,
    );
  }
  let maxContext = 1;
  x.rows.forEach((row, r) => {
    if (!Number.isInteger(row.seq) || row.seq < 0 || row.seq >= seqs) {
      throw new RangeError(`query row ${r}: sequence ${row.seq} is outside 0..${seqs - 1}`);
    }
    const capacity = x.maxBlocks * x.blockTokens;
    if (!Number.isInteger(row.pos) || row.pos < 0 || row.pos >= capacity) {
      throw new RangeError(`query row ${r}: position ${row.pos} is outside 0..${capacity - 1}`);
    }
    for (let b = 0; b <= Math.floor(row.pos / x.blockTokens); b++) {
      const block = x.blockTable[row.seq * x.maxBlocks + b] as number;
      if (block >= blocks) {
        throw new RangeError(
          `sequence ${row.seq}'s block ${b} is ${block}, outside 0..${blocks - 1}`,
        );
      }
    }
    maxContext = Math.max(maxContext, row.pos + 1);
  });
  if (x.q.length !== x.rows.length * qHeads * headDim) {
    throw new RangeError(
      `q has ${x.q.length} floats, not ${x.rows.length} rows x ${qHeads} x ${headDim}`,
    );
  }
  const limit = ctx.limits.maxStorageBufferBindingSize;
  for (const [what, bytes] of [
    ['the K pool', 4 * x.kPool.length],
    ['the score scratch', 4 * x.rows.length * qHeads * maxContext],
  ] as const) {
    if (bytes > limit) throw new LimitError(what, bytes, 'maxStorageBufferBindingSize', limit);
  }
  if (x.rows.length > ctx.limits.maxComputeWorkgroupsPerDimension) {
    throw new RangeError(
      `${x.rows.length} query rows is beyond ${ctx.limits.maxComputeWorkgroupsPerDimension} a dispatch`,
    );
  }
  return { blocks, maxContext, seqs };
}

/** Attention output [row][qHead][headDim] for the given paged cache and query rows. */
export async function pagedAttention(
  ctx: GpuContext,
  shaders: ShaderLibrary,
  cache: PipelineCache,
  x: PagedAttentionInput,
): Promise<Float32Array> {
  const { blocks, maxContext, seqs } = check(ctx, x);
  const { qHeads, kvHeads, headDim } = x.shape;
  if (x.rows.length === 0) return new Float32Array(0);
  const launch = pagedAttentionKernel.buffers({
    rows: x.rows.length,
    qHeads,
    kvHeads,
    headDim,
    blockTokens: x.blockTokens,
    maxBlocks: x.maxBlocks,
    maxContext,
    seqs,
    poolBlocks: blocks,
  });
  const program = await kernelProgram(shaders, cache, launch.program);
  const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const made: GPUBuffer[] = [];
  const make = async (label: string, data: ArrayBufferView<ArrayBuffer> | number) => {
    const size = Math.max(
      16,
      Math.ceil((typeof data === 'number' ? data : data.byteLength) / 4) * 4,
    );
    const buffer = await createBuffer(ctx, {
      label: `paged attention ${label}`,
      size,
      usage: storage,
    });
    made.push(buffer);
    if (typeof data !== 'number') ctx.device.queue.writeBuffer(buffer, 0, data);
    return buffer;
  };
  try {
    const rowWords = new Uint32Array(x.rows.flatMap((r) => [r.seq, r.pos]));
    const outBytes = 4 * x.rows.length * qHeads * headDim;
    const buffers = [
      await make('q', x.q),
      await make('K pool', x.kPool),
      await make('V pool', x.vPool),
      await make('block table', x.blockTable),
      await make('rows', rowWords),
      await make('scores', 4 * x.rows.length * qHeads * maxContext),
      await make('out', outBytes),
    ];
    const params = await createBuffer(ctx, {
      label: 'paged attention params',
      size: 32,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    made.push(params);
    ctx.device.queue.writeBuffer(params, 0, launch.uniform);
    await withErrorScopes(ctx.device, `paged attention of ${x.rows.length} rows`, () => {
      const bindGroup = ctx.device.createBindGroup({
        label: 'paged attention',
        layout: program.bindGroupLayouts[0] as GPUBindGroupLayout,
        entries: [...buffers, params].map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      const encoder = ctx.device.createCommandEncoder({ label: 'paged attention' });
      const pass = encoder.beginComputePass({ label: 'paged attention' });
      pass.setPipeline(program.pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(...launch.workgroups);
      pass.end();
      ctx.device.queue.submit([encoder.finish()]);
    });
    return new Float32Array(await readBuffer(ctx, buffers[6] as GPUBuffer, 0, outBytes));
  } finally {
    for (const b of made) b.destroy();
  }
}
