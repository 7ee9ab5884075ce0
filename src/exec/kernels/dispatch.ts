// Kernels of the registry (src/kernels/) as GPU dispatches: the one place a kernel's launch
// (shader files, aliases, pipeline constants, uniform words, grid) becomes a pipeline and a bind
// group. A plan's kernel ops run on the arena that holds the rank's buffers (each kernel's arena
// binding files, e.g. shaders/matmul-arena-dims.wgsl with matmul-arena.wgsl, make its operands regions of one storage
// buffer at offsets given in the uniform); each kernel op has its own 256 B uniform slot. The
// decoder and the one-shot runners bind buffers of their own through `kernelProgram`.
import type { GpuContext } from '../../gpu/device.ts';
import { withErrorScopes } from '../../gpu/errors.ts';
import type { ComputeProgram, PipelineCache } from '../../gpu/pipelines.ts';
import { compose, type ShaderLibrary, specialize } from '../../gpu/shader-library.ts';
import type { KernelLaunch, KernelProgram } from '../../kernels/kernel.ts';
import { kernelFor } from '../../kernels/registry.ts';
import type { KernelOp, Region } from '../../plans/plan.ts';

/** Bytes of one kernel's uniform slot (WebGPU's minUniformBufferOffsetAlignment at most). */
export const KERNEL_UNIFORM_BYTES = 256;

export interface KernelDispatch {
  readonly rank: number;
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly workgroups: readonly [number, number, number];
}

/** The compiled program of a kernel's launch (cached by source and constants). */
export function kernelProgram(
  shaders: ShaderLibrary,
  cache: PipelineCache,
  program: KernelProgram,
): Promise<ComputeProgram> {
  const joined = compose(shaders, program.shaders);
  const source = Object.keys(program.aliases).length ? specialize(joined, program.aliases) : joined;
  return cache.compute(program.label, source, program.constants);
}

/** `op`'s launch on its rank's arena; `at` gives a region's first element within the arena. */
export function kernelLaunch(
  ctx: GpuContext,
  op: KernelOp,
  at: (g: Region) => number,
): KernelLaunch {
  const kernel = kernelFor(op.kernel);
  if (!kernel.arena) throw new RangeError(`kernel ${op.kernel} does not run inside a plan`);
  return kernel.arena(op.params, (name) => at(op.operands[name] as Region), ctx.limits);
}

/** `op`'s dispatch of `launch` (kernelLaunch) on `arena`, its uniform words at `uniform`. */
export async function kernelDispatch(
  ctx: GpuContext,
  shaders: ShaderLibrary,
  cache: PipelineCache,
  op: KernelOp,
  launch: KernelLaunch,
  arena: GPUBuffer,
  uniform: { buffer: GPUBuffer; offset: number },
): Promise<KernelDispatch> {
  const program = await kernelProgram(shaders, cache, launch.program);
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
  return { rank: op.rank, pipeline: program.pipeline, bindGroup, workgroups: launch.workgroups };
}
