// The transposed matmuls of a backward pass, as registry kernels that run inside a plan:
//   matmul-tn   C (m x n) = A^T B, A stored k x m   (a weight gradient: dW = X^T dY)
//   matmul-nt   C (m x n) = A B^T, B stored n x k   (an input gradient: dX = dY W^T)
// Both are the tiled matmul (shaders/matmul-tiled.wgsl) behind an arena accessor that reads the
// stored operand transposed (shaders/matmul-tn-arena.wgsl, matmul-nt-arena.wgsl), so the k sum
// runs in the same order as the plain matmul's; the oracle is matmul.ts's on the transposed
// copy, and the tolerance the same 2 gamma_K sum_k |a_ik b_kj| (see matmul.ts), small integers
// bit for bit.
import { type Kernel, type KernelCall, operandValue, uniformWords } from './kernel.ts';
import {
  MATMUL_CONFIG,
  type MatmulParams,
  matmulCpu,
  matmulFlops,
  matmulGrid,
  matmulMinBytes,
  matmulTolerance,
} from './matmul.ts';

/** `x` (rows x cols, row-major) transposed: cols x rows. */
export function transpose(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  if (x.length !== rows * cols) {
    throw new RangeError(`transpose: ${x.length} values are not ${rows}x${cols}`);
  }
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j] as number;
  }
  return t;
}

type Which = 'tn' | 'nt';

/** A and B as the plain matmul reads them (m x k and k x n) from the stored operands. */
function plain(
  which: Which,
  { m, k, n }: MatmulParams,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
) {
  return which === 'tn' ? { a: transpose(a, k, m), b } : { a, b: transpose(b, n, k) };
}

function transposedKernel(which: Which) {
  const name = `matmul-${which}`;
  return {
    name,
    title: which === 'tn' ? 'C = A^T x B' : 'C = A x B^T',
    params: ['m', 'k', 'n'],
    operands: ({ m, k, n }) => [
      { name: 'a', count: m * k, access: 'read' },
      { name: 'b', count: k * n, access: 'read' },
      { name: 'c', count: m * n, access: 'write' },
    ],
    oracle: (p, x) => {
      const { a, b } = plain(which, p, operandValue(x, 'a'), operandValue(x, 'b'));
      return { c: matmulCpu(a, b, p.m, p.k, p.n) };
    },
    tolerance: (p, x) => {
      const { a, b } = plain(which, p, operandValue(x, 'a'), operandValue(x, 'b'));
      return { c: matmulTolerance(a, b, p.m, p.k, p.n) };
    },
    flops: (p) => matmulFlops(p),
    bytes: (p) => matmulMinBytes(p),
    // matmul-arena-dims.wgsl's Dims: the shape, then element offsets.
    arena: (p, at) => ({
      program: {
        label: `${name} (arena)`,
        shaders: ['matmul-arena-dims', `${name}-arena`, 'matmul-tiled'],
        aliases: {},
        constants: MATMUL_CONFIG.tiled,
      },
      uniform: uniformWords([p.m, p.k, p.n, 0, at('a'), at('b'), at('c'), 0]),
      workgroups: matmulGrid('tiled', p),
    }),
  } satisfies Kernel<MatmulParams>;
}

export const matmulTnKernel = transposedKernel('tn');
export const matmulNtKernel = transposedKernel('nt');

/** C (m x n) = A^T B on `rank`, A stored k x m, B k x n. */
export function matmulTnOp<Place>(
  rank: number,
  operands: { readonly a: Place; readonly b: Place; readonly c: Place },
  params: MatmulParams,
): KernelCall<Place, MatmulParams> {
  return { kind: 'kernel', kernel: 'matmul-tn', rank, operands, params };
}

/** C (m x n) = A B^T on `rank`, A m x k, B stored n x k. */
export function matmulNtOp<Place>(
  rank: number,
  operands: { readonly a: Place; readonly b: Place; readonly c: Place },
  params: MatmulParams,
): KernelCall<Place, MatmulParams> {
  return { kind: 'kernel', kernel: 'matmul-nt', rank, operands, params };
}
