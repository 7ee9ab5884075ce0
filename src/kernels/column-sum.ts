// Column sums of an m x n matrix (shaders/column-sum.wgsl): a bias's gradient, db_j = sum_i dz_ij.
// The shader adds a column's rows in order 0..m-1 in f32, and so does the oracle: bit for bit
// (the tolerance allows only a GPU that flushes subnormal results to 0).
import { type Kernel, type KernelCall, laneGrid, operandValue, uniformWords } from './kernel.ts';

const fr = Math.fround;
const WG = 64;

/** s_j = sum_i x_ij in f32, rows in order. */
export function columnSumCpu(x: ArrayLike<number>, m: number, n: number): Float32Array {
  if (x.length !== m * n) throw new RangeError(`column-sum: ${x.length} values are not ${m}x${n}`);
  const s = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    let acc = 0;
    for (let i = 0; i < m; i++) acc = fr(acc + (x[i * n + j] as number));
    s[j] = acc;
  }
  return s;
}

export type ColumnSumParams = { readonly m: number; readonly n: number };

export const columnSumKernel = {
  name: 'column-sum',
  title: 's = column sums of x',
  params: ['m', 'n'],
  operands: ({ m, n }) => [
    { name: 'x', count: m * n, access: 'read' },
    { name: 's', count: n, access: 'write' },
  ],
  oracle: ({ m, n }, v) => ({ s: columnSumCpu(operandValue(v, 'x'), m, n) }),
  tolerance: ({ n }) => ({ s: new Float64Array(n).fill(2 ** -126) }),
  flops: (_p: ColumnSumParams) => 0,
  bytes: ({ m, n }) => 4 * (m * n + n),
  arena: ({ m, n }, at, limits) => ({
    program: {
      label: 'column-sum (arena)',
      shaders: ['column-sum-arena', 'column-sum'],
      aliases: {},
      constants: { WG },
    },
    uniform: uniformWords([m, n, 0, 0, at('x'), at('s'), 0, 0]),
    workgroups: laneGrid(n, WG, limits.maxComputeWorkgroupsPerDimension),
  }),
} satisfies Kernel<ColumnSumParams>;

/** s = the column sums of x (m x n) on `rank`. */
export function columnSumOp<Place>(
  rank: number,
  operands: { readonly x: Place; readonly s: Place },
  params: ColumnSumParams,
): KernelCall<Place, ColumnSumParams> {
  return { kind: 'kernel', kernel: 'column-sum', rank, operands, params };
}
