// The backward pass of the fused bias + GeLU (shaders/gelu-backward.wgsl): dz = dy * gelu'(z),
// z = c + bias[col] recomputed from the layer's matmul output c exactly as the forward kernel
// (bias-gelu.ts) computes it, for the tanh form:
//     gelu'(z) = A + B,  A = 0.5 (1 + t),  B = 0.5 z (1 - t^2) du,
//     t = tanh(clamp(c (z + a z^3), -10, 10)),  du = c (1 + 3 a z^2).
// The oracle rounds each operation to f32 (Math.fround) in the shader's order.
//
// How close the GPU must be. As in bias-gelu.ts, the two sides' t differ by at most
// T = 2^-20 (WGSL's tanh is not correctly rounded, and a compiler may contract u's products
// into fmas). That moves A by 0.5 T and 1 - t^2 by 2 |t| T + T^2 plus its own rounding (the
// subtraction cancels near |t| = 1: up to 2 u absolute), together under 2.5 T; so B moves by
// 0.5 |z| |du| 2.5 T. Every other operation is a correctly rounded f32 op, about ten of them,
// each u relative to the part it rounds: 8 u (|A| + |B|) covers them with room (A and B may
// cancel for z < 0, so the bound is on the parts, not on their sum). Then dz = dy g rounds once:
//     |gpu - cpu| <= |dy| (0.5 T + 1.25 |z| |du| T + 8 u (|A| + |B|)) + 2 u |dz| + 2^-126.
import { TANH_ABS_TOLERANCE } from './bias-gelu.ts';
import { type Kernel, type KernelCall, laneGrid, operandValue, uniformWords } from './kernel.ts';
import { F32_UNIT_ROUNDOFF } from './matmul.ts';

const fr = Math.fround;
const SQRT_2_OVER_PI = fr(Math.sqrt(2 / Math.PI));
const GELU_C = fr(0.044715);
// The shader's literal 0.134145 (= 3 a), rounded to f32 as WGSL rounds it.
const GELU_3C = fr(0.134145);
const TANH_CLAMP = 10;
const WG = 64;
const u = F32_UNIT_ROUNDOFF;

/** The parts of gelu'(z) in f32 as the shader computes them: A, B and du. */
function geluGradParts(zIn: number): { a: number; b: number; du: number } {
  const z = fr(zIn);
  const z2 = fr(z * z);
  const inner = fr(z + fr(GELU_C * fr(z2 * z)));
  const t = fr(Math.tanh(Math.min(TANH_CLAMP, Math.max(-TANH_CLAMP, fr(SQRT_2_OVER_PI * inner)))));
  const du = fr(SQRT_2_OVER_PI * fr(1 + fr(GELU_3C * z2)));
  const a = fr(0.5 * fr(1 + t));
  const b = fr(fr(0.5 * z) * fr(fr(1 - fr(t * t)) * du));
  return { a, b, du };
}

/** gelu'(z) in f32, as the shader computes it. */
export function geluGradF32(z: number): number {
  const { a, b } = geluGradParts(z);
  return fr(a + b);
}

/** The inputs of a gelu-backward op: c and dy m x n, bias n. */
export interface GeluBackwardInputs {
  readonly c: ArrayLike<number>;
  readonly bias: ArrayLike<number>;
  readonly dy: ArrayLike<number>;
}

/** z = c + bias[col] in f32, as the forward kernel computes it; checks the lengths. */
function preActivation({ c, bias, dy }: GeluBackwardInputs, m: number, n: number): Float32Array {
  if (c.length !== m * n || dy.length !== m * n || bias.length !== n) {
    throw new RangeError(
      `gelu-backward: c has ${c.length}, dy ${dy.length}, bias ${bias.length} values, not ${m}x${n} and ${n}`,
    );
  }
  const z = new Float32Array(m * n);
  for (let i = 0; i < m * n; i++) z[i] = fr((c[i] as number) + (bias[i % n] as number));
  return z;
}

/** dz = dy * gelu'(c + bias), element by element, in f32. */
export function geluBackwardCpu(x: GeluBackwardInputs, m: number, n: number): Float32Array {
  const z = preActivation(x, m, n);
  const dz = new Float32Array(m * n);
  for (let i = 0; i < m * n; i++) dz[i] = fr((x.dy[i] as number) * geluGradF32(z[i] as number));
  return dz;
}

/** The largest |gpu - cpu| allowed per element of dz (see above). */
export function geluBackwardTolerance(x: GeluBackwardInputs, m: number, n: number): Float64Array {
  const z = preActivation(x, m, n);
  const dy = x.dy;
  const count = m * n;
  const T = TANH_ABS_TOLERANCE;
  const tol = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const zi = z[i] as number;
    const dyi = Math.abs(dy[i] as number);
    const { a, b, du } = geluGradParts(zi);
    const dz = Math.abs(fr((dy[i] as number) * fr(a + b)));
    tol[i] =
      dyi *
        (0.5 * T + 1.25 * Math.abs(zi) * Math.abs(du) * T + 8 * u * (Math.abs(a) + Math.abs(b))) +
      2 * u * dz +
      2 ** -126;
  }
  return tol;
}

/** A gelu-backward op's params: the activations are m x n. */
export type GeluBackwardParams = { readonly m: number; readonly n: number };

const inputsOf = (x: Parameters<typeof operandValue>[0]): GeluBackwardInputs => ({
  c: operandValue(x, 'c'),
  bias: operandValue(x, 'bias'),
  dy: operandValue(x, 'dy'),
});

export const geluBackwardKernel = {
  name: 'gelu-backward',
  title: "dz = dy * GeLU'(c + bias)",
  params: ['m', 'n'],
  operands: ({ m, n }) => [
    { name: 'c', count: m * n, access: 'read' },
    { name: 'bias', count: n, access: 'read' },
    { name: 'dy', count: m * n, access: 'read' },
    // Element-wise: each invocation reads then writes only its own element.
    { name: 'dz', count: m * n, access: 'write', inPlaceOf: 'dy' },
  ],
  oracle: ({ m, n }, x) => ({ dz: geluBackwardCpu(inputsOf(x), m, n) }),
  tolerance: ({ m, n }, x) => ({ dz: geluBackwardTolerance(inputsOf(x), m, n) }),
  flops: (_p: GeluBackwardParams) => 0,
  bytes: ({ m, n }) => 4 * (3 * m * n + n),
  arena: ({ m, n }, at, limits) => ({
    program: {
      label: 'gelu-backward (arena)',
      shaders: ['gelu-backward-arena', 'gelu-backward'],
      aliases: {},
      constants: { WG },
    },
    uniform: uniformWords([m * n, n, 0, 0, at('c'), at('bias'), at('dy'), at('dz')]),
    workgroups: laneGrid(m * n, WG, limits.maxComputeWorkgroupsPerDimension),
  }),
} satisfies Kernel<GeluBackwardParams>;

/** dz = dy * gelu'(c + bias) on `rank` (dz may be dy). */
export function geluBackwardOp<Place>(
  rank: number,
  operands: { readonly c: Place; readonly bias: Place; readonly dy: Place; readonly dz: Place },
  params: GeluBackwardParams,
): KernelCall<Place, GeluBackwardParams> {
  return { kind: 'kernel', kernel: 'gelu-backward', rank, operands, params };
}
