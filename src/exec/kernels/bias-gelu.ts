// y = GeLU(x + bias[col]) on the GPU on buffers of its own (the bias + GeLU kernel of
// src/kernels/bias-gelu.ts, with its CPU oracle and tolerance), or one half of it by mode.
import { createBuffer, readBuffer } from '../../gpu/buffers.ts';
import type { GpuContext } from '../../gpu/device.ts';
import { LimitError, withErrorScopes } from '../../gpu/errors.ts';
import type { PipelineCache } from '../../gpu/pipelines.ts';
import type { ShaderLibrary } from '../../gpu/shader-library.ts';
import {
  type BiasGeluMode,
  biasGeluGrid,
  biasGeluProgram,
  biasGeluWidth,
  checkBiasGeluShape,
  modeHasBias,
} from '../../kernels/bias-gelu.ts';
import { kernelProgram } from './dispatch.ts';

/** y = GeLU(x + bias[col]) (x: m x n row-major f32, bias: n), or one half by `mode`. */
export async function biasGelu(
  ctx: GpuContext,
  shaders: ShaderLibrary,
  cache: PipelineCache,
  x: Float32Array<ArrayBuffer>,
  bias: Float32Array<ArrayBuffer> | null,
  m: number,
  n: number,
  mode: BiasGeluMode = 'bias-gelu',
): Promise<Float32Array> {
  checkBiasGeluShape(x, bias, m, n, mode);
  if (m * n >= 2 ** 32) throw new RangeError(`bias-gelu ${m}x${n} has 2^32 elements or more`);
  const bytes = 4 * m * n;
  const binding = ctx.limits.maxStorageBufferBindingSize;
  if (bytes > binding) {
    throw new LimitError(
      `bias-gelu ${m}x${n} matrix`,
      bytes,
      'maxStorageBufferBindingSize',
      binding,
    );
  }
  const width = biasGeluWidth(n);
  const lanes = (m * n) / width;
  const maxPerDim = ctx.limits.maxComputeWorkgroupsPerDimension;
  const [gx, gy] = biasGeluGrid(lanes, maxPerDim);
  if (gy > maxPerDim) {
    throw new RangeError(`bias-gelu ${m}x${n} needs more than ${maxPerDim}^2 workgroups`);
  }

  const program = await kernelProgram(shaders, cache, biasGeluProgram(mode, width, 'buffers'));

  const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const made: GPUBuffer[] = [];
  const make = async (label: string, size: number, usage: GPUBufferUsageFlags) => {
    const buffer = await createBuffer(ctx, { label: `bias-gelu ${label}`, size, usage });
    made.push(buffer);
    return buffer;
  };
  try {
    const xBuf = await make(`x (${m}x${n})`, bytes, storage);
    // GeLU only never reads the bias; bind one vec4 of zeros (the minimum binding size).
    const biasBuf = await make(`bias (${n})`, bias && modeHasBias(mode) ? 4 * n : 16, storage);
    const yBuf = await make(`y (${m}x${n})`, bytes, storage);
    const dims = await make('dims', 16, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    const { device } = ctx;
    device.queue.writeBuffer(xBuf, 0, x);
    if (bias && modeHasBias(mode)) device.queue.writeBuffer(biasBuf, 0, bias);
    device.queue.writeBuffer(dims, 0, new Uint32Array([lanes, n / width, 0, 0]));
    await withErrorScopes(device, `bias-gelu ${mode} ${m}x${n}`, () => {
      const bindGroup = device.createBindGroup({
        label: 'bias-gelu',
        layout: program.bindGroupLayouts[0] as GPUBindGroupLayout,
        entries: [xBuf, biasBuf, yBuf, dims].map((buffer, b) => ({
          binding: b,
          resource: { buffer },
        })),
      });
      const encoder = device.createCommandEncoder({ label: 'bias-gelu' });
      const pass = encoder.beginComputePass({ label: `bias-gelu ${mode}` });
      pass.setPipeline(program.pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(gx, gy);
      pass.end();
      device.queue.submit([encoder.finish()]);
    });
    return new Float32Array(await readBuffer(ctx, yBuf, 0, bytes));
  } finally {
    for (const buffer of made) buffer.destroy();
  }
}
