// Stragglers: ranks whose work runs FACTOR times slower. On the fabric, every link leaving a
// straggler carries its bytes FACTOR times slower and starts a message FACTOR times later (alpha
// x F, beta / F): a slow NIC or a throttled GPU's copy engine; a straggler's kernels take F times
// their seconds (the caller's kernel times, see slowKernels). Written `RANK:FACTOR`, several
// comma-separated: `--straggler 3:2,5:1.5`.
import type { Fabric } from './fabric.ts';

export interface Straggler {
  readonly rank: number;
  readonly factor: number;
}

/** The most a straggler may be slowed (a factor beyond this is a failure, not a straggler). */
export const MAX_STRAGGLER_FACTOR = 1000;

/** `RANK:FACTOR[,RANK:FACTOR...]`, or a RangeError naming the part and what it must be. */
export function parseStragglers(text: string, ranks: number): Straggler[] {
  const out: Straggler[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*:\s*(\d+(?:\.\d+)?|\.\d+)\s*$/.exec(part);
    if (!m) throw new RangeError(`straggler '${part}' must be RANK:FACTOR, e.g. 3:2.5`);
    const rank = Number(m[1]);
    const factor = Number(m[2]);
    if (rank >= ranks) throw new RangeError(`straggler rank ${rank} must be below ranks ${ranks}`);
    if (!(factor >= 1) || factor > MAX_STRAGGLER_FACTOR) {
      throw new RangeError(`straggler factor ${m[2]} must be from 1 to ${MAX_STRAGGLER_FACTOR}`);
    }
    if (out.some((s) => s.rank === rank)) {
      throw new RangeError(`straggler rank ${rank} is named twice`);
    }
    out.push({ rank, factor });
  }
  return out;
}

/** `fabric` with every link out of a straggler slowed by its factor. */
export function slowFabric(fabric: Fabric, stragglers: readonly Straggler[]): Fabric {
  if (stragglers.length === 0) return fabric;
  const factor = new Map(stragglers.map((s) => [s.rank, s.factor]));
  return {
    ...fabric,
    name: `${fabric.name}, stragglers ${stragglers.map((s) => `${s.rank}:${s.factor}`).join(',')}`,
    links: fabric.links.map((l) => {
      const f = typeof l.from === 'number' ? factor.get(l.from) : undefined;
      return f === undefined ? l : { ...l, alpha_s: l.alpha_s * f, beta_Bps: l.beta_Bps / f };
    }),
  };
}

/** Kernel seconds with each straggler's kernels F times slower. */
export function slowKernels<T extends { readonly rank: number }>(
  seconds: (task: T) => number,
  stragglers: readonly Straggler[],
): (task: T) => number {
  if (stragglers.length === 0) return seconds;
  const factor = new Map(stragglers.map((s) => [s.rank, s.factor]));
  return (task) => seconds(task) * (factor.get(task.rank) ?? 1);
}
