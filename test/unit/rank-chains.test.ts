// The ranks' chains of program order (src/plans/rank-chains.ts) prove "e before t" only where a
// dependency path exists: checked against a search of the graph on random graphs (seeded), and
// shown to prove every ordered pair of a ring's graph, where validateGraph leans on them.
import { describe, expect, it } from 'vitest';
import { graphOf } from '../../src/plans/from-steps.ts';
import type { MoveTask, Task } from '../../src/plans/graph.ts';
import { RankChains } from '../../src/plans/rank-chains.ts';
import { ringAllReduce } from '../../src/plans/ring.ts';
import { prng } from '../prng.ts';

/** Whether a dependency path leads from task e to task t. */
function reaches(tasks: readonly Task[], e: number, t: number): boolean {
  const seen = new Set<number>();
  const stack = [t];
  while (stack.length > 0) {
    const at = stack.pop() as number;
    for (const d of tasks[at]?.deps ?? []) {
      if (d === e) return true;
      if (d > e && !seen.has(d)) {
        seen.add(d);
        stack.push(d);
      }
    }
  }
  return false;
}

const touches = (t: Task, r: number) =>
  t.kind === 'kernel' ? t.rank === r : t.src.rank === r || t.dst.rank === r;

describe('rank chains', () => {
  it('prove only what a search finds, on random graphs', () => {
    const rand = prng(12345);
    let proven = 0;
    for (let trial = 0; trial < 40; trial++) {
      const ranks = 2 + Math.floor(rand() * 4);
      const tasks: Task[] = [];
      for (let id = 0; id < 60; id++) {
        const deps = [
          ...new Set(Array.from({ length: Math.floor(rand() * 4) }, () => Math.floor(rand() * id))),
        ]
          .filter((d) => d < id)
          .sort((a, b) => a - b);
        const src = Math.floor(rand() * ranks);
        const dst = Math.floor(rand() * ranks);
        const move: MoveTask = {
          kind: 'move',
          id,
          rank: dst,
          stream: 'comm',
          deps,
          label: '',
          src: { rank: src, buffer: 'x', offset: 0 },
          dst: { rank: dst, buffer: 'x', offset: 0 },
          count: 1,
          op: 'copy',
          chunk: 0,
        };
        tasks.push(move);
      }
      const chains = new RankChains(ranks, tasks.length);
      for (const t of tasks) chains.add(t);
      for (let e = 0; e < tasks.length; e++) {
        for (let t = e + 1; t < tasks.length; t++) {
          for (let r = 0; r < ranks; r++) {
            const [te, tt] = [tasks[e] as Task, tasks[t] as Task];
            if (!touches(te, r) || !touches(tt, r) || !chains.proves(te, tt, r)) continue;
            proven++;
            expect(reaches(tasks, e, t), `trial ${trial}: ${e} -> ${t} on rank ${r}`).toBe(true);
          }
        }
      }
    }
    // Random graphs still chain often enough for this to test something.
    expect(proven).toBeGreaterThan(100);
  });

  it('prove every ordered pair of a ring graph on a rank by comparison', () => {
    const graph = graphOf(
      ringAllReduce({ ranks: 4, count: 64, dtype: 'float', redop: 'sum', inPlace: false }),
    );
    const chains = new RankChains(4, graph.tasks.length);
    for (const t of graph.tasks) chains.add(t);
    let pairs = 0;
    for (const e of graph.tasks) {
      for (const t of graph.tasks) {
        if (t.id <= e.id) continue;
        for (let r = 0; r < 4; r++) {
          if (!touches(e, r) || !touches(t, r)) continue;
          if ((graph.stepOf[e.id] as number) >= (graph.stepOf[t.id] as number)) continue;
          pairs++;
          expect(chains.proves(e, t, r)).toBe(true);
        }
      }
    }
    expect(pairs).toBeGreaterThan(50);
  });
});
