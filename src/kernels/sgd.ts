// Plain SGD (shaders/sgd.wgsl): w_out = w - lr g, element-wise, the learning rate a one-element
// operand (data a schedule may change without a new pipeline). The oracle rounds the product and
// the difference to f32; a GPU may fuse them into an fma, which skips the product's rounding
// (at most u |lr g|) and so may round the difference the other way (u |w_out| more):
//     |gpu - cpu| <= 2 u (|lr g| + |w_out|) + 2^-126.
import { type Kernel, type KernelCall, laneGrid, operandValue, uniformWords } from './kernel.ts';
import { F32_UNIT_ROUNDOFF } from './matmul.ts';

const fr = Math.fround;
const WG = 64;

export type SgdParams = { readonly count: number };

/** w - lr g in f32. */
export function sgdCpu(w: ArrayLike<number>, g: ArrayLike<number>, lr: number, count: number) {
  if (w.length !== count || g.length !== count) {
    throw new RangeError(`sgd: w has ${w.length}, g ${g.length} values, not ${count}`);
  }
  const out = new Float32Array(count);
  const l = fr(lr);
  for (let i = 0; i < count; i++) out[i] = fr((w[i] as number) - fr(l * (g[i] as number)));
  return out;
}

export const sgdKernel = {
  name: 'sgd',
  title: 'w = w - lr g',
  params: ['count'],
  operands: ({ count }) => [
    { name: 'w', count, access: 'read' },
    { name: 'g', count, access: 'read' },
    { name: 'lr', count: 1, access: 'read' },
    { name: 'w_out', count, access: 'write', inPlaceOf: 'w' },
  ],
  oracle: ({ count }, x) => ({
    w_out: sgdCpu(operandValue(x, 'w'), operandValue(x, 'g'), operandValue(x, 'lr')[0] ?? 0, count),
  }),
  tolerance: ({ count }, x) => {
    const g = operandValue(x, 'g');
    const lr = fr(operandValue(x, 'lr')[0] ?? 0);
    const out = sgdCpu(operandValue(x, 'w'), g, lr, count);
    const tol = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const step = Math.abs(lr * (g[i] as number));
      tol[i] = 2 * F32_UNIT_ROUNDOFF * (step + Math.abs(out[i] as number)) + 2 ** -126;
    }
    return { w_out: tol };
  },
  flops: (_p: SgdParams) => 0,
  bytes: ({ count }) => 4 * (3 * count + 1),
  arena: ({ count }, at, limits) => ({
    program: {
      label: 'sgd (arena)',
      shaders: ['sgd-arena', 'sgd'],
      aliases: {},
      constants: { WG },
    },
    uniform: uniformWords([count, 0, 0, 0, at('w'), at('g'), at('lr'), at('w_out')]),
    workgroups: laneGrid(count, WG, limits.maxComputeWorkgroupsPerDimension),
  }),
} satisfies Kernel<SgdParams>;

/** w_out = w - lr g on `rank` (w_out may be w; lr one element). */
export function sgdOp<Place>(
  rank: number,
  operands: { readonly w: Place; readonly g: Place; readonly lr: Place; readonly w_out: Place },
  params: SgdParams,
): KernelCall<Place, SgdParams> {
  return { kind: 'kernel', kernel: 'sgd', rank, operands, params };
}
