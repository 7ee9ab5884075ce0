// The MLP training step as a plan (src/plans/training/), checked on the CPU: the graph
// interpreter (an f32 execution, each kernel by its oracle) lies within the reference's derived
// bound of the f64 step on every rank, for one rank and data parallel on 2, 3 and 4; the bound
// is tight enough to mean something; buckets follow the backward's order; and without overlap
// no bucket starts before the backward pass ends. The GPU's side: test/gpu/training.test.ts.
import { describe, expect, it } from 'vitest';
import { interpretGraph } from '../../src/exec/interpreter/graph.ts';
import { scatterTrainingInputs, trainingInputs } from '../../src/exec/training/inputs.ts';
import {
  checkBounded,
  GELU_MAX_CURVATURE,
  GELU_MAX_SLOPE,
  trainingReference,
} from '../../src/exec/training/reference.ts';
import type { TrainingInfo } from '../../src/plans/plan.ts';
import {
  type DataParallelSpec,
  dataParallelGraph,
  gradientBuckets,
} from '../../src/plans/training/data-parallel.ts';
import { paramCount } from '../../src/plans/training/mlp.ts';
import { validateGraph } from '../../src/plans/validate-graph.ts';

const SPEC = { layers: 3, d: 8, batch: 12 };

/** The last index where `ok` holds (Array.findLastIndex is ES2023, past this project's lib). */
function lastIndex<T>(items: readonly T[], ok: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (ok(items[i] as T)) return i;
  return -1;
}

function infoOf(graph: ReturnType<typeof dataParallelGraph>): TrainingInfo {
  if (graph.info.kind !== 'training') throw new Error('not a training graph');
  return graph.info.training;
}

describe('a data-parallel step, interpreted in f32, within the f64 reference’s bound', () => {
  it.each([
    [1, 'ring'],
    [2, 'ring'],
    [3, 'ring'],
    [4, 'tree'],
    [3, 'rhd'],
    [2, 'direct'],
  ])('%i ranks, %s AllReduce, a bucket per layer', (ranks, algorithm) => {
    const graph = dataParallelGraph({ ...SPEC, ranks, algorithm, bucketBytes: 1 });
    validateGraph(graph);
    const info = infoOf(graph);
    const inputs = trainingInputs(info, 3);
    const out = interpretGraph(graph, scatterTrainingInputs(graph, info, inputs));
    const ref = trainingReference(info, inputs);
    for (const own of out) {
      expect(checkBounded(own.grad as Float32Array, ref.grad).wrong).toBe(0);
      expect(checkBounded(own.params as Float32Array, ref.params).wrong).toBe(0);
    }
  });

  it.each([
    [1, 2, 'ring'],
    [2, 3, 'ring'],
    [2, 4, 'rhd'],
    [3, 2, 'ring'],
    [3, 4, 'ring'],
    [3, 3, 'rhd'],
  ] as const)(
    'ZeRO %i on %i ranks (%s): every rank’s shards, and its model, as plain DP’s',
    (zero, ranks, algorithm) => {
      const graph = dataParallelGraph({ ...SPEC, ranks, algorithm, zero, bucketBytes: 300 });
      validateGraph(graph);
      const info = infoOf(graph);
      const inputs = trainingInputs(info, 3);
      const out = interpretGraph(graph, scatterTrainingInputs(graph, info, inputs));
      const ref = trainingReference(info, inputs);
      const P = ref.params.v.length;
      let held = 0;
      out.forEach((own, r) => {
        const owns = info.owns[r] as (typeof info.owns)[number];
        for (const [runs, got, want] of [
          [owns.grads, own.grad, ref.grad],
          [owns.params, own.params, ref.params],
        ] as const) {
          for (const { offset, count } of runs) {
            const part = {
              v: want.v.subarray(offset, offset + count),
              e: want.e.subarray(offset, offset + count),
            };
            expect(
              checkBounded((got as Float32Array).subarray(offset, offset + count), part).wrong,
            ).toBe(0);
          }
        }
        held += owns.params.reduce((t, x) => t + x.count, 0);
        // ZeRO shards the gradients: a rank holds about 1 / N of them.
        expect(owns.grads.reduce((t, x) => t + x.count, 0)).toBeLessThan(P);
      });
      // ZeRO 1 and 2 give every rank the whole model back; ZeRO 3's shards tile it once.
      expect(held).toBe(zero === 3 ? P : ranks * P);
    },
  );

  it('ZeRO 3 without its gathers would read NaN: the first stage-3 rank starts from shards', () => {
    const graph = dataParallelGraph({ ...SPEC, ranks: 2, zero: 3 });
    const info = infoOf(graph);
    const start = scatterTrainingInputs(graph, info, trainingInputs(info, 3));
    const params = start[0]?.params as Float32Array;
    const nan = params.reduce((n, v) => n + (Number.isNaN(v) ? 1 : 0), 0);
    expect(nan).toBeGreaterThan(0.4 * params.length);
    expect(graph.tasks.some((t) => t.label.startsWith('gather 0: '))).toBe(true);
  });

  it('the bound means something: a median 1e-3 of the gradient, and the step is not a no-op', () => {
    const graph = dataParallelGraph({ ...SPEC, ranks: 2 });
    const info = infoOf(graph);
    const inputs = trainingInputs(info, 3);
    const ref = trainingReference(info, inputs);
    const rel = Array.from(ref.grad.e, (e, i) => e / Math.abs(ref.grad.v[i] as number)).sort(
      (a, b) => a - b,
    );
    expect(rel[rel.length >> 1]).toBeLessThan(1e-3);
    // The update moves the weights by more than their bound: a step that did nothing fails.
    let moved = 0;
    for (let i = 0; i < ref.params.v.length; i++) {
      const delta = Math.abs((ref.params.v[i] as number) - (inputs.params[i] as number));
      if (delta > (ref.params.e[i] as number)) moved++;
    }
    expect(moved).toBeGreaterThan(0.9 * ref.params.v.length);
    expect(ref.loss).toBeGreaterThan(0);
  });

  it('the exact values do not depend on the split: 1 rank and 4 ranks agree to f64 roundoff', () => {
    const one = trainingReference({ ...SPEC, rows: [12] }, trainingInputs(SPEC, 5));
    const four = trainingReference({ ...SPEC, rows: [3, 3, 3, 3] }, trainingInputs(SPEC, 5));
    for (let i = 0; i < one.grad.v.length; i++) {
      expect(Math.abs((one.grad.v[i] as number) - (four.grad.v[i] as number))).toBeLessThan(1e-14);
    }
    // A bigger split sums more terms at the AllReduce: its bound is no smaller.
    expect(Math.max(...four.grad.e)).toBeGreaterThan(0);
  });

  it('catches a wrong step: gradients not summed across ranks lie outside the bound', () => {
    const graph = dataParallelGraph({ ...SPEC, ranks: 2 });
    const info = infoOf(graph);
    const inputs = trainingInputs(info, 3);
    const ref = trainingReference(info, inputs);
    const one = trainingReference(
      { ...info, rows: [6] },
      {
        ...inputs,
        x: inputs.x.subarray(0, 48),
        target: inputs.target.subarray(0, 48),
        params: inputs.params,
        lr: inputs.lr,
      },
    );
    expect(checkBounded(Float32Array.from(one.grad.v), ref.grad).wrong).toBeGreaterThan(0);
  });
});

describe('gradient buckets', () => {
  it('take layers from the last, closing once they hold bucketBytes', () => {
    // A layer of d = 8 is 4 (64 + 8) = 288 B.
    const buckets = gradientBuckets(4, 8, 600);
    expect(buckets.map((b) => b.layers)).toEqual([[3, 2, 1], [0]]);
    expect(gradientBuckets(4, 8, 1).map((b) => b.layers)).toEqual([[3], [2], [1], [0]]);
    const all = gradientBuckets(4, 8, 1e9);
    expect(all).toEqual([
      { offset: 0, count: paramCount({ layers: 4, d: 8 }), layers: [3, 2, 1, 0] },
    ]);
    // Runs of 'grad' that tile it without gaps, the last layer's first.
    const b = gradientBuckets(4, 8, 288);
    expect(b.map((x) => [x.offset, x.count])).toEqual([
      [216, 72],
      [144, 72],
      [72, 72],
      [0, 72],
    ]);
  });

  it('refuse a size that is not above 0 B', () => {
    expect(() => gradientBuckets(2, 8, 0)).toThrow(/bucket 0 B must be above 0 B/);
  });

  it('with overlap, the first bucket’s collective starts before the last backward kernel', () => {
    for (const overlap of [true, false]) {
      const graph = dataParallelGraph({ ...SPEC, ranks: 2, bucketBytes: 1, overlap });
      const firstComm = graph.tasks.findIndex((t) => t.stream === 'comm');
      const lastBackward = lastIndex(graph.tasks, (t) => t.label.startsWith('backward'));
      // Walk the dependencies back from the first comm task: does it reach the last backward?
      const seen = new Set<number>();
      const stack = [firstComm];
      while (stack.length) {
        const id = stack.pop() as number;
        for (const d of graph.tasks[id]?.deps ?? []) {
          if (!seen.has(d)) {
            seen.add(d);
            stack.push(d);
          }
        }
      }
      const lastOnRank = lastIndex(
        graph.tasks,
        (t) => t.label.startsWith('backward') && t.rank === graph.tasks[firstComm]?.rank,
      );
      expect(seen.has(lastOnRank), `overlap ${overlap}`).toBe(!overlap);
      expect(lastBackward).toBeGreaterThan(0);
    }
  });
});

describe('bad shapes are named with their limits', () => {
  it.each<[DataParallelSpec, RegExp]>([
    [{ ...SPEC, ranks: 0 }, /ranks 0 must be a whole number from 1 to 64/],
    [{ ...SPEC, ranks: 13 }, /batch 12 must be at least ranks 13/],
    [{ ...SPEC, layers: 0, ranks: 1 }, /layers 0 must be a whole number from 1 to 64/],
    [{ ...SPEC, d: 1.5, ranks: 1 }, /d 1.5 must be a whole number/],
    [{ ...SPEC, ranks: 2, algorithm: 'nope' }, /no allreduce algorithm 'nope' \(have: ring/],
    [
      { ...SPEC, ranks: 2, algorithm: 'tree', zero: 1 },
      /no reducescatter algorithm 'tree' \(have: ring, rhd/,
    ],
    [{ ...SPEC, ranks: 2, zero: 4 as DataParallelSpec['zero'] }, /zero 4 must be 0, 1, 2 or 3/],
  ])('%o', (spec, message) => {
    expect(() => dataParallelGraph(spec)).toThrow(message);
  });
});

describe('the GeLU constants of the bound', () => {
  it('1.13 bounds |GeLU’| and 0.8 bounds |GeLU’’| of the tanh form', () => {
    const c = Math.sqrt(2 / Math.PI);
    const g = (z: number) => 0.5 * z * (1 + Math.tanh(c * (z + 0.044715 * z ** 3)));
    const h = 1e-4;
    let slope = 0;
    let curvature = 0;
    for (let z = -12; z <= 12; z += 1e-3) {
      slope = Math.max(slope, Math.abs((g(z + h) - g(z - h)) / (2 * h)));
      curvature = Math.max(curvature, Math.abs((g(z + h) - 2 * g(z) + g(z - h)) / (h * h)));
    }
    expect(slope).toBeLessThan(GELU_MAX_SLOPE);
    expect(curvature).toBeLessThan(GELU_MAX_CURVATURE);
  });
});
