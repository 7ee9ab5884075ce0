// Plan v2 graphs on the GPU, wave by wave, against the graph interpreter bit for bit: the
// builders' plans as graphs, a graph composed of embedded AllReduces over named buffers (run
// packed), and a tensor-parallel layer with its kernels on small integers (exact in f32).
import { describe, expect, it } from 'vitest';
import { GraphExecutor } from '../../src/exec/executor/graph.ts';
import {
  allocateGraphBuffers,
  type GraphBuffers,
  interpretGraph,
} from '../../src/exec/interpreter/graph.ts';
import { fill } from '../../src/exec/random/fill.ts';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { nodeShaders } from '../../src/gpu/shaders-node.ts';
import { concurrently, embed } from '../../src/plans/combinators.ts';
import { graphOf } from '../../src/plans/from-steps.ts';
import { type Graph, waves } from '../../src/plans/graph.ts';
import { GraphBuilder } from '../../src/plans/graph-builder.ts';
import type { Collective, Plan } from '../../src/plans/plan.ts';
import { ALGORITHMS } from '../../src/plans/registry.ts';
import { tensorParallel } from '../../src/plans/tensor-parallel.ts';
import { firstDifference } from '../bits.ts';
import { testContext } from './context.ts';

function randomGraphBuffers(graph: Graph, seed: number): GraphBuffers {
  const buffers = allocateGraphBuffers(graph);
  buffers.forEach((own, r) => {
    for (const [name, a] of Object.entries(own)) {
      a.set(fill(graph.dtype, a.length, seed + r * 31 + name.length));
    }
  });
  return buffers;
}

function copyOf(buffers: GraphBuffers): GraphBuffers {
  return buffers.map((own) =>
    Object.fromEntries(Object.entries(own).map(([k, v]) => [k, v.slice()])),
  );
}

describe('graphs on the GPU equal the graph interpreter', async () => {
  const ctx = await testContext();
  const cache = new PipelineCache(ctx);

  async function check(graph: Graph, input: GraphBuffers) {
    const exec = new GraphExecutor(ctx, nodeShaders, graph, undefined, cache);
    try {
      await exec.prepare();
      exec.upload(input);
      const seconds = await exec.run();
      expect(seconds).toHaveLength(waves(graph).length);
      const got = await exec.download();
      const want = interpretGraph(graph, copyOf(input));
      expect(firstDifference(got, want)).toBeUndefined();
    } finally {
      exec.destroy();
    }
  }

  it('every builder, as a graph, on random floats', async () => {
    for (const [collective, algorithms] of Object.entries(ALGORITHMS)) {
      for (const build of Object.values(algorithms)) {
        for (const ranks of [3, 8]) {
          const plan = build({
            ranks,
            count: 1000,
            dtype: 'float',
            redop: 'sum',
            inPlace: false,
            root: 1,
          }) as Plan;
          const graph = graphOf(plan);
          await check(graph, randomGraphBuffers(graph, ranks));
          expect(graph.info.kind === 'collective' && graph.info.collective).toBe(
            collective as Collective,
          );
        }
      }
    }
  });

  it('a composed graph over named buffers runs packed', async () => {
    const ar = (algorithm: string, ranks: number, count: number) =>
      graphOf(
        ALGORITHMS.allreduce[algorithm]?.({
          ranks,
          count,
          dtype: 'float',
          redop: 'sum',
          inPlace: true,
        }) as Plan,
      );
    const host = new GraphBuilder(4, 'float', 'sum');
    for (let r = 0; r < 4; r++) {
      host.buffer(r, 'w', 100);
      host.buffer(r, 'grad', 200);
    }
    // Two buckets of grad all-reduced side by side, then w gets each bucket's first 50.
    const [a, b] = concurrently(host, [
      { graph: ar('ring', 4, 100), placement: { buffers: { recv: { name: 'grad', offset: 0 } } } },
      { graph: ar('rhd', 4, 100), placement: { buffers: { recv: { name: 'grad', offset: 100 } } } },
    ]);
    for (let r = 0; r < 4; r++) {
      for (const [bucket, at] of [
        [0, 0],
        [1, 100],
      ] as const) {
        host.move({
          src: { rank: r, buffer: 'grad', offset: at },
          dst: { rank: r, buffer: 'w', offset: bucket * 50 },
          count: 50,
          op: 'reduce',
          label: `update from bucket ${bucket}`,
        });
      }
    }
    // A sub-graph on two of the ranks only, into w's tail.
    embed(host, ar('tree', 2, 8), {
      ranks: [1, 3],
      buffers: { recv: { name: 'w', offset: 92 } },
      after: [...(a?.last ?? []), ...(b?.last ?? [])],
    });
    const whole = Array.from({ length: 4 }, () => ({ buffer: 'w', offset: 0, count: 100 }));
    const graph = host.build(
      {
        kind: 'collective',
        collective: 'allreduce',
        algorithm: 'composed',
        count: 100,
        root: 0,
        inPlace: true,
      },
      whole,
      whole,
    );
    await check(graph, randomGraphBuffers(graph, 7));
  });

  it('a tensor-parallel row layer, kernels and AllReduce, on small integers', async () => {
    const plan = tensorParallel({ layout: 'row', ranks: 4, m: 8, k: 16, n: 12 });
    const graph = graphOf(plan);
    const input = allocateGraphBuffers(graph);
    input.forEach((own, r) => {
      const send = own.send as Float32Array;
      for (let i = 0; i < send.length; i++) send[i] = ((i * 7 + r * 3) % 9) - 4;
    });
    await check(graph, input);
  });
});
