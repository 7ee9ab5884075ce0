// Where two runs' buffers first differ, bit for bit: the GPU tests compare the executor with
// the interpreter through this (a float's bits, so -0 and NaN payloads count too).
import type { ElementArray } from '../src/plans/dtype.ts';

/** The first element, in any named buffer of any rank of `want`, whose bits `got` does not share. */
export function firstDifference(
  got: readonly Readonly<Record<string, ElementArray>>[],
  want: readonly Readonly<Record<string, ElementArray>>[],
): string | undefined {
  for (let r = 0; r < want.length; r++) {
    for (const [name, b] of Object.entries(want[r] ?? {})) {
      const a = got[r]?.[name];
      if (!a || a.length !== b.length) {
        return `rank ${r} ${name}: ${a?.length} elements, want ${b.length}`;
      }
      const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
      const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
      for (let i = 0; i < ub.length; i++) {
        if (ua[i] !== ub[i]) return `rank ${r} ${name}[${i}]: got ${a[i]}, want ${b[i]}`;
      }
    }
  }
  return undefined;
}
