// The unsharded layer on the CPU: what every tensor-parallel plan must equal, and how close.
//
// Tolerances (f32, unit roundoff u = 2^-24, gamma_K = K u / (1 - K u), S = sum |a_ik b_kj|):
// - column, row: a split matmul only changes the order of the k sum (row-parallel: partial sums
//   of k/N terms, then the collective adds N of them, a summation of depth <= k), so the sharded
//   and unsharded results each lie within gamma_k S of the exact one: |sharded - ref| <= 2
//   gamma_k S (matmulTolerance). Integer inputs are exact in any order: bit for bit.
// - attention: Q, K, V = X Wq, X Wk, X Wv, each within e = gamma_k S of exact. A score
//   s_t = scale q . k_t then moves by ds_t <= scale sum_d (e_q |k_td| + |q_d| e_k) plus the
//   kernel's own rounding (kernels/attention.ts: gamma_dh scale sum |q k| + u |s|); the softmax
//   weights by at most 2 max_t ds_t relative, plus 16 u for exp and 2 gamma_t for the sums; an
//   output moves by that times sum_t p_t |v_t| plus sum_t p_t e_v. Y = A Wo then adds the
//   matmul's gamma_k as for the MLP's second matmul. Twice that bound again.
// - mlp: Z = X W1 + b1 is within e_Z = gamma_k S1 + u |Z| of exact; GeLU's slope is at most
//   1.13 and the kernel adds its own error e_gelu (kernels/bias-gelu.ts), so H is within
//   e_H = 1.13 e_Z + e_gelu; Y = H W2 is then within sum_j e_H,j |W2_jc| + gamma_n sum_j
//   (|H_j| + e_H,j) |W2_jc|. Each side obeys it, so the tolerance is twice that bound.

import { biasGeluCpu, biasGeluTolerance } from '../../kernels/bias-gelu.ts';
import { F32_UNIT_ROUNDOFF, matmulCpu, matmulTolerance } from '../../kernels/matmul.ts';
import type { LayerInfo } from '../../plans/plan.ts';
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
  if (layer.layout === 'attention') return attentionReference(layer, tensors);
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

function attentionReference(layer: LayerInfo, tensors: Tensors): LayerReference {
  const { m, k, n: heads } = layer;
  const hd = k / heads;
  const x = get(tensors, 'X');
  const wo = get(tensors, 'Wo');
  const u = F32_UNIT_ROUNDOFF;
  const project = (name: string) => {
    const w = get(tensors, name);
    const tol = matmulTolerance(x, w, m, k, k);
    return { value: matmulCpu(x, w, m, k, k), err: tol.map((t) => t / 2) };
  };
  const [q, kk, v] = [project('Wq'), project('Wk'), project('Wv')] as [
    ReturnType<typeof project>,
    ReturnType<typeof project>,
    ReturnType<typeof project>,
  ];
  const scale = 1 / Math.sqrt(hd);
  const a = new Float32Array(m * k);
  const eA = new Float64Array(m * k);
  for (let i = 0; i < m; i++) {
    for (let h = 0; h < heads; h++) {
      const n = i + 1;
      const s = new Float64Array(n);
      let maxDs = 0;
      for (let t = 0; t < n; t++) {
        let dot = 0;
        let abs = 0;
        let ds = 0;
        for (let d = 0; d < hd; d++) {
          const qi = i * k + h * hd + d;
          const ki = t * k + h * hd + d;
          const [qv, kv] = [q.value[qi] as number, kk.value[ki] as number];
          dot += qv * kv;
          abs += Math.abs(qv * kv);
          ds += (q.err[qi] as number) * Math.abs(kv) + Math.abs(qv) * (kk.err[ki] as number);
        }
        s[t] = dot * scale;
        maxDs = Math.max(maxDs, scale * ds + gamma(hd) * scale * abs + u * Math.abs(dot * scale));
      }
      const top = Math.max(...s);
      let sum = 0;
      for (let t = 0; t < n; t++) {
        s[t] = Math.exp((s[t] as number) - top);
        sum += s[t] as number;
      }
      const rel = 2 * maxDs + 16 * u + 2 * gamma(n);
      for (let d = 0; d < hd; d++) {
        let acc = 0;
        let absAcc = 0;
        let eV = 0;
        for (let t = 0; t < n; t++) {
          const vi = t * k + h * hd + d;
          const p = (s[t] as number) / sum;
          acc += p * (v.value[vi] as number);
          absAcc += p * Math.abs(v.value[vi] as number);
          eV += p * (v.err[vi] as number);
        }
        a[i * k + h * hd + d] = acc;
        eA[i * k + h * hd + d] = rel * absAcc + eV;
      }
    }
  }
  const result = matmulCpu(a, wo, m, k, k);
  const gk = gamma(k);
  const tolerance = new Float64Array(m * k);
  for (let i = 0; i < m; i++) {
    for (let c = 0; c < k; c++) {
      let bound = 0;
      for (let j = 0; j < k; j++) {
        const w = Math.abs(wo[j * k + c] as number);
        const e = eA[i * k + j] as number;
        bound += e * w + gk * (Math.abs(a[i * k + j] as number) + e) * w;
      }
      tolerance[i * k + c] = 2 * bound + 2 ** -126;
    }
  }
  return { result, tolerance };
}
