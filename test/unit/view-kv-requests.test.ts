// The KV page's request strip and captions, read from frames of real simulate() runs (the
// assumed memory-bound model, no GPU): every request in exactly one phase, phases that only
// move forward (except preemption back to the queue), preempted blocks counted in the caption,
// progress reported once an iteration, and colours distinct and stable per request.
import { describe, expect, it } from 'vitest';
import { KvPool } from '../../src/serving/kv-pool.ts';
import type { IterationRecord } from '../../src/serving/records.ts';
import { requestCss } from '../../src/view/kv-cache/draw.ts';
import { blocksHeld, frameCaption, frameRecorder } from '../../src/view/kv-cache/frames.ts';
import { phaseCounts, requestViews } from '../../src/view/kv-cache/requests.ts';
import { type KvProgress, runKv } from '../../src/view/kv-cache/run.ts';
import { findKvPreset, KV_LIMITS, KV_PRESETS } from '../../src/view/kv-cache/state.ts';

const ORDER = { future: 0, waiting: 1, preempted: 1, running: 2, finished: 3 } as const;

describe('KV page request strip', () => {
  it.each(KV_PRESETS.map((p) => [p.name, p.state] as const))(
    '%s: each request in one phase a frame, running exactly the owners of blocks',
    async (_, s) => {
      const run = await runKv(s, undefined);
      const { frames, requests } = run;
      const before = requestViews(frames, requests, -1);
      expect(before.every((v) => v.phase === 'future' || v.phase === 'waiting')).toBe(true);
      expect(before.every((v) => v.blocks === 0)).toBe(true);
      let last = before;
      frames.forEach((f, i) => {
        const views = requestViews(frames, requests, i);
        expect(views.map((v) => v.id)).toEqual(requests.map((r) => r.id).sort((a, b) => a - b));
        // No block in two block tables: each cell of the grid has at most one owner.
        expect(f.shared).toBe(0);
        const owners = new Set([...f.owners].filter((o) => o >= 0));
        expect(new Set(views.filter((v) => v.phase === 'running').map((v) => v.id))).toEqual(
          owners,
        );
        expect(views.reduce((n, v) => n + v.blocks, 0)).toBe(f.blocks_used);
        const c = phaseCounts(views);
        expect(c.future + c.waiting + c.running + c.preempted + c.finished).toBe(requests.length);
        // With every request at t = 0 the scheduler's queue is the strip's.
        if (s.rate === 0) expect(c.waiting + c.preempted).toBe(f.waiting);
        views.forEach((v, k) => {
          const was = last[k]?.phase ?? 'future';
          if (v.phase === 'preempted') expect(was).toBe('running');
          else if (was !== 'preempted') expect(ORDER[v.phase]).toBeGreaterThanOrEqual(ORDER[was]);
        });
        last = views;
      });
      expect(last.every((v) => v.phase === 'finished')).toBe(true);
      expect(
        last.reduce((n, v) => n + v.preemptions, 0),
        'preemptions counted as the run counts them',
      ).toBe(run.metrics.preemptions);
    },
  );

  it('a preemption caption names the victim and the blocks it held', async () => {
    const s = findKvPreset('high-cv-preemption')?.state;
    if (!s) throw new Error('no high-cv-preemption preset');
    const { frames } = await runKv(s, undefined);
    const i = frames.findIndex((f) => f.preempted.length > 0);
    expect(i).toBeGreaterThan(0);
    const f = frames[i] as (typeof frames)[number];
    const freed = blocksHeld(frames[i - 1], f.preempted);
    expect(freed).toBeGreaterThan(0);
    const one = f.preempted.length === 1;
    expect(frameCaption(frames, i, s.blocks)).toContain(
      `${one ? 'request' : 'requests'} ${f.preempted.join(', ')} preempted (pool full), ${one ? 'its' : 'their'} ${freed} block`,
    );
    // The freed blocks are free or someone else's now, never the victim's.
    for (const id of f.preempted) expect([...f.owners]).not.toContain(id);
  });

  it('progress is reported once an iteration and ends with every request finished', async () => {
    const s = findKvPreset('lecture-small')?.state;
    if (!s) throw new Error('no lecture-small preset');
    const seen: KvProgress[] = [];
    const run = await runKv(s, undefined, (p) => seen.push(p));
    expect(seen).toHaveLength(run.frames.length);
    expect(seen.map((p) => p.iterations)).toEqual(run.frames.map((_, i) => i + 1));
    expect(seen.at(-1)).toMatchObject({ finished: s.requests, requests: s.requests });
    expect(seen.at(-1)?.t).toBe(run.frames.at(-1)?.t);
  });

  it('the recorder counts a block two block tables hold (a fork), which the runs never show', () => {
    const pool = new KvPool({ blocks: 8, blockTokens: 4 });
    pool.allocate(1, 6);
    pool.fork(1, 2);
    const recorder = frameRecorder();
    const it = {
      start_s: 0,
      prefill_s: 0.01,
      decode_s: 0,
      admitted: [1],
      decoded: [],
      preempted: [],
      finished: [],
      waiting: 0,
      blocks_used: 2,
      tokens_stored: 6,
      utilization: 0.75,
      contiguous_utilization: 0.5,
    } satisfies IterationRecord;
    recorder.onIteration(it, pool);
    const f = recorder.frames[0];
    expect(f).toMatchObject({ blocks_used: 2, shared: 2, t: 0.01 });
    expect([...(f?.owners ?? [])].filter((o) => o >= 0)).toHaveLength(2);
  });

  it('request colours: stable, distinct for 63 requests, never the admission outline', () => {
    const ids = Array.from({ length: 63 }, (_, i) => i);
    const colours = ids.map(requestCss);
    expect(new Set(colours).size).toBe(63);
    expect(ids.map(requestCss)).toEqual(colours);
    expect(colours.some((c) => c.toLowerCase() === '#ffffff')).toBe(false);
    expect(KV_LIMITS.requests[1]).toBeLessThanOrEqual(64);
  });
});
