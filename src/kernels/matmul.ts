// The matmul kernel: C (m x n) = A (m x k) x B (k x n), f32, row-major (shaders/matmul-naive.wgsl,
// matmul-tiled.wgsl, with matmul-arena.wgsl inside a plan or matmul-bindings.wgsl on buffers of
// their own). Its CPU oracle rounds each product and each partial sum to f32 (Math.fround) in k
// order, as the naive kernel computes without FMA.
//
// How close the GPU must be. Recursive summation of K products in f32 (unit roundoff
// u = 2^-24) is within gamma_K = K u / (1 - K u) of the exact sum, relative to
// S_ij = sum_k |a_ik b_kj| (Higham, Accuracy and Stability, 3.1); an FMA per step only removes
// the product's rounding and keeps the bound. The CPU and the GPU each obey it, so
//     |gpu_ij - cpu_ij| <= 2 gamma_K S_ij  (~ K eps_f32 S_ij, eps_f32 = 2^-23 = 2u),
// whatever order or fusing the GPU picks. matmulTolerance gives that bound per element.
//
// Exact cases: when A and B hold small integers, every product and partial sum is an integer
// of magnitude at most K max|a| max|b|; below 2^24 all are representable in f32, no step
// rounds, and GPU and CPU agree bit for bit in any order (e.g. |values| <= 8, K <= 2^18).
import {
  type Kernel,
  type KernelCall,
  type KernelLaunch,
  type KernelProgram,
  operandValue,
  uniformWords,
} from './kernel.ts';

/** Unit roundoff of f32 (half the machine epsilon 2^-23). */
export const F32_UNIT_ROUNDOFF = 2 ** -24;

/** RangeError naming the size unless m, k and n are whole numbers >= 1. */
export function checkMatmulDims(m: number, k: number, n: number): void {
  for (const [name, v] of [
    ['m', m],
    ['k', k],
    ['n', n],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`matmul ${name}=${v} must be >= 1`);
  }
}

function checkShape(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number) {
  checkMatmulDims(m, k, n);
  if (a.length !== m * k) throw new RangeError(`matmul A has ${a.length} values, not ${m}x${k}`);
  if (b.length !== k * n) throw new RangeError(`matmul B has ${b.length} values, not ${k}x${n}`);
}

/** C = A x B, accumulated in f32 in k order. */
export function matmulCpu(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
): Float32Array {
  checkShape(a, b, m, k, n);
  const c = new Float32Array(m * n);
  const fr = Math.fround;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) {
        acc = fr(acc + fr((a[i * k + p] as number) * (b[p * n + j] as number)));
      }
      c[i * n + j] = acc;
    }
  }
  return c;
}

/**
 * The largest |gpu - cpu| allowed per element of C: 2 gamma_K sum_k |a_ik b_kj| (see above),
 * plus the smallest normal f32 for sums that underflow (a GPU may flush denormals to 0).
 */
export function matmulTolerance(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
): Float64Array {
  checkShape(a, b, m, k, n);
  const ku = k * F32_UNIT_ROUNDOFF;
  const gamma = ku / (1 - ku);
  const tol = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++)
        s += Math.abs((a[i * k + p] as number) * (b[p * n + j] as number));
      tol[i * n + j] = 2 * gamma * s + 2 ** -126;
    }
  }
  return tol;
}

/** How many elements of `got` lie outside the tolerance of `want`, and the largest |error|. */
export function compareMatmul(
  got: Float32Array,
  want: Float32Array,
  tolerance: Float64Array,
): { wrong: number; maxAbsError: number } {
  let wrong = 0;
  let maxAbsError = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs((got[i] as number) - (want[i] as number));
    if (!(err <= (tolerance[i] as number))) wrong++;
    if (err > maxAbsError || Number.isNaN(err)) maxAbsError = err;
  }
  if (got.length !== want.length) wrong += Math.abs(got.length - want.length);
  return { wrong, maxAbsError };
}

/** A matmul's shape: A m x k, B k x n (a type, not an interface, so that it is KernelParams). */
export type MatmulShape = { readonly m: number; readonly k: number; readonly n: number };

/** A matmul op's params: its shape. */
export type MatmulParams = MatmulShape;

export type MatmulKernel = 'naive' | 'tiled';
export const MATMUL_KERNELS: readonly MatmulKernel[] = ['naive', 'tiled'];

/** Workgroup shape and tile depth of each kernel (pipeline-overridable constants). */
export const MATMUL_CONFIG = {
  naive: { WG_X: 16, WG_Y: 16 },
  // Each invocation a 4 x 4 block: a workgroup covers (4 WG_Y) x (4 WG_X) = 32 x 32 of C.
  tiled: { WG_X: 8, WG_Y: 8, TILE_K: 16 },
} as const;

/** Output rows and columns one workgroup of `kernel` covers. */
export function matmulBlock(kernel: MatmulKernel): { rows: number; cols: number } {
  if (kernel === 'naive') return { rows: MATMUL_CONFIG.naive.WG_Y, cols: MATMUL_CONFIG.naive.WG_X };
  return { rows: 4 * MATMUL_CONFIG.tiled.WG_Y, cols: 4 * MATMUL_CONFIG.tiled.WG_X };
}

export function matmulFlops({ m, k, n }: MatmulShape): number {
  return 2 * m * n * k;
}

/** Bytes a matmul must move at least: A and B read once, C written once (f32). */
export function matmulMinBytes({ m, k, n }: MatmulShape): number {
  return 4 * (m * k + k * n + m * n);
}

/** The program of `kernel` with A, B, C in one arena (a plan) or in buffers of their own. */
export function matmulProgram(kernel: MatmulKernel, binding: 'arena' | 'buffers'): KernelProgram {
  return {
    label: binding === 'arena' ? `matmul-${kernel} (arena)` : `matmul-${kernel}`,
    shaders:
      binding === 'arena'
        ? ['matmul-arena-dims', 'matmul-arena', `matmul-${kernel}`]
        : ['matmul-bindings', `matmul-${kernel}`],
    aliases: {},
    constants: MATMUL_CONFIG[kernel],
  };
}

/** Workgroups of `kernel` over C: one per block of output rows and columns. */
export function matmulGrid(kernel: MatmulKernel, { m, n }: MatmulShape): [number, number, number] {
  const block = matmulBlock(kernel);
  return [Math.ceil(n / block.cols), Math.ceil(m / block.rows), 1];
}

function launch(p: MatmulParams, binding: 'arena' | 'buffers', uniform: number[]): KernelLaunch {
  // Plans and the decoder run the tiled kernel; the naive one is for the matmul bench.
  return {
    program: matmulProgram('tiled', binding),
    uniform: uniformWords(uniform),
    workgroups: matmulGrid('tiled', p),
  };
}

export const matmulKernel = {
  name: 'matmul',
  title: 'C = A x B',
  params: ['m', 'k', 'n'],
  operands: ({ m, k, n }) => [
    { name: 'a', count: m * k, access: 'read' },
    { name: 'b', count: k * n, access: 'read' },
    { name: 'c', count: m * n, access: 'write' },
  ],
  oracle: ({ m, k, n }, x) => ({
    c: matmulCpu(operandValue(x, 'a'), operandValue(x, 'b'), m, k, n),
  }),
  tolerance: ({ m, k, n }, x) => ({
    c: matmulTolerance(operandValue(x, 'a'), operandValue(x, 'b'), m, k, n),
  }),
  flops: (p) => matmulFlops(p),
  bytes: (p) => matmulMinBytes(p),
  // matmul-arena-dims.wgsl's Dims: the shape, then the element offsets of A, B and C.
  arena: (p, at) => launch(p, 'arena', [p.m, p.k, p.n, 0, at('a'), at('b'), at('c'), 0]),
  buffers: (p) => launch(p, 'buffers', [p.m, p.k, p.n, 0]),
} satisfies Kernel<MatmulParams>;

/** A matmul task on `rank`: C = A x B with A m x k, B k x n, C m x n. */
export function matmulOp<Place>(
  rank: number,
  operands: { readonly a: Place; readonly b: Place; readonly c: Place },
  params: MatmulParams,
): KernelCall<Place, MatmulParams> {
  return { kind: 'kernel', kernel: 'matmul', rank, operands, params };
}
