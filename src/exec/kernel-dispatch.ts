// A plan's kernel ops (matmul, bias + GeLU, attention) as dispatches on the arena that holds the rank's
// buffers: the kernels of src/exec/matmul.ts and bias-gelu.ts, composed with the arena binding
// files (shaders/matmul-arena.wgsl, bias-gelu-arena.wgsl, attention-arena.wgsl) so their
// operands are regions of one storage buffer at offsets given in a uniform. Each kernel op has its own 256 B uniform slot.
import type { GpuContext } from '../gpu/device.ts';
import { withErrorScopes } from '../gpu/errors.ts';
import type { PipelineCache } from '../gpu/pipelines.ts';
import { compose, type ShaderLibrary, specialize } from '../gpu/shader-library.ts';
import type { BiasGeluOp, KernelOp, Region } from '../plans/plan.ts';
import { BIAS_GELU_WG, biasGeluGrid, biasGeluWidth } from './bias-gelu.ts';
import { MATMUL_CONFIG, type MatmulKernel, matmulBlock } from './matmul.ts';
import { ATTENTION_WG } from './paged-attention.ts';

/** Bytes of one kernel's uniform slot (WebGPU's minUniformBufferOffsetAlignment at most). */
export const KERNEL_UNIFORM_BYTES = 256;

export interface KernelDispatch {
  readonly rank: number;
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly workgroups: readonly [number, number, number];
}

/** The uniform words of `op`; `at` gives a region's first element within the arena. */
export function kernelUniform(op: KernelOp, at: (g: Region) => number): Uint32Array<ArrayBuffer> {
  if (op.kernel === 'matmul') {
    return new Uint32Array([op.m, op.k, op.n, 0, at(op.a), at(op.b), at(op.c), 0]);
  }
  if (op.kernel === 'attention') {
    // attention-arena.wgsl's Params: one sequence of `tokens`, MHA (kv heads = heads).
    const words = new Uint32Array(16);
    words.set([op.heads, op.heads, op.headDim, 1, 1, op.tokens]);
    new Float32Array(words.buffer, 24, 1)[0] = 1 / Math.sqrt(op.headDim);
    words.set([at(op.q), at(op.k), at(op.v), at(op.scores), at(op.out)], 8);
    return words;
  }
  const width = laneWidth(op, at);
  return new Uint32Array([
    (op.m * op.n) / width,
    op.n / width,
    0,
    0,
    at(op.x) / width,
    at(op.bias) / width,
    at(op.y) / width,
    0,
  ]);
}

/** vec4 lanes when each row is whole vec4s and every region starts on one. */
function laneWidth(op: BiasGeluOp, at: (g: Region) => number): 1 | 4 {
  const width = biasGeluWidth(op.n);
  return width === 4 && [op.x, op.bias, op.y].every((g) => at(g) % 4 === 0) ? 4 : 1;
}

export async function kernelDispatch(
  ctx: GpuContext,
  shaders: ShaderLibrary,
  cache: PipelineCache,
  op: KernelOp,
  arena: GPUBuffer,
  uniform: { buffer: GPUBuffer; offset: number },
  at: (g: Region) => number,
  matmulKernel: MatmulKernel = 'tiled',
): Promise<KernelDispatch> {
  let program: Awaited<ReturnType<PipelineCache['compute']>>;
  let workgroups: [number, number, number];
  if (op.kernel === 'attention') {
    program = await cache.compute(
      'attention (arena)',
      compose(shaders, ['attention-arena', 'attention']),
      { WG: ATTENTION_WG },
    );
    workgroups = [op.heads, op.tokens, 1];
  } else if (op.kernel === 'matmul') {
    program = await cache.compute(
      `matmul-${matmulKernel} (arena)`,
      compose(shaders, ['matmul-arena', `matmul-${matmulKernel}`]),
      MATMUL_CONFIG[matmulKernel],
    );
    const block = matmulBlock(matmulKernel);
    workgroups = [Math.ceil(op.n / block.cols), Math.ceil(op.m / block.rows), 1];
  } else {
    const width = laneWidth(op, at);
    program = await cache.compute(
      `bias-gelu x${width} (arena)`,
      specialize(compose(shaders, ['bias-gelu-arena', 'bias-gelu']), {
        Lane: width === 4 ? 'vec4f' : 'f32',
      }),
      { WG: BIAS_GELU_WG, HAS_BIAS: 1, HAS_GELU: 1 },
    );
    const [x, y] = biasGeluGrid((op.m * op.n) / width, ctx.limits.maxComputeWorkgroupsPerDimension);
    workgroups = [x, y, 1];
  }
  const bindGroup = await withErrorScopes(
    ctx.device,
    `bind group of ${op.kernel} on rank ${op.rank}`,
    () =>
      ctx.device.createBindGroup({
        label: `${op.kernel} rank ${op.rank}`,
        layout: program.bindGroupLayouts[0] as GPUBindGroupLayout,
        entries: [
          { binding: 0, resource: { buffer: arena } },
          {
            binding: 1,
            resource: { buffer: uniform.buffer, offset: uniform.offset, size: 64 },
          },
        ],
      }),
  );
  return { rank: op.rank, pipeline: program.pipeline, bindGroup, workgroups };
}
