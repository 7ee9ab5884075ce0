// The GPU side of an element-wise step (dst = dst op src, or a copy) over any element count and
// offsets: vec4 lanes where offsets and count allow, scalar lanes for the rest, and windows of
// at most maxStorageBufferBindingSize bytes over buffers larger than one binding may cover.

import type { GpuContext } from '../gpu/device.ts';
import { LimitError, withErrorScopes } from '../gpu/errors.ts';
import { PipelineCache } from '../gpu/pipelines.ts';
import { compose, type ShaderLibrary, specialize } from '../gpu/shader-library.ts';
import { DTYPE_INFO, type Dtype, type ElementwiseOp, type RedOp } from '../plans/dtype.ts';

export interface ElementwiseArgs {
  readonly op: ElementwiseOp;
  readonly dtype: Dtype;
  readonly src: GPUBuffer;
  readonly dst: GPUBuffer;
  /** Elements to process. */
  readonly count: number;
  /** Offsets in elements from the start of each buffer. */
  readonly srcOffset?: number;
  readonly dstOffset?: number;
}

export interface KernelConfig {
  readonly workgroupSize: number;
  readonly lanesPerInvocation: number;
  /** Use vec4 lanes where both offsets are multiples of 4 elements. */
  readonly vectorize: boolean;
}

export const DEFAULT_KERNEL_CONFIG: KernelConfig = {
  workgroupSize: 64,
  lanesPerInvocation: 8,
  vectorize: true,
};

/** One dispatch, ready to be encoded into any number of passes. */
export interface RecordedDispatch {
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly workgroups: readonly [number, number];
  readonly params: GPUBuffer;
}

/** combine.wgsl's REDOP codes. */
export const REDOP_CODE: Readonly<Record<RedOp, number>> = { sum: 1, prod: 2, max: 3, min: 4 };

function checkIndex(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} ${value} is not a non-negative integer`);
  }
}

export class ElementwiseKernels {
  readonly cache: PipelineCache;

  constructor(
    private readonly ctx: GpuContext,
    private readonly shaders: ShaderLibrary,
    readonly config: KernelConfig = DEFAULT_KERNEL_CONFIG,
    cache?: PipelineCache,
  ) {
    this.cache = cache ?? new PipelineCache(ctx);
  }

  /** Validates `args` and prepares the dispatches that carry them out (none for count 0). */
  async record(args: ElementwiseArgs): Promise<RecordedDispatch[]> {
    const { count, src, dst } = args;
    const srcOffset = args.srcOffset ?? 0;
    const dstOffset = args.dstOffset ?? 0;
    const bytes = DTYPE_INFO[args.dtype].bytes;
    checkIndex('count', count);
    checkIndex('srcOffset', srcOffset);
    checkIndex('dstOffset', dstOffset);
    if (src === dst) throw new RangeError(`src and dst are the same buffer '${src.label}'`);
    for (const [name, buffer, offset] of [
      ['src', src, srcOffset],
      ['dst', dst, dstOffset],
    ] as const) {
      const end = (offset + count) * bytes;
      if (end > buffer.size) {
        throw new RangeError(
          `${name} range ends at ${end} B (offset ${offset} + count ${count} elements of ${bytes} B), ` +
            `beyond buffer '${buffer.label}' of ${buffer.size} B`,
        );
      }
    }
    const { maxStorageBufferBindingSize: maxBind, minStorageBufferOffsetAlignment: align } =
      this.ctx.limits;
    // A window starts up to `align` bytes before its piece, so a piece may fill the rest.
    const pieceElems = Math.floor((maxBind - align) / bytes / 4) * 4;
    if (pieceElems <= 0) {
      throw new LimitError('one storage binding', maxBind, 'maxStorageBufferBindingSize', align);
    }
    const out: RecordedDispatch[] = [];
    for (let done = 0; done < count; done += pieceElems) {
      const len = Math.min(pieceElems, count - done);
      const s = srcOffset + done;
      const d = dstOffset + done;
      const vec = this.config.vectorize && s % 4 === 0 && d % 4 === 0 ? len - (len % 4) : 0;
      if (vec > 0) out.push(await this.dispatch(args, s, d, vec, 4));
      if (len > vec) out.push(await this.dispatch(args, s + vec, d + vec, len - vec, 1));
    }
    return out;
  }

  private async dispatch(
    args: ElementwiseArgs,
    srcStart: number,
    dstStart: number,
    elems: number,
    width: 1 | 4,
  ): Promise<RecordedDispatch> {
    const { device, limits } = this.ctx;
    const info = DTYPE_INFO[args.dtype];
    const laneBytes = info.bytes * width;
    const lanes = elems / width;
    const lane = width === 4 ? `vec4<${info.wgsl}>` : info.wgsl;
    const { workgroupSize, lanesPerInvocation } = this.config;
    const program = await this.cache.compute(
      `elementwise ${args.op} ${lane}`,
      specialize(compose(this.shaders, ['combine', 'elementwise']), { Lane: lane }),
      {
        COPY: args.op === 'copy' ? 1 : 0,
        REDOP: REDOP_CODE[args.op === 'copy' ? 'sum' : args.op],
        WORKGROUP_SIZE: workgroupSize,
        LANES_PER_INVOCATION: lanesPerInvocation,
      },
    );
    const window = (startElem: number) => {
      const start = startElem * info.bytes;
      const offset = start - (start % limits.minStorageBufferOffsetAlignment);
      return {
        offset,
        size: start + elems * info.bytes - offset,
        lanes: (start - offset) / laneBytes,
      };
    };
    const srcWin = window(srcStart);
    const dstWin = window(dstStart);
    const groups = Math.ceil(lanes / (workgroupSize * lanesPerInvocation));
    const x = Math.min(groups, limits.maxComputeWorkgroupsPerDimension);
    const y = Math.ceil(groups / x);
    const params = await withErrorScopes(device, 'createBuffer elementwise params (16 B)', () => {
      const buffer = device.createBuffer({
        label: 'elementwise params',
        size: 16,
        usage: GPUBufferUsage.UNIFORM,
        mappedAtCreation: true,
      });
      new Uint32Array(buffer.getMappedRange()).set([lanes, srcWin.lanes, dstWin.lanes, 0]);
      buffer.unmap();
      return buffer;
    });
    const layout = program.bindGroupLayouts[0] as GPUBindGroupLayout;
    const bindGroup = await withErrorScopes(
      device,
      `createBindGroup ${program.label} (src ${srcWin.offset}+${srcWin.size} B, dst ${dstWin.offset}+${dstWin.size} B)`,
      () =>
        device.createBindGroup({
          layout,
          entries: [
            {
              binding: 0,
              resource: { buffer: args.src, offset: srcWin.offset, size: srcWin.size },
            },
            {
              binding: 1,
              resource: { buffer: args.dst, offset: dstWin.offset, size: dstWin.size },
            },
            { binding: 2, resource: { buffer: params } },
          ],
        }),
    );
    return { pipeline: program.pipeline, bindGroup, workgroups: [x, y], params };
  }
}

export function encodeDispatches(
  pass: GPUComputePassEncoder,
  dispatches: readonly RecordedDispatch[],
): void {
  for (const d of dispatches) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1]);
  }
}

export function releaseDispatches(dispatches: readonly RecordedDispatch[]): void {
  for (const d of dispatches) d.params.destroy();
}

/** Records, runs and waits for one element-wise step, every GPU call inside error scopes. */
export async function runElementwise(
  ctx: GpuContext,
  kernels: ElementwiseKernels,
  args: ElementwiseArgs,
): Promise<void> {
  const dispatches = await kernels.record(args);
  try {
    await withErrorScopes(
      ctx.device,
      `elementwise ${args.op} of ${args.count} ${args.dtype}`,
      () => {
        const encoder = ctx.device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        encodeDispatches(pass, dispatches);
        pass.end();
        ctx.device.queue.submit([encoder.finish()]);
      },
    );
    await ctx.device.queue.onSubmittedWorkDone();
  } finally {
    releaseDispatches(dispatches);
  }
}
