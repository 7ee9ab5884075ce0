// Deterministic data for tests and benchmarks that stays exact under every op: floats normal
// and nonzero (no denormals, which SwiftShader may flush; no ±0, whose max/min WGSL leaves
// open), int32 over the full range (sums and products wrap).
import { DTYPE_INFO, type Dtype, type ElementArray } from '../../plans/dtype.ts';
import type { Plan } from '../../plans/plan.ts';
import { allocateBuffers, type RankBuffers } from '../interpreter/steps.ts';

export function fill(dtype: Dtype, n: number, seed: number): ElementArray {
  const a = DTYPE_INFO[dtype].create(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    // xorshift32
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    if (dtype === 'float') {
      const sign = x & 1 ? -1 : 1;
      a[i] = sign * (1 + (x >>> 8) / 2 ** 24) * 2 ** (((x >>> 1) & 15) - 8);
    } else {
      a[i] = x | 0;
    }
  }
  return a;
}

/** Every buffer of every rank filled (inputs, and the outputs' stale contents too). */
export function randomBuffers(plan: Plan, seed: number): RankBuffers {
  const buffers = allocateBuffers(plan);
  buffers.forEach((b, r) => {
    b.send.set(fill(plan.dtype, b.send.length, seed + 2 * r));
    b.recv.set(fill(plan.dtype, b.recv.length, seed + 2 * r + 1));
  });
  return buffers;
}
