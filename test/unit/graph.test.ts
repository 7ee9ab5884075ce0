// Plan v2 as a graph: every registered builder's steps, turned into tasks with data
// dependencies, validate; the graph interpreter computes the step interpreter's bits in list
// order and in other orders the dependencies allow (each wave reversed); waves never outnumber
// steps and equal them for the ring; validateGraph rejects forward dependencies, places out of
// range and hazards between tasks that may run at once, and accepts an order through a path.
import { describe, expect, it } from 'vitest';
import { allocateGraphBuffers, interpretGraph } from '../../src/exec/interpreter/graph.ts';
import { allocateBuffers, interpret } from '../../src/exec/interpreter/steps.ts';
import { fill as randomValues } from '../../src/exec/random/fill.ts';
import { graphOf } from '../../src/plans/from-steps.ts';
import type { Graph, MoveTask, Task } from '../../src/plans/graph.ts';
import { waves } from '../../src/plans/graph.ts';
import type { Collective, Plan } from '../../src/plans/plan.ts';
import { ALGORITHMS } from '../../src/plans/registry.ts';
import { tensorParallel } from '../../src/plans/tensor-parallel.ts';
import { planOf } from '../../src/plans/to-steps.ts';
import { PlanError, validatePlan } from '../../src/plans/validate.ts';
import { validateGraph } from '../../src/plans/validate-graph.ts';
import { integerInputs, placeInputs } from '../plan-check.ts';

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** The plan's steps and its graph, from the same inputs: every buffer of every rank alike. */
function checkAgainstSteps(plan: Plan, fill: 'integers' | 'random'): void {
  const graph = graphOf(plan);
  validateGraph(graph);
  const start = allocateBuffers(plan);
  if (fill === 'integers') placeInputs(plan, start, integerInputs(plan, plan.ranks * 7 + 1));
  else
    start.forEach((b, r) => {
      b.send.set(randomValues('float', b.send.length, 17 + r));
    });
  const viaSteps = interpret(
    plan,
    start.map((b) => ({ send: b.send.slice(), recv: b.recv.slice() })),
  );
  const orders: Iterable<number>[] = [
    graph.tasks.keys(),
    waves(graph).flatMap((w) => [...w].reverse()),
  ];
  for (const order of orders) {
    const buffers = allocateGraphBuffers(graph);
    start.forEach((b, r) => {
      (buffers[r] as Record<string, Float32Array | Int32Array>).send?.set(b.send);
      (buffers[r] as Record<string, Float32Array | Int32Array>).recv?.set(b.recv);
    });
    interpretGraph(graph, buffers, order);
    viaSteps.forEach((b, r) => {
      for (const name of ['send', 'recv'] as const) {
        const got = (buffers[r] as Record<string, Float32Array | Int32Array>)[name];
        if (!got || !sameBits(got, b[name])) {
          expect(Array.from(got ?? []), `rank ${r} ${name}`).toEqual(Array.from(b[name]));
        }
      }
    });
  }
}

describe('every builder as a graph', () => {
  for (const [collective, algorithms] of Object.entries(ALGORITHMS)) {
    for (const algorithm of Object.keys(algorithms)) {
      it(`${collective} ${algorithm}: validates and computes what its steps compute`, () => {
        for (const ranks of [1, 2, 3, 4, 5, 8, 12]) {
          for (const count of [0, 1, 7, 64, 203]) {
            for (const inPlace of [false, true]) {
              const build = ALGORITHMS[collective as Collective][algorithm];
              const plan = build?.({
                ranks,
                count,
                dtype: 'int32',
                redop: 'sum',
                inPlace,
                root: ranks - 1,
              }) as Plan;
              checkAgainstSteps(plan, 'integers');
              const graph = graphOf(plan);
              expect(waves(graph).length).toBeLessThanOrEqual(plan.steps.length);
            }
          }
        }
      });
    }
  }

  it('the ring steps wave by wave: each step is one wave', () => {
    const plan = ALGORITHMS.allreduce.ring?.({
      ranks: 6,
      count: 96,
      dtype: 'float',
      redop: 'sum',
      inPlace: false,
    }) as Plan;
    const graph = graphOf(plan);
    const byWave = waves(graph);
    expect(byWave.length).toBe(plan.steps.length);
    byWave.forEach((ids, w) => {
      expect(ids.length).toBe(plan.steps[w]?.ops.length);
      for (const id of ids) expect(graph.stepOf[id]).toBe(w);
    });
  });

  it('tensor-parallel plans: kernels on compute streams, the same results as their steps', () => {
    for (const layout of ['column', 'row', 'mlp', 'attention'] as const) {
      for (const ranks of [1, 2, 4]) {
        const plan = tensorParallel({ layout, ranks, m: 4, k: 16, n: 8 });
        checkAgainstSteps(plan, 'random');
        const graph = graphOf(plan);
        const kernels = graph.tasks.filter((t) => t.kind === 'kernel');
        expect(kernels.length).toBeGreaterThan(0);
        expect(kernels.every((t) => t.stream === 'compute')).toBe(true);
        expect(graph.info.kind).toBe('tensor-parallel');
      }
    }
  });
});

describe('validateGraph', () => {
  /** Two ranks, a buffer 'x' of 8 elements each; moves described by their ends and deps. */
  function twoRanks(moves: Omit<MoveTask, 'id' | 'kind' | 'stream' | 'label' | 'chunk'>[]): Graph {
    const tasks: Task[] = moves.map((m, id) => ({
      kind: 'move',
      id,
      stream: 'comm',
      label: `move ${id}`,
      chunk: 0,
      ...m,
    }));
    return {
      ranks: 2,
      buffers: [0, 1].map((rank) => ({ name: 'x', rank, dtype: 'float', count: 8 })),
      tasks,
      dtype: 'float',
      redop: 'sum',
      input: [0, 1].map(() => ({ buffer: 'x', offset: 0, count: 8 })),
      output: [0, 1].map(() => ({ buffer: 'x', offset: 0, count: 8 })),
      info: {
        kind: 'collective',
        collective: 'allreduce',
        algorithm: 'test',
        count: 8,
        root: 0,
        inPlace: true,
      },
    };
  }
  const at = (rank: number, offset: number) => ({ rank, buffer: 'x', offset });

  it('accepts a write ordered after a read through a path of dependencies', () => {
    const graph = twoRanks([
      { rank: 1, deps: [], src: at(0, 0), dst: at(1, 0), count: 4, op: 'copy' },
      { rank: 1, deps: [0], src: at(1, 4), dst: at(1, 6), count: 2, op: 'copy' },
      // Writes rank 0's [0, 4), which task 0 read: ordered through task 1.
      { rank: 0, deps: [1], src: at(1, 0), dst: at(0, 0), count: 4, op: 'reduce' },
    ]);
    expect(() => validateGraph(graph)).not.toThrow();
  });

  it('rejects two unordered tasks where one writes what the other reads', () => {
    const graph = twoRanks([
      { rank: 1, deps: [], src: at(0, 0), dst: at(1, 0), count: 4, op: 'copy' },
      { rank: 0, deps: [], src: at(1, 4), dst: at(0, 2), count: 4, op: 'copy' },
    ]);
    expect(() => validateGraph(graph)).toThrow(/tasks 0 and 1 may run at once/);
  });

  it('rejects two unordered writes of overlapping ranges, and accepts disjoint ones', () => {
    const overlapping = twoRanks([
      { rank: 1, deps: [], src: at(0, 0), dst: at(1, 0), count: 4, op: 'reduce' },
      { rank: 1, deps: [], src: at(0, 4), dst: at(1, 3), count: 2, op: 'reduce' },
    ]);
    expect(() => validateGraph(overlapping)).toThrow(PlanError);
    const disjoint = twoRanks([
      { rank: 1, deps: [], src: at(0, 0), dst: at(1, 0), count: 4, op: 'reduce' },
      { rank: 1, deps: [], src: at(0, 0), dst: at(1, 4), count: 4, op: 'reduce' },
    ]);
    expect(() => validateGraph(disjoint)).not.toThrow();
  });

  it('rejects a dependency on a later task, unsorted ones, and places out of range', () => {
    const forward = twoRanks([
      { rank: 1, deps: [1], src: at(0, 0), dst: at(1, 0), count: 4, op: 'copy' },
      { rank: 1, deps: [], src: at(0, 4), dst: at(1, 4), count: 4, op: 'copy' },
    ]);
    expect(() => validateGraph(forward)).toThrow(/depends on task 1, which is not an earlier/);
    const outside = twoRanks([
      { rank: 1, deps: [], src: at(0, 6), dst: at(1, 0), count: 4, op: 'copy' },
    ]);
    expect(() => validateGraph(outside)).toThrow(/x\[6\.\.10\) of rank 0 is outside its 8/);
    const noBuffer = twoRanks([
      {
        rank: 1,
        deps: [],
        src: { rank: 0, buffer: 'w', offset: 0 },
        dst: at(1, 0),
        count: 1,
        op: 'copy',
      },
    ]);
    expect(() => validateGraph(noBuffer)).toThrow(/rank 0 has no buffer 'w'/);
    const selfOverlap = twoRanks([
      { rank: 0, deps: [], src: at(0, 0), dst: at(0, 2), count: 4, op: 'copy' },
    ]);
    expect(() => validateGraph(selfOverlap)).toThrow(/reads and writes overlapping/);
  });
});

describe('planOf: a graph back as steps, one a wave', () => {
  it('every builder: the steps of its graph compute what its own steps compute', () => {
    for (const [collective, algorithms] of Object.entries(ALGORITHMS)) {
      for (const build of Object.values(algorithms)) {
        for (const ranks of [1, 3, 4, 8]) {
          const plan = build({
            ranks,
            count: 100,
            dtype: 'int32',
            redop: 'max',
            inPlace: false,
            root: 1 % ranks,
          });
          const back = planOf(graphOf(plan));
          validatePlan(back);
          expect(back.steps.length).toBe(waves(graphOf(plan)).length);
          const { steps: _a, ...header } = back;
          const { steps: _b, ...want } = plan;
          expect(header, `${collective} ${plan.algorithm}`).toEqual(want);
          const inputs = integerInputs(plan, 5);
          const run = (p: Plan) => {
            const b = allocateBuffers(p);
            placeInputs(p, b, inputs);
            return interpret(p, b);
          };
          expect(run(back)).toEqual(run(plan));
        }
      }
    }
  });

  it('a ring comes back step for step; a tensor-parallel layer keeps its layer', () => {
    const ring = ALGORITHMS.allreduce.ring?.({
      ranks: 5,
      count: 40,
      dtype: 'float',
      redop: 'sum',
      inPlace: true,
    }) as Plan;
    expect(planOf(graphOf(ring)).steps).toEqual(ring.steps);
    const tp = tensorParallel({ layout: 'mlp', ranks: 2, m: 4, k: 8, n: 8 });
    const back = planOf(graphOf(tp));
    expect(back.layer).toEqual(tp.layer);
    expect(back.sizes).toEqual(tp.sizes);
    expect(back.count).toBe(tp.count);
  });

  it('refuses a buffer a lock-step plan cannot hold, naming it', () => {
    const g = graphOf(
      ALGORITHMS.allreduce.ring?.({
        ranks: 2,
        count: 8,
        dtype: 'float',
        redop: 'sum',
        inPlace: true,
      }) as Plan,
    );
    const renamed = {
      ...g,
      buffers: g.buffers.map((b) => ({ ...b, name: b.name === 'recv' ? 'grad' : b.name })),
    };
    expect(() => planOf(renamed)).toThrow(/buffer 'grad': lock-step plans hold only send and recv/);
  });
});
