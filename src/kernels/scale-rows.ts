// Rows scaled (shaders/scale-rows.wgsl): y[i][j] = s[i] x[i][j] for an m x n row-major x and m
// scales s. A MoE layer weights each expert output row by its token's gate. One f32
// multiplication on both sides: GPU and CPU agree bit for bit (the tolerance allows only a GPU
// that flushes subnormal results to 0).
import { type Kernel, type KernelCall, laneGrid, operandValue, uniformWords } from './kernel.ts';

const fr = Math.fround;
const WG = 64;

export type ScaleRowsParams = { readonly m: number; readonly n: number };

export const scaleRowsKernel = {
  name: 'scale-rows',
  title: 'y[i][j] = s[i] x[i][j]',
  params: ['m', 'n'],
  operands: ({ m, n }) => [
    { name: 'x', count: m * n, access: 'read' },
    { name: 's', count: m, access: 'read' },
    { name: 'y', count: m * n, access: 'write', inPlaceOf: 'x' },
  ],
  oracle: ({ m, n }, v) => {
    const x = operandValue(v, 'x');
    const s = operandValue(v, 's');
    const y = new Float32Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) y[i * n + j] = fr((s[i] as number) * (x[i * n + j] as number));
    }
    return { y };
  },
  tolerance: ({ m, n }) => ({ y: new Float64Array(m * n).fill(2 ** -126) }),
  flops: (_p: ScaleRowsParams) => 0,
  bytes: ({ m, n }) => 4 * (2 * m * n + m),
  arena: ({ m, n }, at, limits) => ({
    program: {
      label: 'scale-rows (arena)',
      shaders: ['scale-rows-arena', 'scale-rows'],
      aliases: {},
      constants: { WG },
    },
    uniform: uniformWords([m, n, 0, 0, at('x'), at('s'), at('y'), 0]),
    workgroups: laneGrid(m * n, WG, limits.maxComputeWorkgroupsPerDimension),
  }),
} satisfies Kernel<ScaleRowsParams>;

/** y = diag(s) x on `rank` (y may be x). */
export function scaleRowsOp<Place>(
  rank: number,
  operands: { readonly x: Place; readonly s: Place; readonly y: Place },
  params: ScaleRowsParams,
): KernelCall<Place, ScaleRowsParams> {
  return { kind: 'kernel', kernel: 'scale-rows', rank, operands, params };
}
