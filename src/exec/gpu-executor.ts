// The GPU executor: runs a plan's steps as WGSL on one device, each step one dispatch over the
// arena driven by the step's op table, each step in its own timed compute pass. Results equal
// the CPU interpreter's bit for bit (same ops, same order of operands, no hazards in a step).
import { createBuffer, readBuffer } from '../gpu/buffers.ts';
import type { GpuContext } from '../gpu/device.ts';
import { LimitError, withErrorScopes } from '../gpu/errors.ts';
import { PipelineCache } from '../gpu/pipelines.ts';
import { type ShaderLibrary, specialize } from '../gpu/shader-library.ts';
import { GpuTimer } from '../gpu/timer.ts';
import { DTYPE_INFO } from '../plans/dtype.ts';
import type { Plan } from '../plans/plan.ts';
import { validatePlan } from '../plans/validate.ts';
import { type ArenaLayout, arenaLayout } from './arena.ts';
import { DEFAULT_KERNEL_CONFIG, type KernelConfig } from './elementwise.ts';
import type { RankBuffers } from './interpreter.ts';

const REDOP_CODE = { sum: 1, prod: 2, max: 3, min: 4 } as const;
// One op-table row: src, dst, count, kind (u32 each); each step's table starts 256 B aligned.
const ROW_WORDS = 4;
const TABLE_ALIGN_BYTES = 256;

interface PreparedStep {
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly workgroups: readonly [number, number, number];
}

export class GpuExecutor {
  readonly layout: ArenaLayout;
  private arena?: GPUBuffer;
  private table?: GPUBuffer;
  private steps: PreparedStep[] = [];
  private readonly cache: PipelineCache;

  constructor(
    private readonly ctx: GpuContext,
    private readonly shaders: ShaderLibrary,
    readonly plan: Plan,
    readonly config: KernelConfig = DEFAULT_KERNEL_CONFIG,
    cache?: PipelineCache,
  ) {
    validatePlan(plan);
    this.layout = arenaLayout(plan);
    this.cache = cache ?? new PipelineCache(ctx);
    const limit = Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
    if (this.layout.bytes > limit) {
      const name =
        ctx.limits.maxStorageBufferBindingSize <= ctx.limits.maxBufferSize
          ? 'maxStorageBufferBindingSize'
          : 'maxBufferSize';
      throw new LimitError(
        `the ${plan.ranks} ranks' buffers of ${plan.collective} (${plan.count} ${plan.dtype})`,
        this.layout.bytes,
        name,
        limit,
      );
    }
  }

  /** Allocates the arena and op tables and builds one dispatch per step. */
  async prepare(): Promise<void> {
    const { ctx, plan, layout } = this;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.arena = await createBuffer(ctx, {
      label: `arena ${plan.collective} ${plan.algorithm}`,
      size: layout.bytes,
      usage,
    });
    const rows = plan.steps.map((s) => this.rows(s.ops));
    const tableOffsets: number[] = [];
    let tableBytes = 0;
    for (const r of rows) {
      tableOffsets.push(tableBytes);
      tableBytes +=
        Math.ceil(Math.max(r.words.length * 4, 16) / TABLE_ALIGN_BYTES) * TABLE_ALIGN_BYTES;
    }
    this.table = await createBuffer(ctx, {
      label: 'op tables',
      size: Math.max(tableBytes, 16),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    const table = this.table;
    rows.forEach((r, i) => {
      ctx.device.queue.writeBuffer(table, tableOffsets[i] as number, r.words);
    });
    this.steps = [];
    for (const [i, r] of rows.entries()) {
      if (r.rows === 0) continue;
      const lane =
        r.width === 4 ? `vec4<${DTYPE_INFO[plan.dtype].wgsl}>` : DTYPE_INFO[plan.dtype].wgsl;
      const program = await this.cache.compute(
        `step ${lane}`,
        specialize(this.shaders('step'), { Lane: lane }),
        {
          REDOP: REDOP_CODE[plan.redop],
          WORKGROUP_SIZE: this.config.workgroupSize,
          LANES_PER_INVOCATION: this.config.lanesPerInvocation,
        },
      );
      const bindGroup = await withErrorScopes(ctx.device, `createBindGroup step ${i}`, () =>
        ctx.device.createBindGroup({
          layout: program.bindGroupLayouts[0] as GPUBindGroupLayout,
          entries: [
            { binding: 0, resource: { buffer: this.arena as GPUBuffer } },
            {
              binding: 1,
              resource: {
                buffer: table,
                offset: tableOffsets[i] as number,
                size: r.words.length * 4,
              },
            },
          ],
        }),
      );
      const blocks = Math.ceil(
        r.maxLanes / (this.config.workgroupSize * this.config.lanesPerInvocation),
      );
      const x = Math.min(blocks, this.ctx.limits.maxComputeWorkgroupsPerDimension);
      this.steps[i] = {
        pipeline: program.pipeline,
        bindGroup,
        workgroups: [x, r.rows, Math.ceil(blocks / x)],
      };
    }
  }

  /** The op table of one step, in lanes of 4 elements when every op allows it. */
  private rows(ops: Plan['steps'][number]['ops']) {
    const { offsets } = this.layout;
    const abs = ops.map((op) => ({
      src: (offsets[op.src.rank] as ArenaLayout['offsets'][number])[op.src.buffer] + op.src.offset,
      dst: (offsets[op.dst.rank] as ArenaLayout['offsets'][number])[op.dst.buffer] + op.dst.offset,
      count: op.count,
      kind: op.kind === 'copy' ? 0 : 1,
    }));
    const width =
      this.config.vectorize &&
      abs.every((o) => o.src % 4 === 0 && o.dst % 4 === 0 && o.count % 4 === 0)
        ? 4
        : 1;
    const words = new Uint32Array(Math.max(abs.length, 1) * ROW_WORDS);
    let maxLanes = 0;
    abs.forEach((o, i) => {
      words.set([o.src / width, o.dst / width, o.count / width, o.kind], i * ROW_WORDS);
      maxLanes = Math.max(maxLanes, o.count / width);
    });
    return { words, rows: abs.length, width, maxLanes };
  }

  /** Writes each rank's buffers into the arena. */
  upload(buffers: RankBuffers): void {
    const arena = this.requireArena();
    const bytes = DTYPE_INFO[this.plan.dtype].bytes;
    buffers.forEach((b, r) => {
      for (const name of ['send', 'recv'] as const) {
        const data = b[name];
        if (data.length === 0) continue;
        const at = (this.layout.offsets[r] as ArenaLayout['offsets'][number])[name] * bytes;
        this.ctx.device.queue.writeBuffer(arena, at, data.buffer, data.byteOffset, data.byteLength);
      }
    });
  }

  /**
   * Runs every step once, in order, in one submission; returns each step's GPU seconds
   * (wall-clock per step, one submission each, where the device has no timestamps).
   */
  async run(timer?: GpuTimer): Promise<number[]> {
    const own = timer ?? new GpuTimer(this.ctx);
    try {
      return await withErrorScopes(
        this.ctx.device,
        `run ${this.plan.collective} ${this.plan.algorithm}`,
        () =>
          own.run(
            `${this.plan.collective} ${this.plan.algorithm}`,
            this.plan.steps.length,
            (encoder, w, k) => this.encodeStep(encoder, k, w.both),
          ),
      );
    } finally {
      if (!timer) own.destroy();
    }
  }

  /** Runs every step without timestamps, in one submission (warm-up, or a plain result). */
  async runUntimed(): Promise<void> {
    await withErrorScopes(
      this.ctx.device,
      `run ${this.plan.collective} ${this.plan.algorithm}`,
      () => {
        const encoder = this.ctx.device.createCommandEncoder();
        for (let k = 0; k < this.plan.steps.length; k++) this.encodeStep(encoder, k, undefined);
        this.ctx.device.queue.submit([encoder.finish()]);
      },
    );
    await this.ctx.device.queue.onSubmittedWorkDone();
  }

  /** Reads every rank's buffers back out of the arena. */
  async download(): Promise<RankBuffers> {
    const raw = await readBuffer(this.ctx, this.requireArena(), 0, this.layout.bytes);
    const { create } = DTYPE_INFO[this.plan.dtype];
    const all = this.plan.dtype === 'int32' ? new Int32Array(raw) : new Float32Array(raw);
    return this.layout.offsets.map((o, r) => {
      const out = { send: create(0), recv: create(0) };
      for (const name of ['send', 'recv'] as const) {
        out[name] = all.slice(o[name], o[name] + (this.plan.sizes[name][r] ?? 0));
      }
      return out;
    });
  }

  private encodeStep(
    encoder: GPUCommandEncoder,
    i: number,
    writes: GPUComputePassTimestampWrites | undefined,
  ): void {
    const pass = encoder.beginComputePass(writes ? { timestampWrites: writes } : {});
    const s = this.steps[i];
    if (s) {
      pass.setPipeline(s.pipeline);
      pass.setBindGroup(0, s.bindGroup);
      pass.dispatchWorkgroups(...s.workgroups);
    }
    pass.end();
  }

  private requireArena(): GPUBuffer {
    if (!this.arena) throw new Error('GpuExecutor.prepare() has not run');
    return this.arena;
  }

  destroy(): void {
    this.arena?.destroy();
    this.table?.destroy();
  }
}
