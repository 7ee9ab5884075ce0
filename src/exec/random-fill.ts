// Deterministic test data that stays exact under every op: floats normal and nonzero (no
// denormals, which SwiftShader may flush; no ±0, whose max/min WGSL leaves open), int32 over the
// full range (sums and products wrap).
import { DTYPE_INFO, type Dtype, type ElementArray } from '../../src/plans/dtype.ts';

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
