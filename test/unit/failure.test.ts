// A rank that fails mid-AllReduce (src/plans/failure.ts): for every algorithm that supports it,
// every failed rank and every wave it can fail at, the survivors' result after re-forming is
// the reduction over the survivors' inputs exactly (small integers: order-free), every
// survivor agrees on the members, both graphs validate, and nothing the failed rank did after
// its wave ran.
import { describe, expect, it } from 'vitest';
import { allocateGraphBuffers, interpretGraph } from '../../src/exec/interpreter/graph.ts';
import type { RedOp } from '../../src/plans/dtype.ts';
import {
  FAILURE_ALGORITHMS,
  failedAllReduce,
  failedAsOneGraph,
  membersDisagree,
  parseFailure,
  ranTasks,
  writeVotes,
} from '../../src/plans/failure.ts';
import { graphOf } from '../../src/plans/from-steps.ts';
import { waveOf } from '../../src/plans/graph.ts';
import type { CollectiveSpec } from '../../src/plans/plan.ts';
import { ALGORITHMS } from '../../src/plans/registry.ts';
import { validateGraph } from '../../src/plans/validate-graph.ts';
import { prng } from '../prng.ts';

const spec = (ranks: number, count: number, redop: RedOp = 'sum'): CollectiveSpec => ({
  ranks,
  count,
  dtype: 'float',
  redop,
  inPlace: false,
});

const combine = (op: RedOp, a: number, b: number) =>
  op === 'sum' ? a + b : op === 'prod' ? a * b : op === 'max' ? Math.max(a, b) : Math.min(a, b);

function wavesOf(algorithm: string, s: CollectiveSpec): number {
  const g = graphOf((ALGORITHMS.allreduce[algorithm] as (x: CollectiveSpec) => never)(s));
  return Math.max(...waveOf(g)) + 1;
}

describe('a rank that fails mid-AllReduce', () => {
  for (const algorithm of FAILURE_ALGORITHMS) {
    it(`${algorithm}: the survivors reduce exactly their own inputs, at every rank and wave`, () => {
      let cases = 0;
      for (const [ranks, redop] of [
        [2, 'sum'],
        [3, 'max'],
        [4, 'sum'],
        [5, 'prod'],
        [6, 'sum'],
        [8, 'min'],
      ] as const) {
        const s = spec(ranks, 11, redop);
        const waves = wavesOf(algorithm, s);
        for (let rank = 0; rank < ranks; rank++) {
          for (let wave = 0; wave < waves; wave++) {
            const run = failedAllReduce(algorithm, s, { rank, wave });
            validateGraph(run.before);
            validateGraph(run.after);
            const rand = prng(ranks * 1000 + rank * 50 + wave);
            const buffers = allocateGraphBuffers(run.before);
            for (const own of buffers) {
              for (const a of Object.values(own)) {
                for (let i = 0; i < a.length; i++) a[i] = 1 + Math.floor(rand() * 3);
              }
            }
            const inputs = buffers.map((own) => Float32Array.from(own.send ?? []).subarray(0, 11));
            writeVotes(run, buffers);
            interpretGraph(run.before, buffers);
            interpretGraph(run.after, buffers);
            expect(membersDisagree(run, buffers)).toBeUndefined();
            for (const r of run.survivors) {
              const want = (inputs[r] as Float32Array).map((_, i) =>
                run.survivors
                  .map((q) => (inputs[q] as Float32Array)[i] as number)
                  .reduce((x, y) => combine(redop, x, y)),
              );
              expect(Array.from(buffers[r]?.recv ?? []).slice(0, 11)).toEqual(Array.from(want));
            }
            cases++;
          }
        }
      }
      expect(cases).toBeGreaterThan(40);
    });
  }

  it('runs no task that needs the failed rank from its wave on, and every other one it can', () => {
    const s = spec(4, 8);
    const g = graphOf((ALGORITHMS.allreduce.ring as (x: CollectiveSpec) => never)(s));
    const wave = waveOf(g);
    const ran = ranTasks(g, { rank: 2, wave: 3 });
    for (const t of g.tasks) {
      const needs = t.rank === 2 || (t.kind === 'move' && (t.src.rank === 2 || t.dst.rank === 2));
      if (needs && (wave[t.id] as number) >= 3) expect(ran[t.id]).toBe(0);
      if (ran[t.id] === 0 && !(needs && (wave[t.id] as number) >= 3)) {
        expect(t.deps.some((d) => ran[d] === 0)).toBe(true);
      }
    }
    // A ring stalls: rank 3 waits for rank 2's chunk, then everyone downstream waits.
    expect(ran.reduce((n, x) => n + x, 0)).toBeLessThan(g.tasks.length);
    // At wave 0 nothing of rank 2 runs, but the others' local copies do.
    const first = ranTasks(g, { rank: 2, wave: 0 });
    const local = g.tasks.filter((t) => first[t.id] && t.kind === 'move' && t.src.rank === t.rank);
    expect(local.length).toBe(3);
  });

  it('re-forms the ring around the gap and re-roots the tree', () => {
    const ring = failedAllReduce('ring', spec(4, 8), { rank: 2, wave: 1 });
    expect(ring.survivors).toEqual([0, 1, 3]);
    const sends = new Set(
      ring.after.tasks
        .slice(ring.reformTasks)
        .filter((t) => t.kind === 'move' && t.src.rank !== t.dst.rank)
        .map((t) => (t.kind === 'move' ? `${t.src.rank}->${t.dst.rank}` : '')),
    );
    expect([...sends].sort()).toEqual(['0->1', '1->3', '3->0']);
    const tree = failedAllReduce('tree', spec(4, 8), { rank: 0, wave: 0 });
    // Rank 1, the lowest survivor, is the new root: it receives from every other survivor's
    // subtree and sends the result down; rank 0 takes no part.
    const rerun = tree.after.tasks.slice(tree.reformTasks);
    expect(rerun.some((t) => t.kind === 'move' && (t.src.rank === 0 || t.dst.rank === 0))).toBe(
      false,
    );
    expect(rerun.some((t) => t.kind === 'move' && t.dst.rank === 1 && t.src.rank !== 1)).toBe(true);
  });

  it('refuses what it cannot do, naming the value and the limit', () => {
    expect(() => parseFailure('2', 4, 6)).toThrow(/RANK@WAVE/);
    expect(() => parseFailure('4@1', 4, 6)).toThrow(/failed rank 4 must be below ranks 4/);
    expect(() => parseFailure('1@6', 4, 6)).toThrow(/wave 6 must be below the plan's 6 waves/);
    expect(() => parseFailure('0@0', 1, 1)).toThrow(/at least 2 ranks/);
    expect(() =>
      failedAllReduce('ring', { ...spec(4, 8), inPlace: true }, { rank: 1, wave: 0 }),
    ).toThrow(/out-of-place/);
    expect(() => failedAllReduce('hierarchical', spec(4, 8), { rank: 1, wave: 0 })).toThrow(
      /not 'hierarchical'/,
    );
    expect(() => failedAllReduce('nope', spec(4, 8), { rank: 1, wave: 0 })).toThrow(/have: ring/);
  });
});

describe('a failed run as one graph (for stepping)', () => {
  it('computes what the two graphs do, and its recovery starts after every wave that ran', () => {
    const run = failedAllReduce('ring', spec(5, 13), { rank: 1, wave: 4 });
    const { graph, recoveryWave } = failedAsOneGraph(run);
    validateGraph(graph);
    expect(graph.tasks).toHaveLength(run.before.tasks.length + run.after.tasks.length);
    const wave = waveOf(graph);
    for (const t of run.before.tasks) expect(wave[t.id] as number).toBeLessThan(recoveryWave);
    for (let id = run.before.tasks.length; id < graph.tasks.length; id++) {
      expect(wave[id] as number).toBeGreaterThanOrEqual(recoveryWave);
    }
    const one = allocateGraphBuffers(graph);
    const two = allocateGraphBuffers(run.before);
    one.forEach((own, r) => {
      for (const [name, v] of Object.entries(own)) {
        for (let i = 0; i < v.length; i++) v[i] = (r * 7 + i * 3 + name.length) % 5;
        ((two[r] as Record<string, Float32Array>)[name] as Float32Array).set(v);
      }
    });
    writeVotes(run, one);
    writeVotes(run, two);
    interpretGraph(graph, one);
    interpretGraph(run.after, interpretGraph(run.before, two));
    expect(one).toEqual(two);
    expect(membersDisagree(run, one)).toBeUndefined();
  });
});
