// C = A x B on the GPU on buffers of its own (the matmul kernel of src/kernels/matmul.ts, naive
// or tiled) and the FMA peak kernel (shaders/fma-peak.wgsl). A MatmulRecorder creates its
// buffers and bind group once and encodes the dispatch as often as a benchmark wants; matmul()
// is the one-shot form.
import { createBuffer, readBuffer } from '../../gpu/buffers.ts';
import type { GpuContext } from '../../gpu/device.ts';
import { LimitError, withErrorScopes } from '../../gpu/errors.ts';
import type { ComputeProgram, PipelineCache } from '../../gpu/pipelines.ts';
import type { ShaderLibrary } from '../../gpu/shader-library.ts';
import type { GpuTimer } from '../../gpu/timer.ts';
import {
  checkMatmulDims,
  type MatmulKernel,
  type MatmulShape,
  matmulBlock,
  matmulGrid,
  matmulProgram,
} from '../../kernels/matmul.ts';
import { median } from '../measure/median.ts';
import { kernelProgram } from './dispatch.ts';

function checkShape(ctx: GpuContext, { m, k, n }: MatmulShape, kernel: MatmulKernel): void {
  checkMatmulDims(m, k, n);
  // Indices are u32 in the shaders.
  if (Math.max(m * k, k * n, m * n) >= 2 ** 32) {
    throw new RangeError(`matmul ${m}x${k}x${n} has a matrix of 2^32 elements or more`);
  }
  const largest = 4 * Math.max(m * k, k * n, m * n);
  const binding = ctx.limits.maxStorageBufferBindingSize;
  if (largest > binding) {
    throw new LimitError(
      `matmul ${m}x${k}x${n} matrix`,
      largest,
      'maxStorageBufferBindingSize',
      binding,
    );
  }
  const block = matmulBlock(kernel);
  const maxGroups = ctx.limits.maxComputeWorkgroupsPerDimension;
  if (Math.ceil(m / block.rows) > maxGroups || Math.ceil(n / block.cols) > maxGroups) {
    throw new RangeError(
      `matmul ${m}x${k}x${n} needs more than ${maxGroups} workgroups in one dimension`,
    );
  }
}

export class MatmulRecorder {
  private constructor(
    private readonly ctx: GpuContext,
    readonly kernel: MatmulKernel,
    readonly shape: MatmulShape,
    private readonly program: ComputeProgram,
    private readonly buffers: { a: GPUBuffer; b: GPUBuffer; c: GPUBuffer; dims: GPUBuffer },
    private readonly bindGroup: GPUBindGroup,
  ) {}

  static async create(
    ctx: GpuContext,
    shaders: ShaderLibrary,
    cache: PipelineCache,
    shape: MatmulShape,
    kernel: MatmulKernel,
  ): Promise<MatmulRecorder> {
    checkShape(ctx, shape, kernel);
    const { m, k, n } = shape;
    const program = await kernelProgram(shaders, cache, matmulProgram(kernel, 'buffers'));
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
    const made: GPUBuffer[] = [];
    const make = async (label: string, size: number, usage: GPUBufferUsageFlags) => {
      const buffer = await createBuffer(ctx, { label: `matmul ${label}`, size, usage });
      made.push(buffer);
      return buffer;
    };
    try {
      const a = await make(`A (${m}x${k})`, 4 * m * k, storage);
      const b = await make(`B (${k}x${n})`, 4 * k * n, storage);
      const c = await make(`C (${m}x${n})`, 4 * m * n, storage);
      const dims = await make('dims', 16, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
      ctx.device.queue.writeBuffer(dims, 0, new Uint32Array([m, k, n, 0]));
      const bindGroup = await withErrorScopes(ctx.device, `bind group of matmul-${kernel}`, () =>
        ctx.device.createBindGroup({
          label: `matmul-${kernel}`,
          layout: program.bindGroupLayouts[0] as GPUBindGroupLayout,
          entries: [a, b, c, dims].map((buffer, binding) => ({ binding, resource: { buffer } })),
        }),
      );
      return new MatmulRecorder(ctx, kernel, shape, program, { a, b, c, dims }, bindGroup);
    } catch (e) {
      for (const buffer of made) buffer.destroy();
      throw e;
    }
  }

  upload(a: Float32Array<ArrayBuffer>, b: Float32Array<ArrayBuffer>): void {
    const { m, k, n } = this.shape;
    if (a.length !== m * k) throw new RangeError(`matmul A has ${a.length} values, not ${m}x${k}`);
    if (b.length !== k * n) throw new RangeError(`matmul B has ${b.length} values, not ${k}x${n}`);
    this.ctx.device.queue.writeBuffer(this.buffers.a, 0, a);
    this.ctx.device.queue.writeBuffer(this.buffers.b, 0, b);
  }

  /** One compute pass holding the dispatch; `timestampWrites` brackets it when given. */
  encode(encoder: GPUCommandEncoder, timestampWrites?: GPUComputePassTimestampWrites): void {
    const pass = encoder.beginComputePass({
      label: `matmul-${this.kernel}`,
      ...(timestampWrites ? { timestampWrites } : {}),
    });
    pass.setPipeline(this.program.pipeline);
    pass.setBindGroup(0, this.bindGroup);
    pass.dispatchWorkgroups(...matmulGrid(this.kernel, this.shape));
    pass.end();
  }

  /** Encodes and submits one dispatch inside error scopes. */
  async run(): Promise<void> {
    const { device } = this.ctx;
    await withErrorScopes(device, `matmul-${this.kernel} ${this.describe()}`, () => {
      const encoder = device.createCommandEncoder({ label: `matmul-${this.kernel}` });
      this.encode(encoder);
      device.queue.submit([encoder.finish()]);
    });
  }

  async download(): Promise<Float32Array> {
    const { m, n } = this.shape;
    return new Float32Array(await readBuffer(this.ctx, this.buffers.c, 0, 4 * m * n));
  }

  /** GPU seconds of each of `reps` dispatches (one timed pass each). */
  time(timer: GpuTimer, reps: number): Promise<number[]> {
    return timer.run(`matmul-${this.kernel} ${this.describe()}`, reps, (encoder, w) =>
      this.encode(encoder, w.both),
    );
  }

  describe(): string {
    return `${this.shape.m}x${this.shape.k}x${this.shape.n}`;
  }

  destroy(): void {
    for (const buffer of Object.values(this.buffers)) buffer.destroy();
  }
}

/** C = A x B (A: m x k, B: k x n, row-major f32) with `kernel`, run inside error scopes. */
export async function matmul(
  ctx: GpuContext,
  shaders: ShaderLibrary,
  cache: PipelineCache,
  a: Float32Array<ArrayBuffer>,
  b: Float32Array<ArrayBuffer>,
  m: number,
  k: number,
  n: number,
  kernel: MatmulKernel,
): Promise<Float32Array> {
  const recorder = await MatmulRecorder.create(ctx, shaders, cache, { m, k, n }, kernel);
  try {
    recorder.upload(a, b);
    await recorder.run();
    return await recorder.download();
  } finally {
    recorder.destroy();
  }
}

/** The FMA peak kernel's configuration: invocations x ITERS x 64 flops a dispatch. */
export const FMA_PEAK_CONFIG = { WG: 64, ITERS: 256, workgroups: 256 } as const;

export interface FmaPeak {
  readonly flops: number;
  readonly reps: number;
  readonly median_s: number;
  readonly flops_per_s: number;
}

/**
 * The adapter's measured FMA throughput: the median GPU time of the register-only kernel
 * (shaders/fma-peak.wgsl), counting 2 flops per fma lane.
 */
export async function measureFmaPeak(
  ctx: GpuContext,
  shaders: ShaderLibrary,
  cache: PipelineCache,
  timer: GpuTimer,
  reps = 7,
): Promise<FmaPeak> {
  const { WG, ITERS, workgroups } = FMA_PEAK_CONFIG;
  const program = await cache.compute('fma-peak', shaders('fma-peak'), { WG, ITERS });
  const invocations = WG * workgroups;
  const out = await createBuffer(ctx, {
    label: 'fma-peak out',
    size: 16 * invocations,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
  });
  const params = await createBuffer(ctx, {
    label: 'fma-peak params',
    size: 32,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  try {
    ctx.device.queue.writeBuffer(
      params,
      0,
      new Float32Array([0.999, 0.9999, 0.99999, 0.999999, 1e-3, 2e-3, 3e-3, 4e-3]),
    );
    const bindGroup = ctx.device.createBindGroup({
      label: 'fma-peak',
      layout: program.bindGroupLayouts[0] as GPUBindGroupLayout,
      entries: [
        { binding: 0, resource: { buffer: out } },
        { binding: 1, resource: { buffer: params } },
      ],
    });
    const seconds = await timer.run('fma-peak', reps + 1, (encoder, w) => {
      const pass = encoder.beginComputePass({
        label: 'fma-peak',
        ...(w.both ? { timestampWrites: w.both } : {}),
      });
      pass.setPipeline(program.pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(workgroups);
      pass.end();
    });
    const flops = invocations * ITERS * 8 * 4 * 2;
    // The first dispatch is a warm-up.
    const median_s = median(seconds.slice(1));
    return { flops, reps, median_s, flops_per_s: flops / median_s };
  } finally {
    out.destroy();
    params.destroy();
  }
}
