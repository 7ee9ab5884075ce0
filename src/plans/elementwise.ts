// The CPU meaning of an element-wise step, exact to the bit of what the GPU computes: typed
// array stores round to f32 (double rounding of +, * through f64 is innocuous for f32) and
// wrap to i32 as WGSL's i32 arithmetic does.
import type { ElementArray, ElementwiseOp } from './dtype.ts';

export function applyElementwise(
  op: ElementwiseOp,
  dst: ElementArray,
  src: ElementArray,
  count: number,
  dstOffset = 0,
  srcOffset = 0,
): void {
  const isInt = dst instanceof Int32Array;
  for (let i = 0; i < count; i++) {
    const a = dst[dstOffset + i] as number;
    const b = src[srcOffset + i] as number;
    let r: number;
    switch (op) {
      case 'copy':
        r = b;
        break;
      case 'sum':
        r = a + b;
        break;
      case 'prod':
        r = isInt ? Math.imul(a, b) : a * b;
        break;
      case 'max':
        r = Math.max(a, b);
        break;
      case 'min':
        r = Math.min(a, b);
        break;
    }
    dst[dstOffset + i] = r;
  }
}
