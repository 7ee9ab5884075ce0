import { describe, expect, it } from 'vitest';
import { applyElementwise } from '../../src/exec/cpu-elementwise.ts';
import { ElementwiseKernels, runElementwise } from '../../src/exec/elementwise.ts';
import { createStorageBuffer, readBuffer } from '../../src/gpu/buffers.ts';
import { nodeShaders } from '../../src/gpu/shaders-node.ts';
import {
  DTYPE_INFO,
  DTYPES,
  type Dtype,
  type ElementwiseOp,
  REDOPS,
} from '../../src/plans/dtype.ts';
import { testContext } from './context.ts';

const LENGTHS = [0, 1, 3, 4, 255, 256, 257, 1_000_003];
const OPS: ElementwiseOp[] = ['copy', ...REDOPS];

/** Deterministic values that stay normal and nonzero under every op (no denormals, no ±0). */
function fill(dtype: Dtype, n: number, seed: number) {
  const a = DTYPE_INFO[dtype].create(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    if (dtype === 'float') {
      const sign = x & 1 ? -1 : 1;
      a[i] = sign * (1 + (x >>> 8) / 2 ** 24) * 2 ** (((x >>> 1) & 15) - 8);
    } else {
      a[i] = x | 0;
    }
  }
  return a;
}

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
