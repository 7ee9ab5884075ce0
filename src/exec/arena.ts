// Where each rank's buffers live on the GPU: regions of one storage buffer (the arena), each
// starting on a 256 B boundary so every region can be a binding window and vec4-aligned.
import { DTYPE_INFO } from '../plans/dtype.ts';
import type { BufferName, Plan } from '../plans/plan.ts';

// 64 elements of 4 B: the 256 B storage offset alignment WebGPU guarantees to be enough.
const REGION_ALIGN = 64;

export interface ArenaLayout {
  /** offsets[rank][buffer]: first element of the region. */
  readonly offsets: readonly Readonly<Record<BufferName, number>>[];
  /** Elements of the whole arena. */
  readonly elements: number;
  readonly bytes: number;
}

export function arenaLayout(plan: Plan): ArenaLayout {
  const offsets: Record<BufferName, number>[] = [];
  let at = 0;
  for (let r = 0; r < plan.ranks; r++) {
    const o = { send: 0, recv: 0 };
    for (const b of ['send', 'recv'] as const) {
      o[b] = at;
      at += Math.ceil((plan.sizes[b][r] ?? 0) / REGION_ALIGN) * REGION_ALIGN;
    }
    offsets.push(o);
  }
  // Never empty: a binding needs at least one lane.
  const elements = Math.max(at, REGION_ALIGN);
  return { offsets, elements, bytes: elements * DTYPE_INFO[plan.dtype].bytes };
}
