// The gradient of the mean squared error (shaders/mse-grad.wgsl): dy = (y - target) (2 / total),
// `total` the elements of the whole batch's output, so a rank's gradient over its slice is its
// share of the global loss's and the ranks' gradients sum to the full batch's. The scale is
// rounded to f32 once, here, and handed to the shader in the uniform; the subtraction and the
// multiplication are correctly rounded on both sides, so GPU and CPU agree bit for bit (the
// tolerance allows only a GPU that flushes subnormal results to 0).
import { type Kernel, type KernelCall, laneGrid, operandValue, uniformWords } from './kernel.ts';

const fr = Math.fround;
const WG = 64;

/** The f32 scale 2 / total both sides multiply by. */
export function mseScale(total: number): number {
  return fr(2 / total);
}

/** The loss itself, in f64: (1 / total) sum (y - target)^2 over this slice. */
export function mseLoss(y: ArrayLike<number>, target: ArrayLike<number>, total: number): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += ((y[i] as number) - (target[i] as number)) ** 2;
  return s / total;
}

/** mse-grad's params: elements of this slice, and of the whole batch (total >= count). */
export type MseGradParams = { readonly count: number; readonly total: number };

export const mseGradKernel = {
  name: 'mse-grad',
  title: 'dy = 2 (y - target) / total',
  params: ['count', 'total'],
  check: ({ count, total }) =>
    total < count ? `total ${total} must be at least count ${count}` : undefined,
  operands: ({ count }) => [
    { name: 'y', count, access: 'read' },
    { name: 'target', count, access: 'read' },
    { name: 'dy', count, access: 'write', inPlaceOf: 'y' },
  ],
  oracle: ({ count, total }, x) => {
    const y = operandValue(x, 'y');
    const t = operandValue(x, 'target');
    const scale = mseScale(total);
    const dy = new Float32Array(count);
    for (let i = 0; i < count; i++) dy[i] = fr(fr((y[i] as number) - (t[i] as number)) * scale);
    return { dy };
  },
  tolerance: ({ count }) => ({ dy: new Float64Array(count).fill(2 ** -126) }),
  flops: (_p: MseGradParams) => 0,
  bytes: ({ count }) => 4 * 3 * count,
  arena: ({ count, total }, at, limits) => ({
    program: {
      label: 'mse-grad (arena)',
      shaders: ['mse-grad-arena', 'mse-grad'],
      aliases: {},
      constants: { WG },
    },
    // mse-grad-arena.wgsl's Dims: count, the f32 scale (word 1), then element offsets.
    uniform: uniformWords([count, 0, 0, 0, at('y'), at('target'), at('dy'), 0], {
      1: mseScale(total),
    }),
    workgroups: laneGrid(count, WG, limits.maxComputeWorkgroupsPerDimension),
  }),
} satisfies Kernel<MseGradParams>;

/** dy = 2 (y - target) / total on `rank` (dy may be y). */
export function mseGradOp<Place>(
  rank: number,
  operands: { readonly y: Place; readonly target: Place; readonly dy: Place },
  params: MseGradParams,
): KernelCall<Place, MseGradParams> {
  return { kind: 'kernel', kernel: 'mse-grad', rank, operands, params };
}
