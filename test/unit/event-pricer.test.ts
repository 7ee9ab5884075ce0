// The event-driven pricer (src/model/event-pricer.ts): lock-step plans as graphs price as their
// closed forms where the step pricer does (pricers-exact.test.ts runs one table against both),
// and never above the step pricer where data dependencies let tasks start early; what the step pricer cannot express: compute under comm, link sharing over
// time, stragglers, one stream's kernels in a row, the critical path, bubble and overlap.
import { describe, expect, it } from 'vitest';
import { localFabric, ringFabric, switchFabric, torusFabric } from '../../src/fabric/topologies.ts';
import { priceGraph } from '../../src/model/event-pricer.ts';
import { pricePlan } from '../../src/model/pricer.ts';
import { graphOf } from '../../src/plans/from-steps.ts';
import type { Graph, KernelTask, MoveTask, Task } from '../../src/plans/graph.ts';
import type { Plan } from '../../src/plans/plan.ts';
import { ALGORITHMS } from '../../src/plans/registry.ts';
import { ringAllReduce } from '../../src/plans/ring.ts';
import { tensorParallel } from '../../src/plans/tensor-parallel.ts';
import { validateGraph } from '../../src/plans/validate-graph.ts';

const alpha_s = 5e-6;
const beta_Bps = 50e9;
const gamma_s_per_B = 2e-12;
const link = { alpha_s, beta_Bps };
const _model = { alpha: alpha_s, beta: beta_Bps, gamma: gamma_s_per_B };
const relativeError = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** The plan as a graph (validated: the pricer trusts its dependencies), priced. */
function price(plan: Plan, fabric: Parameters<typeof priceGraph>[1]) {
  const graph = graphOf(plan);
  validateGraph(graph);
  return priceGraph(graph, fabric);
}

// Where the event pricer equals the closed forms: pricers-exact.test.ts (both pricers, one table).

describe('the registered builders as graphs', () => {
  const lk = { alpha_s: 3e-6, beta_Bps: 25e9 };
  it('never above the step pricer, on switch, ring and local GPU', () => {
    // A task starts once the tasks of its ranks' previous step are done (a pipelined ring's
    // next chunk, an uneven split's small chunk), where the step pricer waits for the whole
    // step on every rank.
    for (const [collective, algorithms] of Object.entries(ALGORITHMS)) {
      for (const [algorithm, b] of Object.entries(algorithms)) {
        for (const n of [2, 3, 5, 8]) {
          for (const inPlace of [true, false]) {
            const spec = { ranks: n, count: n * 64 + 12, dtype: 'float', redop: 'sum' } as const;
            const p = b({ ...spec, inPlace, root: n - 1 });
            for (const f of [
              switchFabric(n, lk, { gamma_s_per_B }),
              ringFabric(n, lk, { gamma_s_per_B, memory_Bps: 1e11 }),
              localFabric(n, { ...lk, gamma_s_per_B }),
            ]) {
              const steps = pricePlan(p, f).total_s;
              const where = `${collective} ${algorithm} N = ${n} on ${f.name}`;
              expect(price(p, f).total_s, where).toBeLessThanOrEqual(steps * (1 + 1e-12));
            }
          }
        }
      }
    }
  });
});

// Hand-made graphs of moves and kernels on ranks with a buffer 'x' of 1000 floats each. The
// pricer never looks inside a kernel (kernelSeconds prices it), so kernel tasks here carry
// none: these tests hold whatever shape the kernel registry gives kernels.
type MoveSpec = { src: number; dst: number; count: number; deps?: number[]; op?: 'reduce' };
type KernelSpec = { rank: number; deps?: number[] };

function graph(ranks: number, specs: (MoveSpec | KernelSpec)[]): Graph {
  const tasks: Task[] = specs.map((s, id): Task => {
    const deps = s.deps ?? [];
    if ('src' in s) {
      const move: MoveTask = {
        kind: 'move',
        id,
        rank: s.dst,
        stream: 'comm',
        deps,
        label: `move ${id}`,
        src: { rank: s.src, buffer: 'x', offset: 0 },
        dst: { rank: s.dst, buffer: 'x', offset: 0 },
        count: s.count,
        op: s.op ?? 'copy',
        chunk: 0,
      };
      return move;
    }
    return {
      kind: 'kernel',
      id,
      rank: s.rank,
      stream: 'compute',
      deps,
      label: `kernel ${id}`,
      kernel: undefined as unknown as KernelTask['kernel'],
    };
  });
  const regions = Array.from({ length: ranks }, () => ({ buffer: 'x', offset: 0, count: 1000 }));
  return {
    ranks,
    buffers: Array.from({ length: ranks }, (_, rank) => ({
      name: 'x',
      rank,
      dtype: 'float',
      count: 1000,
    })),
    tasks,
    dtype: 'float',
    redop: 'sum',
    input: regions,
    output: regions,
    info: {
      kind: 'collective',
      collective: 'allreduce',
      algorithm: 'test',
      count: 0,
      root: 0,
      inPlace: true,
    },
  };
}

/** kernelSeconds from a table by task id. */
const seconds = (table: Record<number, number>) => (task: KernelTask) => table[task.id] ?? 0;

describe('streams, links and time', () => {
  const b = 4000; // bytes of a 1000-float move
  const move_s = alpha_s + b / beta_Bps;

  it('compute and comm on different streams price to their overlap, not their sum', () => {
    const g = graph(2, [{ rank: 0 }, { src: 1, dst: 0, count: 1000 }]);
    const p = priceGraph(g, switchFabric(2, link), { kernelSeconds: seconds({ 0: 1e-3 }) });
    expect(p.total_s).toBe(1e-3);
    expect(p.end_s[1]).toBeCloseTo(move_s, 18);
    expect(p.comm_s).toBeCloseTo(move_s, 18);
    expect(p.hidden_comm_s).toBeCloseTo(move_s, 18);
    expect(p.overlap).toBeCloseTo(1, 12);
    // The same two, the move after the kernel: their sum, nothing hidden.
    const after = graph(2, [{ rank: 0 }, { src: 1, dst: 0, count: 1000, deps: [0] }]);
    const q = priceGraph(after, switchFabric(2, link), { kernelSeconds: seconds({ 0: 1e-3 }) });
    expect(relativeError(q.total_s, 1e-3 + move_s)).toBeLessThan(1e-12);
    expect(q.overlap).toBe(0);
  });

  it('two transfers starting together on one link take alpha + 2 b / beta each', () => {
    // Ranks 1 and 2 both send to rank 0 over a switch: rank 0's downlink carries both.
    const g = graph(3, [
      { src: 1, dst: 0, count: 1000 },
      { src: 2, dst: 0, count: 1000 },
    ]);
    const p = priceGraph(g, switchFabric(3, link));
    for (const id of [0, 1]) {
      expect(relativeError(p.end_s[id] as number, alpha_s + (2 * b) / beta_Bps)).toBeLessThan(
        1e-12,
      );
    }
    const down = p.links.indexOf('switch->0');
    expect(p.link_bytes[down]).toBe(2 * b);
    expect(relativeError(p.link_busy_s[down] as number, (2 * b) / beta_Bps)).toBeLessThan(1e-12);
    expect(p.link_bytes[p.links.indexOf('1->switch')]).toBe(b);
  });

  it('a shared link reshares when one transfer ends: the longer one speeds up', () => {
    // b and 3 b into rank 0 together: b ends at alpha + 2 b / beta; the rest of the other (2 b)
    // then goes at the full beta, ending at alpha + 4 b / beta (all bytes over one link).
    const g = graph(3, [
      { src: 1, dst: 0, count: 250 },
      { src: 2, dst: 0, count: 750 },
    ]);
    const p = priceGraph(g, switchFabric(3, link));
    const q = 1000; // bytes of 250 floats
    expect(relativeError(p.end_s[0] as number, alpha_s + (2 * q) / beta_Bps)).toBeLessThan(1e-12);
    expect(relativeError(p.end_s[1] as number, alpha_s + (4 * q) / beta_Bps)).toBeLessThan(1e-12);
  });

  it('a multi-hop route costs its largest alpha once and its tightest link (cut-through)', () => {
    const g = graph(16, [{ src: 0, dst: 10, count: 1000 }]);
    const p = priceGraph(g, torusFabric(16, link));
    expect(relativeError(p.total_s, move_s)).toBeLessThan(1e-12);
    // Every link of the route carried the bytes, for the same seconds.
    const used = [...p.link_bytes].filter((x) => x > 0);
    expect(used).toEqual([b, b, b, b]);
  });

  it('reduces into one rank share its reducer after their bytes arrive', () => {
    const g = graph(3, [
      { src: 1, dst: 0, count: 1000, op: 'reduce' },
      { src: 2, dst: 0, count: 1000, op: 'reduce' },
    ]);
    const p = priceGraph(g, switchFabric(3, link, { gamma_s_per_B }));
    const want = alpha_s + (2 * b) / beta_Bps + 2 * b * gamma_s_per_B;
    expect(relativeError(p.total_s, want)).toBeLessThan(1e-12);
  });

  it('a straggler kernel delays exactly its dependents', () => {
    // Four ranks each run a kernel, then send to the next rank; rank 2's kernel takes 3 ms.
    const specs: (MoveSpec | KernelSpec)[] = [0, 1, 2, 3].map((rank) => ({ rank }));
    for (const r of [0, 1, 2, 3]) specs.push({ src: r, dst: (r + 1) % 4, count: 1000, deps: [r] });
    const g = graph(4, specs);
    const times = { 0: 1e-3, 1: 1e-3, 2: 3e-3, 3: 1e-3 };
    const p = priceGraph(g, switchFabric(4, link), { kernelSeconds: seconds(times) });
    expect([...p.start_s.slice(4)]).toEqual([1e-3, 1e-3, 3e-3, 1e-3]);
    expect(relativeError(p.total_s, 3e-3 + move_s)).toBeLessThan(1e-12);
    expect([...p.critical_path]).toEqual([2, 6]);
  });

  it('kernels on one rank run one at a time, ready ones in id order', () => {
    // Kernels 0, 1, 2 on rank 0, all ready at once; kernel 3 on rank 1 runs beside them.
    const g = graph(2, [{ rank: 0 }, { rank: 0 }, { rank: 0 }, { rank: 1 }]);
    const p = priceGraph(g, switchFabric(2, link), {
      kernelSeconds: seconds({ 0: 1e-3, 1: 2e-3, 2: 3e-3, 3: 4e-3 }),
    });
    expect([...p.start_s]).toEqual([0, 1e-3, 3e-3, 0]);
    expect(p.total_s).toBeCloseTo(6e-3, 15);
    expect([...p.critical_path]).toEqual([0, 1, 2]);
    expect(p.compute_busy_s[0]).toBeCloseTo(6e-3, 15);
    expect(p.bubble_s).toBe(0);
  });

  it('on the local GPU all ranks’ kernels share the one GPU', () => {
    const g = graph(2, [{ rank: 0 }, { rank: 1 }]);
    const f = localFabric(2, link);
    const p = priceGraph(g, f, { kernelSeconds: seconds({ 0: 1e-3, 1: 1e-3 }) });
    expect(p.total_s).toBe(2e-3);
  });

  it('the bubble: compute idle between a rank’s first and last kernel', () => {
    // Rank 0 computes, waits for a move from rank 1 (after rank 1's kernel), computes again.
    const g = graph(2, [
      { rank: 0 },
      { rank: 1 },
      { src: 1, dst: 0, count: 1000, deps: [1] },
      { rank: 0, deps: [0, 2] },
    ]);
    const p = priceGraph(g, switchFabric(2, link), {
      kernelSeconds: seconds({ 0: 1e-3, 1: 2e-3, 3: 1e-3 }),
    });
    expect(relativeError(p.start_s[3] as number, 2e-3 + move_s)).toBeLessThan(1e-12);
    expect(relativeError(p.bubble_per_rank_s[0] as number, 1e-3 + move_s)).toBeLessThan(1e-12);
    expect(p.bubble_s).toBe(p.bubble_per_rank_s[0]);
    expect([...p.critical_path]).toEqual([1, 2, 3]);
  });

  it('the critical path of a ring is its chain, one task a step', () => {
    const n = 8;
    const p = ringAllReduce({
      ranks: n,
      count: n * 64,
      dtype: 'float',
      redop: 'sum',
      inPlace: true,
    });
    const g = graphOf(p);
    const priced = priceGraph(g, switchFabric(n, link));
    const path = [...priced.critical_path];
    expect(path).toHaveLength(2 * (n - 1));
    path.forEach((id, i) => {
      expect(g.stepOf[id]).toBe(i);
      if (i > 0) expect(g.tasks[id]?.deps).toContain(path[i - 1]);
    });
    expect(priced.end_s[path[path.length - 1] as number]).toBe(priced.total_s);
  });

  it('a rank-local move is free on a network unless memory bandwidth is given', () => {
    const g = graph(2, [{ src: 1, dst: 1, count: 1000 }]);
    expect(priceGraph(g, ringFabric(2, link)).total_s).toBe(0);
    const p = priceGraph(g, ringFabric(2, link, { memory_Bps: 1e12 }));
    expect(p.total_s).toBe(b / 1e12);
    expect(p.link_bytes[p.links.indexOf('1.memory')]).toBe(b);
  });

  it('a 0-element move still pays alpha; an empty graph costs nothing', () => {
    expect(priceGraph(graph(2, [{ src: 0, dst: 1, count: 0 }]), ringFabric(2, link)).total_s).toBe(
      alpha_s,
    );
    const empty = priceGraph(graph(2, []), ringFabric(2, link));
    expect(empty.total_s).toBe(0);
    expect(empty.critical_path).toHaveLength(0);
  });

  it('tensor-parallel layers: kernels priced by the callback, never above the step pricer', () => {
    for (const layout of ['column', 'row', 'mlp', 'attention'] as const) {
      const p = tensorParallel({ layout, ranks: 4, m: 8, k: 32, n: 16 });
      const f = switchFabric(4, link);
      const steps = pricePlan(p, f, () => 1e-5).total_s;
      const events = priceGraph(graphOf(p), f, { kernelSeconds: () => 1e-5 }).total_s;
      expect(events, layout).toBeLessThanOrEqual(steps * (1 + 1e-12));
      expect(events, layout).toBeGreaterThan(0);
    }
  });

  it('refuses kernels without their times, bad times, and another rank count', () => {
    const g = graph(2, [
      { src: 0, dst: 1, count: 10 },
      { rank: 1, deps: [0] },
    ]);
    expect(() => priceGraph(g, switchFabric(2, link))).toThrow(
      new RangeError('task 1 (kernel 1) runs a kernel: pricing it needs its time (kernelSeconds)'),
    );
    expect(() => priceGraph(g, switchFabric(2, link), { kernelSeconds: () => -1 })).toThrow(
      RangeError,
    );
    expect(() => priceGraph(g, switchFabric(4, link))).toThrow(
      'graph of 2 ranks cannot run on switch of 4',
    );
  });
});
