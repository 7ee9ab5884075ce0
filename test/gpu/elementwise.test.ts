import { describe, expect, it } from 'vitest';
import { applyElementwise } from '../../src/exec/cpu-elementwise.ts';
import { ElementwiseKernels, runElementwise } from '../../src/exec/elementwise.ts';
import { fill } from '../../src/exec/random-fill.ts';
import { createStorageBuffer, readBuffer } from '../../src/gpu/buffers.ts';
import { nodeShaders } from '../../src/gpu/shaders-node.ts';
import { DTYPES, type ElementwiseOp, REDOPS } from '../../src/plans/dtype.ts';
import { testContext } from './context.ts';

const LENGTHS = [0, 1, 3, 4, 255, 256, 257, 1_000_003];
const OPS: ElementwiseOp[] = ['copy', ...REDOPS];

describe('elementwise kernels match the CPU bit for bit', async () => {
  const ctx = await testContext();
  const kernels = new ElementwiseKernels(ctx, nodeShaders);
  for (const dtype of DTYPES) {
    for (const op of OPS) {
      it.each(LENGTHS)(`${op} ${dtype} n=%i`, async (n) => {
        const src = fill(dtype, n, 17 + n);
        const dst = fill(dtype, n, 91 + n);
        const srcBuf = await createStorageBuffer(ctx, 'src', src);
        const dstBuf = await createStorageBuffer(ctx, 'dst', dst);
        await runElementwise(ctx, kernels, { op, dtype, src: srcBuf, dst: dstBuf, count: n });
        const got = new Uint32Array(await readBuffer(ctx, dstBuf, 0, n * 4));
        applyElementwise(op, dst, src, n);
        expect(got).toEqual(new Uint32Array(dst.buffer));
        srcBuf.destroy();
        dstBuf.destroy();
      });
    }
  }
});

describe('elementwise kernels at offsets and across binding windows', async () => {
  const ctx = await testContext();
  // A device whose bindings cover only 4 KiB: every op below spans several windows, each
  // starting at a 256 B aligned offset before its piece.
  const narrow = { ...ctx, limits: { ...ctx.limits, maxStorageBufferBindingSize: 4096 } };
  const cases = [
    { name: 'aligned offsets (vec4 body, scalar tail)', n: 10_003, srcOffset: 8, dstOffset: 4 },
    { name: 'misaligned offsets (scalar lanes)', n: 10_001, srcOffset: 3, dstOffset: 6 },
    { name: 'offsets past the first window', n: 999, srcOffset: 5_000, dstOffset: 2_049 },
  ];
  for (const { name, n, srcOffset, dstOffset } of cases) {
    for (const context of [ctx, narrow]) {
      const label = context === ctx ? 'device limits' : '4 KiB windows';
      it(`${name}, ${label}`, async () => {
        const kernels = new ElementwiseKernels(context, nodeShaders);
        const src = fill('float', srcOffset + n + 7, 5);
        const dst = fill('float', dstOffset + n + 9, 6);
        const srcBuf = await createStorageBuffer(ctx, 'src', src);
        const dstBuf = await createStorageBuffer(ctx, 'dst', dst);
        await runElementwise(ctx, kernels, {
          op: 'sum',
          dtype: 'float',
          src: srcBuf,
          dst: dstBuf,
          count: n,
          srcOffset,
          dstOffset,
        });
        const got = new Uint32Array(await readBuffer(ctx, dstBuf));
        applyElementwise('sum', dst, src, n, dstOffset, srcOffset);
        // Every element is compared, so a write outside [dstOffset, dstOffset + n) shows too.
        expect(got).toEqual(new Uint32Array(dst.buffer));
        srcBuf.destroy();
        dstBuf.destroy();
      });
    }
  }
});
