// Composition of graphs: embed places a collective on other ranks and inside other buffers, with
// the dependencies its data needs on what the host holds and nothing more; sequence orders
// parts; concurrently keeps them apart and refuses parts whose data would order them. Every
// composed graph validates and computes, on the CPU, what its parts compute one by one.
import { describe, expect, it } from 'vitest';
import { allocateGraphBuffers, interpretGraph } from '../../src/exec/interpreter/graph.ts';
import { concurrently, embed, lastTasks, sequence } from '../../src/plans/combinators.ts';
import type { ElementArray } from '../../src/plans/dtype.ts';
import { graphOf } from '../../src/plans/from-steps.ts';
import type { Graph, PlanInfo } from '../../src/plans/graph.ts';
import { GraphBuilder } from '../../src/plans/graph-builder.ts';
import { packBuffers, packGraph, packingOf, unpackBuffers } from '../../src/plans/pack.ts';
import type { Plan } from '../../src/plans/plan.ts';
import { ALGORITHMS } from '../../src/plans/registry.ts';
import { validateGraph } from '../../src/plans/validate-graph.ts';

const INFO: PlanInfo = {
  kind: 'collective',
  collective: 'allreduce',
  algorithm: 'composed',
  count: 0,
  root: 0,
  inPlace: true,
};

function allreduce(algorithm: string, ranks: number, count: number): Graph {
  const build = ALGORITHMS.allreduce[algorithm];
  if (!build) throw new Error(algorithm);
  return graphOf(build({ ranks, count, dtype: 'int32', redop: 'sum', inPlace: true }) as Plan);
}

/** rank r's buffer `name` filled with r * 1000 + i. */
function filled(graph: Graph) {
  const buffers = allocateGraphBuffers(graph);
  buffers.forEach((own, r) => {
    for (const a of Object.values(own)) for (let i = 0; i < a.length; i++) a[i] = r * 1000 + i;
  });
  return buffers;
}

const recv = (b: Record<string, ElementArray>[], r: number) => Array.from(b[r]?.recv ?? []);

describe('embed', () => {
  it('places a 4-rank AllReduce on host ranks 4..7, at offset 64 of their recv', () => {
    const host = new GraphBuilder(8, 'int32', 'sum');
    for (let r = 0; r < 8; r++) host.buffer(r, 'recv', 128);
    const sub = allreduce('ring', 4, 32);
    const e = embed(host, sub, {
      ranks: [4, 5, 6, 7],
      buffers: { recv: { name: 'recv', offset: 64 } },
      label: 'ar: ',
    });
    const whole = Array.from({ length: 8 }, () => ({ buffer: 'recv', offset: 0, count: 128 }));
    const graph = host.build(INFO, whole, whole);
    validateGraph(graph);
    expect(e.ids.length).toBe(sub.tasks.length);
    expect(graph.tasks.every((t) => t.label.startsWith('ar: '))).toBe(true);
    const b = interpretGraph(graph, filled(graph));
    for (let r = 0; r < 8; r++) {
      const got = recv(b, r);
      for (let i = 0; i < 128; i++) {
        const inside = r >= 4 && i >= 64 && i < 96;
        // Inside: the sum over ranks 4..7 of r * 1000 + i; outside: untouched.
        const want = inside ? (4 + 5 + 6 + 7) * 1000 + 4 * i : r * 1000 + i;
        if (got[i] !== want) expect(`rank ${r} [${i}] = ${got[i]}`).toBe(`= ${want}`);
      }
    }
  });

  it('waits for the host task that wrote its data, and for no other', () => {
    const host = new GraphBuilder(2, 'int32', 'sum');
    for (const r of [0, 1]) {
      host.buffer(r, 'recv', 16);
      host.buffer(r, 'grad', 16);
    }
    // Two "backward" writes per rank: one into the bucket the AllReduce reads, one elsewhere.
    const bucket = [0, 1].map((r) =>
      host.move({
        src: { rank: r, buffer: 'grad', offset: 0 },
        dst: { rank: r, buffer: 'recv', offset: 0 },
        count: 8,
        op: 'copy',
        label: 'bucket 0',
      }),
    );
    const other = [0, 1].map((r) =>
      host.move({
        src: { rank: r, buffer: 'grad', offset: 8 },
        dst: { rank: r, buffer: 'recv', offset: 8 },
        count: 8,
        op: 'copy',
        label: 'bucket 1',
      }),
    );
    const e = embed(host, allreduce('ring', 2, 8), { stream: 'comm' });
    const deps = new Set(e.ids.flatMap((id) => host.task(id).deps));
    for (const id of bucket) expect(deps.has(id)).toBe(true);
    for (const id of other) expect(deps.has(id)).toBe(false);
  });

  it('names what is wrong: a rank off the host, a buffer of another type', () => {
    const host = new GraphBuilder(2, 'int32', 'sum');
    expect(() => embed(host, allreduce('ring', 4, 8))).toThrow(
      /sub-graph rank 2 maps to 2, not a host rank \(0..1\)/,
    );
    const floats = new GraphBuilder(4, 'float', 'sum');
    expect(() => embed(floats, allreduce('ring', 4, 8))).toThrow(/int32 sum sub-graph/);
  });
});

describe('sequence and concurrently', () => {
  it('sequence: the second AllReduce starts after the first ends, and sums its result', () => {
    const host = new GraphBuilder(4, 'int32', 'sum');
    const [first, second] = sequence(host, [
      { graph: allreduce('ring', 4, 16) },
      { graph: allreduce('rhd', 4, 16) },
    ]);
    const graph = host.build(INFO, [], []);
    // The second part's first tasks (none of their dependencies inside it) wait for all of the
    // first part's last tasks.
    const inSecond = new Set(second?.ids);
    const firsts = [...inSecond].filter((id) =>
      graph.tasks[id]?.deps.every((d) => !inSecond.has(d)),
    );
    expect(firsts.length).toBeGreaterThan(0);
    for (const id of firsts) {
      for (const last of first?.last ?? []) expect(graph.tasks[id]?.deps).toContain(last);
    }
    const b = interpretGraph(graph, filled(graph));
    // Twice all-reduced: 4 x (sum over ranks of r * 1000 + i).
    for (let r = 0; r < 4; r++) {
      expect(recv(b, r)).toEqual(Array.from({ length: 16 }, (_, i) => 4 * (6000 + 4 * i)));
    }
  });

  it('concurrently: AllReduces on disjoint halves of recv share no dependency', () => {
    const host = new GraphBuilder(4, 'int32', 'sum');
    for (let r = 0; r < 4; r++) host.buffer(r, 'recv', 32);
    const parts = concurrently(host, [
      { graph: allreduce('ring', 4, 16) },
      {
        graph: allreduce('tree', 4, 16),
        placement: { buffers: { recv: { name: 'recv', offset: 16 } } },
      },
    ]);
    const graph = host.build(INFO, [], []);
    const a = new Set(parts[0]?.ids);
    for (const id of parts[1]?.ids ?? []) {
      for (const d of graph.tasks[id]?.deps ?? []) expect(a.has(d)).toBe(false);
    }
    expect(lastTasks(graph).length).toBeGreaterThan(1);
    const b = interpretGraph(graph, filled(graph));
    for (let r = 0; r < 4; r++) {
      expect(recv(b, r)).toEqual(Array.from({ length: 32 }, (_, i) => 6000 + 4 * i));
    }
  });

  it('concurrently refuses parts that touch the same elements', () => {
    const host = new GraphBuilder(4, 'int32', 'sum');
    expect(() =>
      concurrently(host, [
        { graph: allreduce('ring', 4, 16) },
        { graph: allreduce('tree', 4, 16) },
      ]),
    ).toThrow(/parts 0 and 1 cannot run concurrently/);
  });
});

describe('packGraph', () => {
  it('packs named buffers into one per rank, 64-aligned, and computes the same', () => {
    const host = new GraphBuilder(3, 'int32', 'sum');
    for (let r = 0; r < 3; r++) {
      host.buffer(r, 'w', 10);
      host.buffer(r, 'grad', 70);
    }
    embed(host, allreduce('ring', 3, 70), { buffers: { recv: { name: 'grad', offset: 0 } } });
    for (let r = 0; r < 3; r++) {
      host.move({
        src: { rank: r, buffer: 'grad', offset: 60 },
        dst: { rank: r, buffer: 'w', offset: 0 },
        count: 10,
        op: 'reduce',
        label: 'update',
      });
    }
    const whole = Array.from({ length: 3 }, () => ({ buffer: 'w', offset: 0, count: 10 }));
    const graph = host.build(INFO, whole, whole);
    const packing = packingOf(graph);
    expect(packing.offsets[0]?.get('w')).toBe(0);
    expect(packing.offsets[0]?.get('grad')).toBe(64);
    expect(packing.sizes).toEqual([192, 192, 192]);
    const packed = packGraph(graph, packing);
    validateGraph(packed);
    const start = filled(graph);
    const want = interpretGraph(
      graph,
      start.map((o) => ({
        ...o,
        w: o.w?.slice() as ElementArray,
        grad: o.grad?.slice() as ElementArray,
      })),
    );
    const run = interpretGraph(
      packed,
      packBuffers(packing, start, (n) => new Int32Array(n)),
    );
    expect(unpackBuffers(graph, packing, run as never)).toEqual(want);
  });
});
