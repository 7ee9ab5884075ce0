import { describe, expect, it } from 'vitest';
import { createBuffer } from '../../src/gpu/buffers.ts';
import {
  GpuOperationError,
  LimitError,
  ShaderCompileError,
  withErrorScopes,
} from '../../src/gpu/errors.ts';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { testContext } from './context.ts';

describe('clear errors from the GPU layer', async () => {
  const ctx = await testContext();

  it('an invalid shader names the shader, line and column', async () => {
    const cache = new PipelineCache(ctx);
    const bad = '@compute @workgroup_size(1)\nfn main() {\n  let x: f32 = undefined_thing;\n}\n';
    const error = await cache.compute('broken', bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShaderCompileError);
    expect((error as Error).message).toMatch(
      /shader 'broken' does not compile:\n {2}broken:3:\d+: .*undefined_thing/,
    );
    // A failed build is not cached: asking again reports the error again.
    await expect(cache.compute('broken', bad)).rejects.toThrow(ShaderCompileError);
    expect(cache.size).toBe(0);
  });

  it('an oversize buffer names its size and the limit before the GPU sees it', async () => {
    const size = ctx.limits.maxBufferSize + 4;
    const error = await createBuffer(ctx, {
      label: 'huge',
      size,
      usage: GPUBufferUsage.STORAGE,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LimitError);
    expect((error as Error).message).toBe(
      `buffer 'huge' is ${size} B, beyond this device's maxBufferSize of ${ctx.limits.maxBufferSize} B`,
    );
  });

  it('a validation error becomes a thrown error naming the operation', async () => {
    const error = await withErrorScopes(ctx.device, 'createBuffer mapped storage (64 B)', () =>
      // MAP_READ may only pair with COPY_DST: a validation error.
      ctx.device.createBuffer({
        size: 64,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE,
      }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GpuOperationError);
    expect((error as GpuOperationError).kind).toBe('validation');
    expect((error as Error).message).toMatch(
      /^createBuffer mapped storage \(64 B\) failed with a GPU validation error: /,
    );
  });
});
