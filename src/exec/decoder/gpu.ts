// The decoder (src/exec/decoder/model.ts) on the GPU, split over tensor-parallel ranks: each
// rank has its own weight shards and its own paged KV cache per layer, and runs its own
// dispatches (QKV projections, KV append, paged attention, Wo; W1, bias + GeLU, W2); the
// ranks' partial outputs meet in an AllReduce fused with the residual add (add-partials.wgsl:
// on the one GPU that hosts every rank, the partials are summed where they lie). One forward
// pass is one compute pass of a few dozen dispatches, timed by one timestamp pair, for any
// mix of prefill rows (many positions of one sequence) and decode rows (one per sequence).
// The matmuls, bias + GeLU and paged attention are the kernel registry's (src/kernels/), on
// buffers of their own: their programs, uniform words and grids come from there.
import { createBuffer, readBuffer } from '../../gpu/buffers.ts';
import type { GpuContext } from '../../gpu/device.ts';
import { withErrorScopes } from '../../gpu/errors.ts';
import type { PipelineCache } from '../../gpu/pipelines.ts';
import type { ShaderLibrary } from '../../gpu/shader-library.ts';
import type { GpuTimer } from '../../gpu/timer.ts';
import { pagedAttentionKernel } from '../../kernels/attention-paged.ts';
import { biasGeluGrid, biasGeluKernel } from '../../kernels/bias-gelu.ts';
import type { KernelLaunch } from '../../kernels/kernel.ts';
import { matmulKernel } from '../../kernels/matmul.ts';
import { kernelProgram } from '../kernels/dispatch.ts';
import type { DecoderRow } from './cpu.ts';
import { checkDecoder, type DecoderWeights, ffnWidth, RMS_EPS, shardLayer } from './model.ts';

const WG = 64;

export interface DecoderGpuOptions {
  readonly ranks: number;
  /** Most tokens one forward pass takes (prefill rows + decode rows). */
  readonly maxRows: number;
  /** Sequences the block table has rows for. */
  readonly maxSeqs: number;
  readonly blockTokens: number;
  /** KV blocks in each rank's pool (per layer). */
  readonly poolBlocks: number;
}

interface Dispatch {
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly uniform: GPUBuffer;
  readonly words: (rows: number) => ArrayBuffer;
  readonly groups: (rows: number) => [number, number];
}

const u32s = (...v: number[]) => new Uint32Array(v).buffer as ArrayBuffer;

export class DecoderGpu {
  private readonly made: GPUBuffer[] = [];
  private readonly dispatches: Dispatch[] = [];
  private shared!: { rows: GPUBuffer; tokens: GPUBuffer; table: GPUBuffer; logits: GPUBuffer };
  readonly maxBlocks: number;
  private readonly maxRows: number;

  private constructor(
    private readonly ctx: GpuContext,
    readonly weights: DecoderWeights,
    readonly options: DecoderGpuOptions,
  ) {
    const c = weights.config;
    checkDecoder(c, options.ranks);
    for (const [name, v, max] of [
      ['max rows', options.maxRows, 1 << 16],
      ['max sequences', options.maxSeqs, 1 << 16],
      ['block tokens', options.blockTokens, 4096],
      ['pool blocks', options.poolBlocks, 1 << 24],
    ] as const) {
      if (!Number.isInteger(v) || v < 1 || v > max) {
        throw new RangeError(`${name} ${v} must be a whole number from 1 to ${max}`);
      }
    }
    this.maxBlocks = Math.ceil(c.maxPositions / options.blockTokens);
    // Whole 64-row groups: every rank's partial then starts on a 256 B binding boundary.
    this.maxRows = Math.ceil(options.maxRows / 64) * 64;
  }

  static async create(
    ctx: GpuContext,
    shaders: ShaderLibrary,
    cache: PipelineCache,
    weights: DecoderWeights,
    options: DecoderGpuOptions,
  ): Promise<DecoderGpu> {
    const gpu = new DecoderGpu(ctx, weights, options);
    try {
      await gpu.build(shaders, cache);
      return gpu;
    } catch (e) {
      gpu.destroy();
      throw e;
    }
  }

  private async buffer(
    label: string,
    data: ArrayBufferView<ArrayBuffer> | number,
    uniform = false,
  ) {
    const bytes = typeof data === 'number' ? data : data.byteLength;
    const usage = uniform
      ? GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST
      : GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
    const b = await createBuffer(this.ctx, {
      label: `decoder ${label}`,
      size: Math.max(16, bytes),
      usage,
    });
    this.made.push(b);
    if (typeof data !== 'number') this.ctx.device.queue.writeBuffer(b, 0, data);
    return b;
  }

  private async build(shaders: ShaderLibrary, cache: PipelineCache): Promise<void> {
    const { ctx, weights: w, maxRows, maxBlocks } = this;
    const c = w.config;
    const { ranks, blockTokens, poolBlocks, maxSeqs } = this.options;
    const d = c.dModel;
    const qh = c.qHeads / ranks;
    const kvh = c.kvHeads / ranks;
    const qw = qh * c.headDim;
    const kvw = kvh * c.headDim;
    const f = ffnWidth(c) / ranks;
    const maxPerDim = ctx.limits.maxComputeWorkgroupsPerDimension;
    const program = (label: string, source: string, constants: Record<string, number>) =>
      cache.compute(label, source, constants);
    const embed = await program('embed', shaders('embed'), { WG });
    const norm = await program('rmsnorm', shaders('rmsnorm'), { WG });
    const limits = ctx.limits;
    // The registry's kernels on buffers of their own: each launch for a row count gives the
    // uniform words and the grid; the program is the same for any.
    const matmulLaunch = (k: number, n: number) => (rows: number) =>
      matmulKernel.buffers({ m: rows, k, n });
    const geluLaunch = (rows: number) => biasGeluKernel.buffers({ m: rows, n: f }, limits);
    // The scratch row stride is the longest context any row may reach, whatever the batch.
    const attentionLaunch = (rows: number) =>
      pagedAttentionKernel.buffers({
        rows,
        qHeads: qh,
        kvHeads: kvh,
        headDim: c.headDim,
        blockTokens,
        maxBlocks,
        maxContext: c.maxPositions,
        seqs: maxSeqs,
        poolBlocks,
      });
    const mm = await kernelProgram(shaders, cache, matmulLaunch(d, d)(maxRows).program);
    const kvWrite = await program('kv-write', shaders('kv-write'), { WG });
    const attention = await kernelProgram(shaders, cache, attentionLaunch(maxRows).program);
    const add = await program('add-partials', shaders('add-partials'), { WG });
    const gelu = await kernelProgram(shaders, cache, geluLaunch(maxRows).program);

    const rowsBuf = await this.buffer('rows', 8 * maxRows);
    const tokens = await this.buffer('tokens', 4 * maxRows);
    const table = await this.buffer('block table', 4 * maxSeqs * maxBlocks);
    const x = await this.buffer('x', 4 * maxRows * d);
    const h = await this.buffer('h', 4 * maxRows * d);
    const stride = maxRows * d;
    const partials = await this.buffer('partials', 4 * stride * ranks);
    const logits = await this.buffer('logits', 4 * maxRows * c.vocab);
    this.shared = { rows: rowsBuf, tokens, table, logits };

    const push = async (
      p: { pipeline: GPUComputePipeline; bindGroupLayouts: readonly GPUBindGroupLayout[] },
      label: string,
      resources: (GPUBuffer | { buffer: GPUBuffer; offset: number; size: number })[],
      words: (rows: number) => ArrayBuffer,
      groups: (rows: number) => [number, number],
    ) => {
      const uniform = await this.buffer(`${label} params`, 32, true);
      const entries = [...resources, uniform].map((r, binding) => ({
        binding,
        resource: 'offset' in r ? r : { buffer: r },
      }));
      const bindGroup = await withErrorScopes(ctx.device, `bind group of decoder ${label}`, () =>
        ctx.device.createBindGroup({
          label,
          layout: p.bindGroupLayouts[0] as GPUBindGroupLayout,
          entries,
        }),
      );
      this.dispatches.push({ pipeline: p.pipeline, bindGroup, uniform, words, groups });
    };
    const elementwise = (count: (rows: number) => number) => (rows: number) =>
      biasGeluGrid(count(rows), maxPerDim);
    const words = (launch: (rows: number) => KernelLaunch) => (rows: number) =>
      launch(rows).uniform.buffer;
    const groups = (launch: (rows: number) => KernelLaunch) => (rows: number) => {
      const [x, y] = launch(rows).workgroups;
      return [x, y] as [number, number];
    };
    const matmul = (
      label: string,
      a: GPUBuffer,
      b: GPUBuffer,
      cOut: GPUBuffer | { buffer: GPUBuffer; offset: number; size: number },
      k: number,
      n: number,
    ) => push(mm, label, [a, b, cOut], words(matmulLaunch(k, n)), groups(matmulLaunch(k, n)));
    const rmsnorm = async (label: string, gain: Float32Array<ArrayBuffer>, out: GPUBuffer) => {
      const g = await this.buffer(`${label} gain`, gain);
      const words = (rows: number) => {
        const buf = new ArrayBuffer(16);
        new Uint32Array(buf, 0, 2).set([rows, d]);
        new Float32Array(buf, 8, 1)[0] = RMS_EPS;
        return buf;
      };
      await push(norm, label, [x, g, out], words, (rows) => [rows, 1]);
    };

    const tokEmb = await this.buffer('token embedding', w.tokEmb as Float32Array<ArrayBuffer>);
    const posEmb = await this.buffer('position embedding', w.posEmb as Float32Array<ArrayBuffer>);
    await push(
      embed,
      'embed',
      [tokEmb, posEmb, tokens, rowsBuf, x],
      (rows) => u32s(rows, d, 0, 0),
      elementwise((r) => r * d),
    );

    const partialOf = (r: number) => ({
      buffer: partials,
      offset: 4 * stride * r,
      size: 4 * stride,
    });
    const addWords = (rows: number) => u32s(rows * d, ranks, stride, 0);
    for (const [l, full] of w.layers.entries()) {
      const shards = Array.from({ length: ranks }, (_, r) => shardLayer(c, full, r, ranks));
      await rmsnorm(`layer ${l} norm1`, full.norm1 as Float32Array<ArrayBuffer>, h);
      for (const [r, s] of shards.entries()) {
        const tag = `layer ${l} rank ${r}`;
        const q = await this.buffer(`${tag} q`, 4 * maxRows * qw);
        const k = await this.buffer(`${tag} k`, 4 * maxRows * kvw);
        const v = await this.buffer(`${tag} v`, 4 * maxRows * kvw);
        const att = await this.buffer(`${tag} attention`, 4 * maxRows * qw);
        const scores = await this.buffer(`${tag} scores`, 4 * maxRows * qh * c.maxPositions);
        const kPool = await this.buffer(`${tag} K pool`, 4 * poolBlocks * blockTokens * kvw);
        const vPool = await this.buffer(`${tag} V pool`, 4 * poolBlocks * blockTokens * kvw);
        await matmul(
          `${tag} Wq`,
          h,
          await this.buffer(`${tag} Wq`, s.wq as Float32Array<ArrayBuffer>),
          q,
          d,
          qw,
        );
        await matmul(
          `${tag} Wk`,
          h,
          await this.buffer(`${tag} Wk`, s.wk as Float32Array<ArrayBuffer>),
          k,
          d,
          kvw,
        );
        await matmul(
          `${tag} Wv`,
          h,
          await this.buffer(`${tag} Wv`, s.wv as Float32Array<ArrayBuffer>),
          v,
          d,
          kvw,
        );
        await push(
          kvWrite,
          `${tag} KV append`,
          [k, v, table, rowsBuf, kPool, vPool],
          (rows) => u32s(rows, kvw, blockTokens, maxBlocks),
          elementwise((n) => n * kvw),
        );
        await push(
          attention,
          `${tag} attention`,
          [q, kPool, vPool, table, rowsBuf, scores, att],
          words(attentionLaunch),
          groups(attentionLaunch),
        );
        await matmul(
          `${tag} Wo`,
          att,
          await this.buffer(`${tag} Wo`, s.wo as Float32Array<ArrayBuffer>),
          partialOf(r),
          qw,
          d,
        );
      }
      await push(
        add,
        `layer ${l} attention all-reduce`,
        [partials, x],
        addWords,
        elementwise((n) => n * d),
      );
      await rmsnorm(`layer ${l} norm2`, full.norm2 as Float32Array<ArrayBuffer>, h);
      for (const [r, s] of shards.entries()) {
        const tag = `layer ${l} rank ${r}`;
        const z = await this.buffer(`${tag} z`, 4 * maxRows * f);
        const u = await this.buffer(`${tag} u`, 4 * maxRows * f);
        await matmul(
          `${tag} W1`,
          h,
          await this.buffer(`${tag} W1`, s.w1 as Float32Array<ArrayBuffer>),
          z,
          d,
          f,
        );
        await push(
          gelu,
          `${tag} bias + GeLU`,
          [z, await this.buffer(`${tag} b1`, s.b1 as Float32Array<ArrayBuffer>), u],
          words(geluLaunch),
          groups(geluLaunch),
        );
        await matmul(
          `${tag} W2`,
          u,
          await this.buffer(`${tag} W2`, s.w2 as Float32Array<ArrayBuffer>),
          partialOf(r),
          f,
          d,
        );
      }
      await push(
        add,
        `layer ${l} MLP all-reduce`,
        [partials, x],
        addWords,
        elementwise((n) => n * d),
      );
    }
    await rmsnorm('final norm', w.normF as Float32Array<ArrayBuffer>, h);
    await matmul(
      'LM head',
      h,
      await this.buffer('W_out', w.wOut as Float32Array<ArrayBuffer>),
      logits,
      d,
      c.vocab,
    );
  }

  /**
   * One forward pass over `batch` (rows of one sequence in position order, each sequence's
   * earlier tokens already in the cache), with `blockTable` [maxSeqs][maxBlocks] from the KV
   * pool: appends the rows' keys and values and returns their logits [row][vocab] and the GPU
   * seconds of the pass (wall clock without timestamps).
   */
  async forward(
    batch: readonly DecoderRow[],
    blockTable: Uint32Array<ArrayBuffer>,
    timer: GpuTimer,
  ): Promise<{ logits: Float32Array; gpu_s: number }> {
    const c = this.weights.config;
    const n = batch.length;
    if (n < 1 || n > this.options.maxRows) {
      throw new RangeError(`a forward pass of ${n} rows: must be 1 to ${this.options.maxRows}`);
    }
    if (blockTable.length !== this.options.maxSeqs * this.maxBlocks) {
      throw new RangeError(
        `block table of ${blockTable.length} entries, not ${this.options.maxSeqs} x ${this.maxBlocks}`,
      );
    }
    batch.forEach((row, i) => {
      if (!(row.seq >= 0 && row.seq < this.options.maxSeqs && Number.isInteger(row.seq)))
        throw new RangeError(
          `row ${i}: sequence ${row.seq} is outside 0..${this.options.maxSeqs - 1}`,
        );
      if (!(row.pos >= 0 && row.pos < c.maxPositions && Number.isInteger(row.pos)))
        throw new RangeError(`row ${i}: position ${row.pos} is outside 0..${c.maxPositions - 1}`);
      if (!(row.token >= 0 && row.token < c.vocab && Number.isInteger(row.token)))
        throw new RangeError(`row ${i}: token ${row.token} is outside 0..${c.vocab - 1}`);
      const page = blockTable[
        row.seq * this.maxBlocks + Math.floor(row.pos / this.options.blockTokens)
      ] as number;
      if (page >= this.options.poolBlocks)
        throw new RangeError(
          `row ${i}: sequence ${row.seq}'s block ${page} is outside the pool of ${this.options.poolBlocks}`,
        );
    });
    const { device } = this.ctx;
    device.queue.writeBuffer(
      this.shared.rows,
      0,
      new Uint32Array(batch.flatMap((r) => [r.seq, r.pos])),
    );
    device.queue.writeBuffer(this.shared.tokens, 0, new Uint32Array(batch.map((r) => r.token)));
    device.queue.writeBuffer(this.shared.table, 0, blockTable);
    for (const dsp of this.dispatches) device.queue.writeBuffer(dsp.uniform, 0, dsp.words(n));
    const [gpu_s] = await withErrorScopes(device, `decoder forward of ${n} rows`, () =>
      timer.run('decoder forward', 1, (encoder, writes) => {
        const pass = encoder.beginComputePass(writes.both ? { timestampWrites: writes.both } : {});
        for (const dsp of this.dispatches) {
          pass.setPipeline(dsp.pipeline);
          pass.setBindGroup(0, dsp.bindGroup);
          const [gx, gy] = dsp.groups(n);
          pass.dispatchWorkgroups(gx, gy);
        }
        pass.end();
      }),
    );
    const logits = new Float32Array(
      await readBuffer(this.ctx, this.shared.logits, 0, 4 * n * c.vocab),
    );
    return { logits, gpu_s: gpu_s ?? Number.NaN };
  }

  /** Dispatches in one forward pass (for reports). */
  get dispatchCount(): number {
    return this.dispatches.length;
  }

  destroy(): void {
    for (const b of this.made) b.destroy();
  }
}
