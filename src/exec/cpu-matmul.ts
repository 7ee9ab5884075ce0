// The CPU oracle of the matmul kernels: C = A x B in f32, row-major (A: M x K, B: K x N), each
// product and each partial sum rounded to f32 (Math.fround) in k order, as the naive kernel
// computes without FMA.
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

/** Unit roundoff of f32 (half the machine epsilon 2^-23). */
export const F32_UNIT_ROUNDOFF = 2 ** -24;

function checkShape(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number) {
  for (const [name, v] of [
    ['m', m],
    ['k', k],
    ['n', n],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`matmul ${name}=${v} must be >= 1`);
  }
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
