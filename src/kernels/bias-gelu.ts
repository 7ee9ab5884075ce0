// The bias + GeLU kernel: y = GeLU(x + bias[col]) over an M x N row-major f32 matrix, fused in
// one pass (shaders/bias-gelu.wgsl with bias-gelu-arena.wgsl inside a plan, or
// bias-gelu-bindings.wgsl on buffers of their own): one read and one write of the activations
// instead of two of each for separate bias and GeLU kernels, the whole point on a memory-bound
// element-wise op. Pipeline constants switch either half off (bias only, GeLU only). vec4 lanes
// when N % 4 == 0, scalar lanes otherwise; the grid is 2-D so any M x N fits the per-dimension
// workgroup limit. Its CPU oracle rounds each operation to f32 (Math.fround) in the order the
// shader writes it:
//     z  = x + bias[col]
//     u  = clamp(sqrt(2/pi) (z + 0.044715 ((z z) z)), -10, 10)
//     y  = (0.5 z) (1 + tanh(u))
// (the tanh approximation of GeLU, as GPT-2 and Megatron-LM use it).
//
// How close the GPU must be. WGSL rounds +, * and clamp correctly, so bias only (one add)
// agrees bit for bit. tanh is not correctly rounded in WGSL (its accuracy is inherited from
// sinh/cosh, i.e. from exp: a few ulp of 1 in absolute terms near 0), and a compiler may
// contract a * b + c into an fma, which moves u by a few ulp; through tanh that moves t by at
// most sech^2(u) |du| <= 4 u_f32 |u| sech^2(u) < 2 u_f32. Budgeting T = 2^-20 (8 ulp of 1)
// absolute for t = tanh(u) on both sides, and 2^-21 relative (8 u_f32) for the roundings of
// 0.5 z, 1 + t and the product,
//     |gpu - cpu| <= 0.5 |z| 2^-20 + 2^-21 |cpu| + 2^-126
// (the last term for a GPU that flushes subnormals to 0). The first term is absolute in t, not
// relative in y: for z well below 0, 1 + t cancels (z = -5: 1 + t ~ 6e-7, one ulp of t is
// 6e-8), so no f32 evaluation of this formula, the CPU's included, knows y there to better than
// about 0.5 |z| ulp(1); the bound says exactly that and no more.

import {
  type Kernel,
  type KernelCall,
  type KernelLaunch,
  type KernelProgram,
  type LaunchLimits,
  laneGrid,
  operandValue,
  uniformWords,
} from './kernel.ts';
import { F32_UNIT_ROUNDOFF } from './matmul.ts';

export type BiasGeluMode = 'bias-gelu' | 'bias' | 'gelu';
export const BIAS_GELU_MODES: readonly BiasGeluMode[] = ['bias-gelu', 'bias', 'gelu'];

export function modeHasBias(mode: BiasGeluMode): boolean {
  return mode !== 'gelu';
}

export function modeHasGelu(mode: BiasGeluMode): boolean {
  return mode !== 'bias';
}

/** Absolute budget for WGSL's tanh beside a correctly rounded one: 2^-20, 8 ulp of 1. */
export const TANH_ABS_TOLERANCE = 2 ** -20;
/** Relative budget for the final roundings of 0.5 z, 1 + t and their product: 8 u_f32. */
export const GELU_REL_TOLERANCE = 8 * F32_UNIT_ROUNDOFF;
/** The smallest normal f32: a GPU may flush subnormal results to 0. */
export const F32_MIN_NORMAL = 2 ** -126;

const fr = Math.fround;
const SQRT_2_OVER_PI = fr(Math.sqrt(2 / Math.PI));
const GELU_C = fr(0.044715);
const TANH_CLAMP = 10;

/** GeLU (tanh form) of one f32 value, rounded to f32 at each step as the shader computes. */
export function geluF32(z: number): number {
  const zf = fr(z);
  const z3 = fr(fr(zf * zf) * zf);
  const inner = fr(zf + fr(GELU_C * z3));
  const u = Math.min(TANH_CLAMP, Math.max(-TANH_CLAMP, fr(SQRT_2_OVER_PI * inner)));
  const t = fr(Math.tanh(u));
  return fr(fr(0.5 * zf) * fr(1 + t));
}

export function checkBiasGeluShape(
  x: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  m: number,
  n: number,
  mode: BiasGeluMode,
): void {
  for (const [name, v] of [
    ['m', m],
    ['n', n],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 1)
      throw new RangeError(`bias-gelu ${name}=${v} must be >= 1`);
  }
  if (x.length !== m * n) throw new RangeError(`bias-gelu x has ${x.length} values, not ${m}x${n}`);
  if (modeHasBias(mode)) {
    if (!bias) throw new RangeError(`bias-gelu mode '${mode}' needs a bias of ${n} values`);
    if (bias.length !== n)
      throw new RangeError(`bias-gelu bias has ${bias.length} values, not ${n}`);
  }
}

/** y = GeLU(x + bias[col]) (or bias only, or GeLU only), x: m x n row-major, bias: n. */
export function biasGeluCpu(
  x: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  m: number,
  n: number,
  mode: BiasGeluMode = 'bias-gelu',
): Float32Array {
  checkBiasGeluShape(x, bias, m, n, mode);
  const y = new Float32Array(m * n);
  const withBias = modeHasBias(mode);
  const withGelu = modeHasGelu(mode);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let z = fr(x[i * n + j] as number);
      if (withBias && bias) z = fr(z + (bias[j] as number));
      y[i * n + j] = withGelu ? geluF32(z) : z;
    }
  }
  return y;
}

/**
 * The largest |gpu - cpu| allowed per element (see above): 0 for bias only (plus the flush of
 * subnormals), 0.5 |z| 2^-20 + 2^-21 |y| + 2^-126 when GeLU runs, z being the GeLU input.
 */
export function biasGeluTolerance(
  x: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  m: number,
  n: number,
  mode: BiasGeluMode = 'bias-gelu',
): Float64Array {
  const want = biasGeluCpu(x, bias, m, n, mode);
  const tol = new Float64Array(m * n);
  const withBias = modeHasBias(mode);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const k = i * n + j;
      if (!modeHasGelu(mode)) {
        tol[k] = F32_MIN_NORMAL;
        continue;
      }
      let z = fr(x[k] as number);
      if (withBias && bias) z = fr(z + (bias[j] as number));
      tol[k] =
        0.5 * Math.abs(z) * TANH_ABS_TOLERANCE +
        GELU_REL_TOLERANCE * Math.abs(want[k] as number) +
        F32_MIN_NORMAL;
    }
  }
  return tol;
}

export const BIAS_GELU_WG = 64;

/** Lanes per invocation: 4 (vec4f) when every row is whole vec4s, else 1. */
export function biasGeluWidth(n: number): 1 | 4 {
  return n % 4 === 0 ? 4 : 1;
}

/** Workgroups (x, y) for `lanes` invocations of BIAS_GELU_WG, x capped at `maxPerDim`. */
export function biasGeluGrid(lanes: number, maxPerDim: number): [number, number] {
  const [x, y] = laneGrid(lanes, BIAS_GELU_WG, maxPerDim);
  return [x, y];
}

/** The program of `mode` on lanes of `width`, in one arena (a plan) or on buffers of their own. */
export function biasGeluProgram(
  mode: BiasGeluMode,
  width: 1 | 4,
  binding: 'arena' | 'buffers',
): KernelProgram {
  return {
    label: binding === 'arena' ? `bias-gelu x${width} (arena)` : `bias-gelu ${mode} x${width}`,
    shaders: [binding === 'arena' ? 'bias-gelu-arena' : 'bias-gelu-bindings', 'bias-gelu'],
    aliases: { Lane: width === 4 ? 'vec4f' : 'f32' },
    constants: {
      WG: BIAS_GELU_WG,
      HAS_BIAS: modeHasBias(mode) ? 1 : 0,
      HAS_GELU: modeHasGelu(mode) ? 1 : 0,
    },
  };
}

/** A bias-gelu op's params (a type, not an interface, so that it is a KernelParams record). */
export type BiasGeluParams = { readonly m: number; readonly n: number };

function launch(
  { m, n }: BiasGeluParams,
  width: 1 | 4,
  binding: 'arena' | 'buffers',
  offsets: readonly number[],
  limits: LaunchLimits,
): KernelLaunch {
  const lanes = (m * n) / width;
  const [x, y] = biasGeluGrid(lanes, limits.maxComputeWorkgroupsPerDimension);
  return {
    program: biasGeluProgram('bias-gelu', width, binding),
    // bias-gelu-*.wgsl's Dims: lanes of the matrix and of a row, then (arena) lane offsets.
    uniform: uniformWords([lanes, n / width, 0, 0, ...offsets]),
    workgroups: [x, y, 1],
  };
}

export const biasGeluKernel = {
  name: 'bias-gelu',
  title: 'y = GeLU(x + bias)',
  params: ['m', 'n'],
  operands: ({ m, n }) => [
    { name: 'x', count: m * n, access: 'read' },
    { name: 'bias', count: n, access: 'read' },
    // Element-wise: each lane reads then writes only its own element, so y may be x itself.
    { name: 'y', count: m * n, access: 'write', inPlaceOf: 'x' },
  ],
  oracle: ({ m, n }, v) => ({
    y: biasGeluCpu(operandValue(v, 'x'), operandValue(v, 'bias'), m, n),
  }),
  tolerance: ({ m, n }, v) => ({
    y: biasGeluTolerance(operandValue(v, 'x'), operandValue(v, 'bias'), m, n),
  }),
  flops: (_p: BiasGeluParams) => 0,
  bytes: ({ m, n }) => 4 * (2 * m * n + n),
  arena: (p, at, limits) => {
    // vec4 lanes when each row is whole vec4s and every region starts on one.
    const width =
      biasGeluWidth(p.n) === 4 && ['x', 'bias', 'y'].every((o) => at(o) % 4 === 0) ? 4 : 1;
    const offsets = [at('x') / width, at('bias') / width, at('y') / width, 0];
    return launch(p, width, 'arena', offsets, limits);
  },
  buffers: (p, limits) => launch(p, biasGeluWidth(p.n), 'buffers', [], limits),
} satisfies Kernel<BiasGeluParams>;

/** A bias + GeLU task on `rank`: y = GeLU(x + bias[col]), x and y m x n (y may be x). */
export function biasGeluOp<Place>(
  rank: number,
  operands: { readonly x: Place; readonly bias: Place; readonly y: Place },
  params: BiasGeluParams,
): KernelCall<Place, BiasGeluParams> {
  return { kind: 'kernel', kernel: 'bias-gelu', rank, operands, params };
}
