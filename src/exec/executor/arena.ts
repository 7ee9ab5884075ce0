// Where each rank's buffers live on the GPU: regions of storage buffers (arenas), each region
// starting on a 256 B boundary so it can be a binding window and vec4-aligned. Regions fill one
// arena until the next would pass the largest storage binding; a plan too large for one binding
// spreads over several arenas, and the executor binds the pair each op needs. A rank's send
// and recv stay in one arena whenever both fit one (kernel ops need them in one binding).
import { DTYPE_INFO } from '../../plans/dtype.ts';
import type { BufferName, Plan } from '../../plans/plan.ts';

// 64 elements of 4 B: the 256 B storage offset alignment WebGPU guarantees to be enough.
const REGION_ALIGN = 64;

export interface ArenaPlace {
  readonly arena: number;
  /** First element of the region within its arena. */
  readonly offset: number;
}

export interface ArenaLayout {
  /** places[rank][buffer]. */
  readonly places: readonly Readonly<Record<BufferName, ArenaPlace>>[];
  /** Elements of each arena. */
  readonly arenas: readonly number[];
  /** Bytes of all arenas together. */
  readonly bytes: number;
}

/**
 * Packs the ranks' regions in rank order into arenas of at most `maxArenaBytes`. Throws a
 * RangeError naming the region when one alone is larger (the executor names the limit).
 */
export function arenaLayout(plan: Plan, maxArenaBytes: number): ArenaLayout {
  const bytes = DTYPE_INFO[plan.dtype].bytes;
  const maxElements = Math.floor(maxArenaBytes / bytes / REGION_ALIGN) * REGION_ALIGN;
  const arenas: number[] = [0];
  const places: Record<BufferName, ArenaPlace>[] = [];
  const aligned = (r: number, b: BufferName) =>
    Math.ceil((plan.sizes[b][r] ?? 0) / REGION_ALIGN) * REGION_ALIGN;
  for (let r = 0; r < plan.ranks; r++) {
    const place = {} as Record<BufferName, ArenaPlace>;
    // A rank's two buffers share an arena where they fit one together: a kernel op reads and
    // writes both through one binding.
    const both = aligned(r, 'send') + aligned(r, 'recv');
    if (both <= maxElements && (arenas[arenas.length - 1] as number) + both > maxElements) {
      arenas.push(0);
    }
    for (const b of ['send', 'recv'] as const) {
      const size = aligned(r, b);
      if (size > maxElements) {
        throw new RangeError(
          `rank ${r}'s ${b} buffer of ${size * bytes} B does not fit one storage binding`,
        );
      }
      if ((arenas[arenas.length - 1] as number) + size > maxElements) arenas.push(0);
      const arena = arenas.length - 1;
      place[b] = { arena, offset: arenas[arena] as number };
      arenas[arena] = (arenas[arena] as number) + size;
    }
    places.push(place);
  }
  // Never empty: a binding needs at least one lane.
  const sized = arenas.map((e) => Math.max(e, REGION_ALIGN));
  return { places, arenas: sized, bytes: sized.reduce((a, e) => a + e * bytes, 0) };
}
