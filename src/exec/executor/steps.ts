// The GPU executor: runs a plan's steps as WGSL on one device. Each step is one timed compute
// pass; its ops go to the GPU as an op table in a storage buffer, one dispatch for all of them
// (one per kind, copy or reduce, in the few steps that mix them, and one per pair of arenas
// when the ranks' buffers need more than one storage binding), plus one dispatch per kernel
// op (tensor-parallel plans). Moves equal the CPU interpreter's bit for bit: same ops, same
// operand order, no hazard in a step; kernels within their oracles' tolerances.
import { createBuffer, readBuffer } from '../../gpu/buffers.ts';
import type { GpuContext } from '../../gpu/device.ts';
import { LimitError, withErrorScopes } from '../../gpu/errors.ts';
import { PipelineCache } from '../../gpu/pipelines.ts';
import { compose, type ShaderLibrary, specialize } from '../../gpu/shader-library.ts';
import { GpuTimer } from '../../gpu/timer.ts';
import { MAX_RANKS } from '../../plans/build.ts';
import { DTYPE_INFO } from '../../plans/dtype.ts';
import type { Op, Plan } from '../../plans/plan.ts';
import { validatePlan } from '../../plans/validate.ts';
import type { RankBuffers } from '../interpreter/steps.ts';
import {
  KERNEL_UNIFORM_BYTES,
  type KernelDispatch,
  kernelDispatch,
  kernelLaunch,
} from '../kernels/dispatch.ts';
import type { ArenaLayout } from './arena.ts';
import { DEFAULT_KERNEL_CONFIG, type KernelConfig, REDOP_CODE } from './kernel-config.ts';
import { executorLayout, groupGrid, groupOps } from './step-features.ts';

// One op-table row: src, dst, count, padding (u32 each); each table starts 256 B aligned.
const ROW_WORDS = 4;
const TABLE_ALIGN_BYTES = 256;

interface Dispatch {
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly workgroups: readonly [number, number, number];
}

/** The ops of one step of one kind that read arena `src` and write arena `dst`, as a table. */
interface Group {
  readonly src: number;
  readonly dst: number;
  readonly kind: Op['kind'];
  readonly words: Uint32Array<ArrayBuffer>;
  readonly rows: number;
  readonly width: 1 | 4;
  readonly maxLanes: number;
}

/** Dispatches timed together in one pass, and where their seconds go. */
interface KernelUnit {
  readonly step: number;
  readonly index: number;
  readonly dispatches: readonly KernelDispatch[];
}

export class GpuExecutor {
  readonly layout: ArenaLayout;
  private arenas: GPUBuffer[] = [];
  private table?: GPUBuffer;
  private steps: Dispatch[][] = [];
  /** Each step's kernel ops (tensor-parallel plans), one dispatch each. */
  private kernels: KernelDispatch[][] = [];
  private kernelUniforms?: GPUBuffer;
  private readonly cache: PipelineCache;

  constructor(
    private readonly ctx: GpuContext,
    private readonly shaders: ShaderLibrary,
    readonly plan: Plan,
    readonly config: KernelConfig = DEFAULT_KERNEL_CONFIG,
    cache?: PipelineCache,
  ) {
    validatePlan(plan);
    if (plan.ranks > MAX_RANKS) {
      throw new RangeError(
        `ranks ${plan.ranks}: the GPU executor runs at most ${MAX_RANKS} ranks on one GPU`,
      );
    }
    const { maxStorageBufferBindingSize, maxBufferSize } = ctx.limits;
    const limit = Math.min(maxStorageBufferBindingSize, maxBufferSize);
    const limitName =
      maxStorageBufferBindingSize <= maxBufferSize
        ? 'maxStorageBufferBindingSize'
        : 'maxBufferSize';
    const bytes = DTYPE_INFO[plan.dtype].bytes;
    for (const b of ['send', 'recv'] as const) {
      const largest = Math.max(0, ...plan.sizes[b]);
      if (largest * bytes > limit) {
        throw new LimitError(
          `one rank's ${b} buffer (${largest} ${plan.dtype})`,
          largest * bytes,
          limitName,
          limit,
        );
      }
    }
    this.layout = executorLayout(plan, ctx.limits);
    this.cache = cache ?? new PipelineCache(ctx);
  }

  /** Allocates the arenas and op tables and builds each step's dispatches. */
  async prepare(): Promise<void> {
    const { ctx, plan, layout } = this;
    const bytes = DTYPE_INFO[plan.dtype].bytes;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.arenas = [];
    for (const [i, elements] of layout.arenas.entries()) {
      this.arenas.push(
        await createBuffer(ctx, {
          label: `arena ${i} of ${plan.collective} ${plan.algorithm}`,
          size: elements * bytes,
          usage,
        }),
      );
    }
    const groups = plan.steps.map((s) => this.groups(s.ops));
    const offsets: number[][] = [];
    let tableBytes = 0;
    for (const step of groups) {
      offsets.push(
        step.map((g) => {
          const at = tableBytes;
          tableBytes += Math.ceil((g.words.length * 4) / TABLE_ALIGN_BYTES) * TABLE_ALIGN_BYTES;
          return at;
        }),
      );
    }
    this.table = await createBuffer(ctx, {
      label: 'op tables',
      size: Math.max(tableBytes, 16),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    this.steps = [];
    for (const [s, step] of groups.entries()) {
      const dispatches: Dispatch[] = [];
      for (const [k, g] of step.entries()) {
        dispatches.push(await this.dispatch(s, g, (offsets[s] as number[])[k] as number));
      }
      this.steps.push(dispatches);
    }
    await this.prepareKernels();
  }

  /** One dispatch per kernel op, each with its uniform slot (shape and arena offsets). */
  private async prepareKernels(): Promise<void> {
    const { ctx, plan, layout } = this;
    const total = plan.steps.reduce((n, s) => n + (s.kernels?.length ?? 0), 0);
    this.kernels = plan.steps.map(() => []);
    if (total === 0) return;
    const uniforms = await createBuffer(ctx, {
      label: 'kernel uniforms',
      size: total * KERNEL_UNIFORM_BYTES,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.kernelUniforms = uniforms;
    let slot = 0;
    for (const [s, step] of plan.steps.entries()) {
      for (const op of step.kernels ?? []) {
        const places = layout.places[op.rank] as ArenaLayout['places'][number];
        if (places.send.arena !== places.recv.arena) {
          const bytes = DTYPE_INFO[plan.dtype].bytes;
          const both = ((plan.sizes.send[op.rank] ?? 0) + (plan.sizes.recv[op.rank] ?? 0)) * bytes;
          const { maxStorageBufferBindingSize, maxBufferSize } = ctx.limits;
          throw new LimitError(
            `rank ${op.rank}'s send and recv buffers together (a kernel op binds both at once)`,
            both,
            'storage binding',
            Math.min(maxStorageBufferBindingSize, maxBufferSize),
          );
        }
        const at = (g: { buffer: 'send' | 'recv'; offset: number }) =>
          places[g.buffer].offset + g.offset;
        const offset = slot++ * KERNEL_UNIFORM_BYTES;
        const launch = kernelLaunch(ctx, op, at);
        ctx.device.queue.writeBuffer(uniforms, offset, launch.uniform);
        (this.kernels[s] as KernelDispatch[]).push(
          await kernelDispatch(
            ctx,
            this.shaders,
            this.cache,
            op,
            launch,
            this.arena(places.send.arena),
            { buffer: uniforms, offset },
          ),
        );
      }
    }
  }

  /** The executor's grouping of a step's ops (step-features.ts), each group as an op table. */
  private groups(ops: readonly Op[]): Group[] {
    return groupOps(ops, this.layout, this.config).map((g) => {
      const words = new Uint32Array(g.rows.length * ROW_WORDS);
      g.rows.forEach((o, i) => {
        words.set([o.src, o.dst, o.count, 0], i * ROW_WORDS);
      });
      return { ...g, words, rows: g.rows.length };
    });
  }

  private async dispatch(step: number, g: Group, tableOffset: number): Promise<Dispatch> {
    const { ctx, plan, config } = this;
    const table = this.table as GPUBuffer;
    ctx.device.queue.writeBuffer(table, tableOffset, g.words);
    const elem = DTYPE_INFO[plan.dtype].wgsl;
    const lane = g.width === 4 ? `vec4<${elem}>` : elem;
    const same = g.src === g.dst;
    const source = compose(this.shaders, ['combine', same ? 'arena-one' : 'arena-two', 'step']);
    const program = await this.cache.compute(
      `step ${g.kind} ${lane}${same ? '' : ' (two arenas)'}`,
      specialize(source, { Lane: lane }),
      {
        COPY: g.kind === 'copy' ? 1 : 0,
        REDOP: REDOP_CODE[plan.redop],
        WORKGROUP_SIZE: config.workgroupSize,
        LANES_PER_INVOCATION: config.lanesPerInvocation,
      },
    );
    const src = this.arenas[g.src] as GPUBuffer;
    const dst = this.arenas[g.dst] as GPUBuffer;
    const entries: GPUBindGroupEntry[] = [
      { binding: 0, resource: { buffer: src } },
      { binding: 1, resource: { buffer: table, offset: tableOffset, size: g.words.byteLength } },
      ...(same ? [] : [{ binding: 2, resource: { buffer: dst } }]),
    ];
    const bindGroup = await withErrorScopes(
      ctx.device,
      `createBindGroup step ${step} (arenas ${g.src} -> ${g.dst})`,
      () =>
        ctx.device.createBindGroup({
          layout: program.bindGroupLayouts[0] as GPUBindGroupLayout,
          entries,
        }),
    );
    return {
      pipeline: program.pipeline,
      bindGroup,
      workgroups: groupGrid(
        g.maxLanes,
        g.rows,
        config,
        ctx.limits.maxComputeWorkgroupsPerDimension,
      ),
    };
  }

  /** Writes each rank's buffers into the arenas. */
  upload(buffers: RankBuffers): void {
    const bytes = DTYPE_INFO[this.plan.dtype].bytes;
    buffers.forEach((b, r) => {
      for (const name of ['send', 'recv'] as const) {
        const data = b[name];
        if (data.length === 0) continue;
        const place = (this.layout.places[r] as ArenaLayout['places'][number])[name];
        this.ctx.device.queue.writeBuffer(
          this.arena(place.arena),
          place.offset * bytes,
          data.buffer,
          data.byteOffset,
          data.byteLength,
        );
      }
    });
  }

  /**
   * Runs every step once, in order, in one submission; returns each step's GPU seconds
   * (wall-clock per step, one submission each, where the device has no timestamps).
   */
  async run(timer?: GpuTimer): Promise<number[]> {
    const own = timer ?? new GpuTimer(this.ctx);
    const label = `${this.plan.collective} ${this.plan.algorithm}`;
    try {
      return await withErrorScopes(this.ctx.device, `run ${label}`, () =>
        own.run(label, this.plan.steps.length, (encoder, w, k) =>
          this.encodeStep(encoder, k, w.both),
        ),
      );
    } finally {
      if (!timer) own.destroy();
    }
  }

  /** Runs step `k` alone, timed: how the view walks a plan and reads the buffers after each. */
  async runStep(k: number, timer?: GpuTimer): Promise<number> {
    if (!Number.isInteger(k) || k < 0 || k >= this.plan.steps.length) {
      throw new RangeError(`step ${k} is outside 0..${this.plan.steps.length - 1}`);
    }
    const own = timer ?? new GpuTimer(this.ctx);
    try {
      const [seconds] = await withErrorScopes(
        this.ctx.device,
        `step ${k} of ${this.plan.collective}`,
        () => own.run(`step ${k}`, 1, (encoder, w) => this.encodeStep(encoder, k, w.both)),
      );
      return seconds ?? Number.NaN;
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

  /** Reads every rank's buffers back out of the arenas. */
  async download(): Promise<RankBuffers> {
    const { create } = DTYPE_INFO[this.plan.dtype];
    const all: (Float32Array | Int32Array)[] = [];
    for (const [i, elements] of this.layout.arenas.entries()) {
      const raw = await readBuffer(
        this.ctx,
        this.arena(i),
        0,
        elements * DTYPE_INFO[this.plan.dtype].bytes,
      );
      all.push(this.plan.dtype === 'int32' ? new Int32Array(raw) : new Float32Array(raw));
    }
    return this.layout.places.map((p, r) => {
      const out = { send: create(0), recv: create(0) };
      for (const name of ['send', 'recv'] as const) {
        const { arena, offset } = p[name];
        out[name] = (all[arena] as Float32Array | Int32Array).slice(
          offset,
          offset + (this.plan.sizes[name][r] ?? 0),
        );
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
    for (const d of [...(this.steps[i] ?? []), ...(this.kernels[i] ?? [])]) {
      pass.setPipeline(d.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(...d.workgroups);
    }
    pass.end();
  }

  /**
   * Each rank's kernels of each step timed on their own, one timed pass per (step, rank): the
   * compute time a rank would take on a device of its own. seconds[step][rank], NaN where the
   * rank runs no kernel in that step. Run it after `run` (it recomputes the kernel steps'
   * outputs from whatever the buffers hold, so read results first).
   */
  async timeKernels(timer?: GpuTimer): Promise<number[][]> {
    const units: KernelUnit[] = [];
    for (const [step, list] of this.kernels.entries()) {
      for (let rank = 0; rank < this.plan.ranks; rank++) {
        const dispatches = list.filter((d) => d.rank === rank);
        if (dispatches.length > 0) units.push({ step, index: rank, dispatches });
      }
    }
    const seconds = this.plan.steps.map(() =>
      Array.from({ length: this.plan.ranks }, () => Number.NaN),
    );
    await this.timeUnits('kernels per rank', units, seconds, timer);
    return seconds;
  }

  /**
   * Every kernel op timed alone, one timed pass each: seconds[step][i] for the step's i-th
   * kernel op (the order of plan.steps[step].kernels). Where one rank runs several kernels in a
   * step (a layer's weight and input gradients), this gives each its own time, not an even
   * share of theirs. Run it after `run`, as timeKernels.
   */
  async timeEachKernel(timer?: GpuTimer): Promise<number[][]> {
    const units: KernelUnit[] = [];
    for (const [step, list] of this.kernels.entries()) {
      list.forEach((d, index) => {
        units.push({ step, index, dispatches: [d] });
      });
    }
    const seconds = this.kernels.map((list) => list.map(() => Number.NaN));
    await this.timeUnits('each kernel', units, seconds, timer);
    return seconds;
  }

  /** One timed compute pass per unit; its seconds go to seconds[unit.step][unit.index]. */
  private async timeUnits(
    label: string,
    units: readonly KernelUnit[],
    seconds: number[][],
    timer?: GpuTimer,
  ): Promise<void> {
    if (units.length === 0) return;
    const own = timer ?? new GpuTimer(this.ctx);
    try {
      const times = await withErrorScopes(this.ctx.device, `time ${label}`, () =>
        own.run(label, units.length, (encoder, w, k) => {
          const pass = encoder.beginComputePass(w.both ? { timestampWrites: w.both } : {});
          for (const d of (units[k] as KernelUnit).dispatches) {
            pass.setPipeline(d.pipeline);
            pass.setBindGroup(0, d.bindGroup);
            pass.dispatchWorkgroups(...d.workgroups);
          }
          pass.end();
        }),
      );
      units.forEach((u, k) => {
        (seconds[u.step] as number[])[u.index] = times[k] ?? Number.NaN;
      });
    } finally {
      if (!timer) own.destroy();
    }
  }

  private arena(i: number): GPUBuffer {
    const a = this.arenas[i];
    if (!a) throw new Error('GpuExecutor.prepare() has not run');
    return a;
  }

  destroy(): void {
    for (const a of this.arenas) a.destroy();
    this.table?.destroy();
    this.kernelUniforms?.destroy();
  }
}
