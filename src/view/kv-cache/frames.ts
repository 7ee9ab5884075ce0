// What the KV-cache page steps through: one frame per scheduler iteration, recorded from
// simulate()'s onIteration hook: who owns each block of the pool, who was admitted, preempted
// and finished, and the pool's use. Plain data, so the page, its charts and the tests read the
// same frames.
import type { KvPool } from '../../serving/kv-pool.ts';
import type { IterationRecord } from '../../serving/records.ts';

export interface KvFrame {
  /** Virtual time at the end of the iteration, seconds. */
  readonly t: number;
  readonly start_s: number;
  readonly admitted: readonly number[];
  readonly preempted: readonly number[];
  readonly finished: readonly number[];
  readonly decoded: number;
  readonly waiting: number;
  /** owners[block] = the request holding the block, -1 when free. */
  readonly owners: Int32Array;
  /** Blocks owned at the end of the iteration (what the grid shows). */
  readonly blocks_used: number;
  /**
   * Blocks listed by more than one block table (a fork's shared prefix; the grid shows the
   * newest holder). The schedulers here never fork, so a non-zero count is a bug to surface.
   */
  readonly shared: number;
  /** Tokens stored / slots of the blocks in use, during the iteration's passes. */
  readonly utilization: number;
  readonly contiguous_utilization: number;
}

/** A recorder to hand simulate() as onIteration, and the frames it collects. */
export function frameRecorder(): {
  readonly frames: KvFrame[];
  readonly onIteration: (it: IterationRecord, pool: KvPool) => void;
} {
  const frames: KvFrame[] = [];
  return {
    frames,
    onIteration: (it, pool) => {
      const owners = new Int32Array(pool.blocks).fill(-1);
      let used = 0;
      let shared = 0;
      for (const id of pool.sequences()) {
        for (const b of pool.table(id)) {
          if (owners[b] === -1) used++;
          else if (owners[b] !== id) shared++;
          owners[b] = id;
        }
      }
      frames.push({
        t: it.start_s + it.prefill_s + it.decode_s,
        start_s: it.start_s,
        admitted: [...it.admitted],
        preempted: [...it.preempted],
        finished: [...it.finished],
        decoded: it.decoded.length,
        waiting: it.waiting,
        owners,
        blocks_used: used,
        shared,
        utilization: it.utilization,
        contiguous_utilization: it.contiguous_utilization,
      });
    },
  };
}

const list = (ids: readonly number[]) =>
  ids.length <= 6 ? ids.join(', ') : `${ids.slice(0, 6).join(', ')} and ${ids.length - 6} more`;

/**
 * Blocks `ids` held in `frame`: what a preemption in the next iteration frees (a victim never
 * grows before it is preempted: it is the newest running sequence, grown last).
 */
export function blocksHeld(frame: KvFrame | undefined, ids: readonly number[]): number {
  if (!frame) return 0;
  const set = new Set(ids);
  let n = 0;
  for (const o of frame.owners) if (set.has(o)) n++;
  return n;
}

/**
 * "iteration 12 of 80, t = 0.84 s; admitted 7, 9; 5 decoding; request 3 preempted (pool full),
 * its 5 blocks freed; ...".
 */
export function frameCaption(frames: readonly KvFrame[], index: number, blocks: number): string {
  const f = frames[index];
  if (!f) return `before the first iteration: ${blocks} free blocks, no request has arrived`;
  const parts = [`iteration ${index + 1} of ${frames.length}, t = ${f.t.toFixed(2)} s`];
  if (f.admitted.length) parts.push(`admitted ${list(f.admitted)}`);
  if (f.decoded) parts.push(`${f.decoded} decoding`);
  if (f.preempted.length) {
    const one = f.preempted.length === 1;
    const freed = blocksHeld(frames[index - 1], f.preempted);
    parts.push(
      `${one ? 'request' : 'requests'} ${list(f.preempted)} preempted (pool full), ${one ? 'its' : 'their'} ${freed} ${freed === 1 ? 'block' : 'blocks'} freed`,
    );
  }
  if (f.finished.length) parts.push(`${list(f.finished)} finished`);
  parts.push(`${f.blocks_used} of ${blocks} blocks used, ${f.waiting} waiting`);
  return parts.join('; ');
}
