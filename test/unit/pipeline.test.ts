// Pipeline schedules as data (src/plans/training/schedules.ts) and the pipeline-parallel step
// (pipeline.ts): every stage's passes in a valid order, the peak of in-flight activations the
// book gives (GPipe m, 1F1B at most p), and the step, interpreted in f32, within the f64
// reference's bound on every stage's layers. The GPU's side: test/gpu/training.test.ts.
import { describe, expect, it } from 'vitest';
import { interpretGraph } from '../../src/exec/interpreter/graph.ts';
import { scatterTrainingInputs, trainingInputs } from '../../src/exec/training/inputs.ts';
import { checkBounded, trainingReference } from '../../src/exec/training/reference.ts';
import { switchFabric } from '../../src/fabric/topologies.ts';
import { priceGraph } from '../../src/model/event-pricer.ts';
import { pipelineBubble } from '../../src/model/training.ts';
import { pipelineGraph } from '../../src/plans/training/pipeline.ts';
import { peakInFlight, pipelineSchedule } from '../../src/plans/training/schedules.ts';
import { validateGraph } from '../../src/plans/validate-graph.ts';

describe('pipeline schedules', () => {
  it.each([
    ['gpipe', 4, 8, 1],
    ['1f1b', 4, 8, 1],
    ['1f1b', 4, 2, 1],
    ['interleaved', 4, 8, 2],
    ['interleaved', 2, 4, 4],
  ] as const)(
    '%s p=%i m=%i V=%i: every pass once, each backward after its forward',
    (name, p, m, v) => {
      const order = pipelineSchedule(name, p, m, v);
      expect(order).toHaveLength(p);
      for (const items of order) {
        expect(items).toHaveLength(2 * m * v);
        const seen = new Set(items.map((i) => `${i.pass}${i.mb}.${i.chunk}`));
        expect(seen.size).toBe(2 * m * v);
        items.forEach((it, k) => {
          if (it.pass === 'B') {
            const f = items.findIndex(
              (x) => x.pass === 'F' && x.mb === it.mb && x.chunk === it.chunk,
            );
            expect(f).toBeLessThan(k);
          }
        });
      }
    },
  );

  it('GPipe holds m activations a stage, 1F1B at most p - s', () => {
    const p = 4;
    const m = 8;
    expect(pipelineSchedule('gpipe', p, m).map(peakInFlight)).toEqual([8, 8, 8, 8]);
    expect(pipelineSchedule('1f1b', p, m).map(peakInFlight)).toEqual([4, 3, 2, 1]);
  });

  it('names bad schedules and their limits', () => {
    expect(() => pipelineSchedule('zb', 2, 2)).toThrow(
      /no schedule 'zb' \(have: gpipe, 1f1b, interleaved\)/,
    );
    expect(() => pipelineSchedule('1f1b', 2, 2, 2)).toThrow(/only the interleaved schedule/);
    expect(() => pipelineSchedule('interleaved', 4, 6, 2)).toThrow(
      /microbatches 6 must be a multiple of stages 4/,
    );
    expect(() => pipelineSchedule('gpipe', 0, 2)).toThrow(
      /stages 0 must be a whole number from 1 to 64/,
    );
  });
});

describe('a pipeline-parallel step, interpreted in f32, within the reference’s bound', () => {
  it.each([
    ['gpipe', 2, 4, 1, 4],
    ['1f1b', 2, 4, 1, 4],
    ['1f1b', 4, 1, 1, 4],
    ['1f1b', 4, 8, 1, 4],
    ['interleaved', 2, 4, 2, 4],
  ] as const)(
    '%s, %i stages, %i micro-batches, V = %i, %i layers',
    (schedule, stages, microbatches, virtual, layers) => {
      const graph = pipelineGraph({
        layers,
        d: 8,
        batch: 16,
        stages,
        microbatches,
        schedule,
        virtual,
      });
      validateGraph(graph);
      if (graph.info.kind !== 'training') throw new Error('not a training graph');
      const info = graph.info.training;
      const inputs = trainingInputs(info, 4);
      const out = interpretGraph(graph, scatterTrainingInputs(graph, info, inputs));
      const ref = trainingReference(info, inputs);
      out.forEach((own, s) => {
        for (const { offset, count } of info.owns[s]?.params ?? []) {
          const part = (t: typeof ref.params) => ({
            v: t.v.subarray(offset, offset + count),
            e: t.e.subarray(offset, offset + count),
          });
          const params = (own.params as Float32Array).subarray(offset, offset + count);
          expect(checkBounded(params, part(ref.params)).wrong, `stage ${s}`).toBe(0);
        }
      });
      // Every layer is owned by exactly one stage.
      const owned = info.owns.flatMap((o) => o.params).reduce((t, r) => t + r.count, 0);
      expect(owned).toBe(ref.params.v.length);
    },
  );

  it('refuses layers that do not split into equal chunks', () => {
    expect(() =>
      pipelineGraph({ layers: 3, d: 8, batch: 8, stages: 2, microbatches: 2, schedule: '1f1b' }),
    ).toThrow(/layers 3 must be a multiple of stages x virtual = 2/);
  });
});

describe('the priced bubble is the book’s where its assumptions hold', () => {
  // Uniform stages (every forward pass of a chunk 1 ms / V, every backward 2 ms / V, spread over
  // the pass's kernels), free communication, loss and update free: then the idle share of the
  // stages' compute, 1 - sum(busy) / (p T), must be (p - 1) / (p - 1 + m V) exactly.
  it.each([
    ['gpipe', 4, 8, 1, 4],
    ['1f1b', 4, 8, 1, 4],
    ['1f1b', 8, 16, 1, 8],
    ['interleaved', 4, 8, 2, 8],
    ['interleaved', 4, 8, 4, 16],
    ['gpipe', 2, 1, 1, 2],
  ] as const)('%s p=%i m=%i V=%i', (schedule, p, m, v, layers) => {
    const g = pipelineGraph({
      layers,
      d: 8,
      batch: 16,
      stages: p,
      microbatches: m,
      schedule,
      virtual: v,
    });
    const kernels = new Map<string, number>();
    const key = (t: { rank: number; label: string }) => `${t.rank}|${t.label}`;
    for (const t of g.tasks)
      if (t.kind === 'kernel') kernels.set(key(t), (kernels.get(key(t)) ?? 0) + 1);
    const price = priceGraph(g, switchFabric(p, { alpha_s: 0, beta_Bps: 1e30 }), {
      kernelSeconds: (t) => {
        const pass = t.label.startsWith('F') ? 1e-3 : t.label.startsWith('B') ? 2e-3 : 0;
        return pass / v / (kernels.get(key(t)) as number);
      },
    });
    const busy = price.compute_busy_s.reduce((a, b) => a + b, 0);
    const bubble = 1 - busy / (p * price.total_s);
    expect(Math.abs(bubble - pipelineBubble(p, m, v))).toBeLessThan(1e-12);
  });
});
