// Buffer creation checked against the granted limits before the GPU sees it, and readback.
import type { GpuContext } from './device.ts';
import { LimitError, withErrorScopes } from './errors.ts';

export interface BufferSpec {
  readonly label: string;
  readonly size: number;
  readonly usage: GPUBufferUsageFlags;
}

/** Throws a LimitError naming the buffer, its size and the limit when it cannot exist. */
export function checkBufferSize(ctx: GpuContext, label: string, size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`buffer '${label}' size ${size} B is not a non-negative integer`);
  }
  if (size > ctx.limits.maxBufferSize) {
    throw new LimitError(`buffer '${label}'`, size, 'maxBufferSize', ctx.limits.maxBufferSize);
  }
}

/** createBuffer inside error scopes; sizes are rounded up to 4 B as WebGPU requires. */
export async function createBuffer(ctx: GpuContext, spec: BufferSpec): Promise<GPUBuffer> {
  checkBufferSize(ctx, spec.label, spec.size);
  const size = Math.max(4, Math.ceil(spec.size / 4) * 4);
  return withErrorScopes(ctx.device, `createBuffer '${spec.label}' (${size} B)`, () =>
    ctx.device.createBuffer({ label: spec.label, size, usage: spec.usage }),
  );
}

/** Copies `size` bytes at `offset` of `buffer` back to the CPU. */
export async function readBuffer(
  ctx: GpuContext,
  buffer: GPUBuffer,
  offset = 0,
  size = buffer.size - offset,
): Promise<ArrayBuffer> {
  if (size === 0) return new ArrayBuffer(0);
  const staging = await createBuffer(ctx, {
    label: `readback of '${buffer.label}'`,
    size,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  try {
    await withErrorScopes(ctx.device, `readback of '${buffer.label}' (${size} B)`, () => {
      const encoder = ctx.device.createCommandEncoder();
      encoder.copyBufferToBuffer(buffer, offset, staging, 0, size);
      ctx.device.queue.submit([encoder.finish()]);
    });
    await staging.mapAsync(GPUMapMode.READ);
    return staging.getMappedRange().slice(0);
  } finally {
    staging.destroy();
  }
}
