// The unsharded layer on the CPU: what every tensor-parallel plan must equal, and how close.
//
// Tolerances (f32, unit roundoff u = 2^-24, gamma_K = K u / (1 - K u), S = sum |a_ik b_kj|):
// - column, row: a split matmul only changes the order of the k sum (row-parallel: partial sums
//   of k/N terms, then the collective adds N of them, a summation of depth <= k), so the sharded
//   and unsharded results each lie within gamma_k S of the exact one: |sharded - ref| <= 2
//   gamma_k S (matmulTolerance). Integer inputs are exact in any order: bit for bit.
// - mlp: Z = X W1 + b1 is within e_Z = gamma_k S1 + u |Z| of exact; GeLU's slope is at most
//   1.13 and the kernel adds its own error e_gelu (cpu-bias-gelu.ts), so H is within
//   e_H = 1.13 e_Z + e_gelu; Y = H W2 is then within sum_j e_H,j |W2_jc| + gamma_n sum_j
//   (|H_j| + e_H,j) |W2_jc|. Each side obeys it, so the tolerance is twice that bound.
import type { LayerInfo } from '../plans/plan.ts';
import { biasGeluCpu, biasGeluTolerance } from './cpu-bias-gelu.ts';
import { F32_UNIT_ROUNDOFF, matmulCpu, matmulTolerance } from './cpu-matmul.ts';
import type { Tensors } from './shards.ts';

// The largest slope of the tanh-form GeLU (at z ~ 1.5) is 1.129; rounded up.
const GELU_MAX_SLOPE = 1.13;

function gamma(k: number): number {
  const ku = k * F32_UNIT_ROUNDOFF;
  return ku / (1 - ku);
}

function get(tensors: Tensors, name: string): Float32Array {
  const t = tensors[name];
  if (!t) throw new RangeError(`no values given for input '${name}'`);
  return t;
}

export interface LayerReference {
  /** The layer's result, unsharded (Y, m x n or m x k). */
  readonly result: Float32Array;
  /** The largest |sharded - result| allowed per element. */
  readonly tolerance: Float64Array;
}

export function layerReference(layer: LayerInfo, tensors: Tensors): LayerReference {
  const { m, k, n } = layer;
  const x = get(tensors, 'X');
  if (layer.layout !== 'mlp') {
    const w = get(tensors, 'W');
    return { result: matmulCpu(x, w, m, k, n), tolerance: matmulTolerance(x, w, m, k, n) };
  }
  const w1 = get(tensors, 'W1');
  const b1 = get(tensors, 'b1');
  const w2 = get(tensors, 'W2');
  const z0 = matmulCpu(x, w1, m, k, n);
  const s1 = matmulTolerance(x, w1, m, k, n);
  const h = biasGeluCpu(z0, b1, m, n);
  const geluTol = biasGeluTolerance(z0, b1, m, n);
  const result = matmulCpu(h, w2, m, n, k);
  const eH = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const at = i * n + j;
      // s1 is 2 gamma_k S1 + tiny; half of it is one side's gamma_k S1.
      const z = Math.abs((z0[at] as number) + (b1[j] as number));
      const eZ = (s1[at] as number) / 2 + F32_UNIT_ROUNDOFF * z;
      eH[at] = GELU_MAX_SLOPE * eZ + (geluTol[at] as number);
    }
  }
  const gn = gamma(n);
  const tolerance = new Float64Array(m * k);
  for (let i = 0; i < m; i++) {
    for (let c = 0; c < k; c++) {
      let bound = 0;
      for (let j = 0; j < n; j++) {
        const wj = Math.abs(w2[j * k + c] as number);
        const e = eH[i * n + j] as number;
        bound += e * wj + gn * (Math.abs(h[i * n + j] as number) + e) * wj;
      }
      tolerance[i * k + c] = 2 * bound + 2 ** -126;
    }
  }
  return { result, tolerance };
}
