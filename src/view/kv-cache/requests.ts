// Where every request of a run stands at a frame: not yet arrived, waiting in the queue, running
// (holding KV blocks), preempted this iteration (its blocks freed, back in the queue) or
// finished. Read from the frames alone (owners, preempted, finished) and the arrival times, so
// the strip under the pool and the tests see the same thing.
import type { Request } from '../../serving/workload.ts';
import type { KvFrame } from './frames.ts';

export type RequestPhase = 'future' | 'waiting' | 'running' | 'preempted' | 'finished';

export interface RequestView {
  readonly id: number;
  readonly phase: RequestPhase;
  /** KV blocks the request holds at the end of the iteration. */
  readonly blocks: number;
  /** Times it was preempted up to and including this iteration. */
  readonly preemptions: number;
}

/**
 * The requests at frame `index` (-1: before the first iteration, at t = 0), in id order. A
 * request has arrived when its arrival time is at or before the end of the iteration.
 */
export function requestViews(
  frames: readonly KvFrame[],
  requests: readonly Pick<Request, 'id' | 'arrival_s'>[],
  index: number,
): RequestView[] {
  const upto = Math.min(index, frames.length - 1);
  const frame = frames[upto];
  const finished = new Set<number>();
  const preemptions = new Map<number, number>();
  for (let i = 0; i <= upto; i++) {
    const f = frames[i] as KvFrame;
    for (const id of f.finished) finished.add(id);
    for (const id of f.preempted) preemptions.set(id, (preemptions.get(id) ?? 0) + 1);
  }
  const blocks = new Map<number, number>();
  for (const o of frame?.owners ?? []) if (o >= 0) blocks.set(o, (blocks.get(o) ?? 0) + 1);
  const preemptedNow = new Set(frame?.preempted ?? []);
  const now = frame ? frame.t : 0;
  return [...requests]
    .sort((a, b) => a.id - b.id)
    .map((r) => {
      const held = blocks.get(r.id) ?? 0;
      const phase: RequestPhase = finished.has(r.id)
        ? 'finished'
        : held > 0
          ? 'running'
          : preemptedNow.has(r.id)
            ? 'preempted'
            : r.arrival_s <= now
              ? 'waiting'
              : 'future';
      return { id: r.id, phase, blocks: held, preemptions: preemptions.get(r.id) ?? 0 };
    });
}

/** How many requests are in each phase: the strip's legend. */
export function phaseCounts(views: readonly RequestView[]): Record<RequestPhase, number> {
  const counts: Record<RequestPhase, number> = {
    future: 0,
    waiting: 0,
    running: 0,
    preempted: 0,
    finished: 0,
  };
  for (const v of views) counts[v.phase]++;
  return counts;
}
