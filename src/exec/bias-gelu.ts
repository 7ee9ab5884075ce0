// y = GeLU(x + bias[col]) on the GPU (shaders/bias-gelu.wgsl), fused in one pass: one read and
// one write of the activations instead of two of each for separate bias and GeLU kernels, the
// whole point on a memory-bound element-wise op. Pipeline constants switch either half off
// (bias only, GeLU only). vec4 lanes when N % 4 == 0, scalar lanes otherwise; the grid is 2-D
// so any M x N fits the per-dimension workgroup limit. The CPU oracle and the tolerance are in
// cpu-bias-gelu.ts.
import { createBuffer, readBuffer } from '../gpu/buffers.ts';
import type { GpuContext } from '../gpu/device.ts';
import { LimitError, withErrorScopes } from '../gpu/errors.ts';
import type { PipelineCache } from '../gpu/pipelines.ts';
import { compose, type ShaderLibrary, specialize } from '../gpu/shader-library.ts';
import {
  type BiasGeluMode,
  checkBiasGeluShape,
  modeHasBias,
  modeHasGelu,
} from './cpu-bias-gelu.ts';

export const BIAS_GELU_WG = 64;

/** Lanes per invocation: 4 (vec4f) when every row is whole vec4s, else 1. */
export function biasGeluWidth(n: number): 1 | 4 {
  return n % 4 === 0 ? 4 : 1;
}

/** Workgroups (x, y) for `lanes` invocations of BIAS_GELU_WG, x capped at `maxPerDim`. */
export function biasGeluGrid(lanes: number, maxPerDim: number): [number, number] {
  const groups = Math.ceil(lanes / BIAS_GELU_WG);
  const x = Math.max(1, Math.min(groups, maxPerDim));
  return [x, Math.ceil(groups / x)];
}

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

  const source = specialize(compose(shaders, ['bias-gelu-bindings', 'bias-gelu']), {
    Lane: width === 4 ? 'vec4f' : 'f32',
  });
  const program = await cache.compute(`bias-gelu ${mode} x${width}`, source, {
    WG: BIAS_GELU_WG,
    HAS_BIAS: modeHasBias(mode) ? 1 : 0,
    HAS_GELU: modeHasGelu(mode) ? 1 : 0,
  });

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
