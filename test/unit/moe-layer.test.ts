// The MoE layer without a GPU: routing (capacity, dropping, the skew's hot experts), the layout
// of the layer phase, the graphs valid, and router + layer run by the CPU graph interpreter
// (the kernels' oracles) equal to the unsharded f64 reference within its bound.
import { describe, expect, it } from 'vitest';
import {
  moeInputs,
  scatterLayerInputs,
  scatterRouterInputs,
} from '../../src/exec/experts/inputs.ts';
import { moeReference } from '../../src/exec/experts/reference.ts';
import { type GraphBuffers, interpretGraph } from '../../src/exec/interpreter/graph.ts';
import { checkBounded } from '../../src/exec/training/reference.ts';
import {
  checkMoeSpec,
  type MoeSpec,
  moeLayerGraph,
  moeLayout,
  moeRouterGraph,
} from '../../src/plans/experts/moe-layer.ts';
import { expertCapacity, routeTokens } from '../../src/plans/experts/routing.ts';
import { validateGraph } from '../../src/plans/validate-graph.ts';

const base: MoeSpec = {
  ranks: 2,
  experts: 4,
  topK: 2,
  tokens: 16,
  d: 8,
  hidden: 12,
  capacityFactor: 1,
  skew: 0,
  algorithm: 'pairwise',
};

const gather = (buffers: GraphBuffers, name: string) =>
  Float32Array.from(buffers.flatMap((b) => [...(b[name] as Float32Array)]));

describe('routing', () => {
  it('keeps at most the capacity a expert, drops the rest and counts them', () => {
    const spec = { tokens: 64, experts: 4, topK: 2, capacityFactor: 0.75, skew: 1 };
    const inputs = moeInputs({ ...base, ...spec, ranks: 4, experts: 4 }, 3);
    const ref = moeReference({ ...base, ...spec, ranks: 4 }, inputs);
    const r = ref.routing;
    expect(r.capacity).toBe(expertCapacity(spec));
    expect(r.capacity).toBe(24);
    for (const kept of r.tokens_per_expert) expect(kept).toBeLessThanOrEqual(24);
    const asked = r.wanted_per_expert.reduce((s, c) => s + c, 0);
    const kept = r.tokens_per_expert.reduce((s, c) => s + c, 0);
    expect(asked).toBe(128);
    expect(r.dropped).toBe(asked - kept);
    expect(r.dropped).toBeGreaterThan(0);
    // A token's two copies go to two experts; its gates are probabilities summing to at most 1.
    for (let t = 0; t < 64; t++) {
      expect(r.wanted[2 * t]).not.toBe(r.wanted[2 * t + 1]);
      expect((r.gate[2 * t] as number) + (r.gate[2 * t + 1] as number)).toBeLessThanOrEqual(1);
      expect(r.gate[2 * t] as number).toBeGreaterThanOrEqual(r.gate[2 * t + 1] as number);
    }
  });

  it('a skew makes the first experts hot', () => {
    const logits = new Float64Array(200 * 8); // all ties: only the prior decides
    const even = routeTokens(logits, {
      tokens: 200,
      experts: 8,
      topK: 1,
      capacityFactor: 8,
      skew: 0,
    });
    expect(even.tokens_per_expert[0]).toBe(200); // ties go to the lower expert
    const random = Float64Array.from({ length: 200 * 8 }, (_, i) => Math.sin(i * 12.9898) * 2);
    const flat = routeTokens(random, {
      tokens: 200,
      experts: 8,
      topK: 1,
      capacityFactor: 8,
      skew: 0,
    });
    const hot = routeTokens(random, {
      tokens: 200,
      experts: 8,
      topK: 1,
      capacityFactor: 8,
      skew: 2,
    });
    expect(hot.tokens_per_expert[0] as number).toBeGreaterThan(
      2 * (flat.tokens_per_expert[0] as number),
    );
    expect(hot.tokens_per_expert[7] as number).toBeLessThan(flat.tokens_per_expert[7] as number);
  });
});

describe('the layer as graphs, interpreted on the CPU', () => {
  const cases: [string, Partial<MoeSpec>][] = [
    ['1 rank, 4 experts, top-1', { ranks: 1, topK: 1 }],
    ['2 ranks, 4 experts, top-2', {}],
    ['2 ranks, 4 experts, top-2, dropping', { capacityFactor: 0.5 }],
    ['4 ranks, 8 experts, top-2, skewed and dropping', { ranks: 4, experts: 8, skew: 2 }],
    ['4 ranks, 8 experts, top-1, direct', { ranks: 4, experts: 8, topK: 1, algorithm: 'direct' }],
  ];
  it.each(cases)('%s: equals the reference within its bound', (_, change) => {
    const spec = { ...base, ...change };
    const inputs = moeInputs(spec, 5);
    const router = moeRouterGraph(spec);
    validateGraph(router);
    const logits = gather(
      interpretGraph(router, scatterRouterInputs(router, spec, inputs)),
      'logits',
    );
    const routing = routeTokens(logits, spec);
    const ref = moeReference(spec, inputs);
    expect([...routing.choice]).toEqual([...ref.routing.choice]);
    const layer = moeLayerGraph(spec, routing);
    validateGraph(layer);
    const layout = moeLayout(spec, routing);
    const out = gather(
      interpretGraph(layer, scatterLayerInputs(layer, spec, inputs, layout)),
      'out',
    );
    const c = checkBounded(out, ref.out);
    expect(c.wrong).toBe(0);
    // The dispatch moves exactly the kept copies, and rows[i][j] counts them.
    const rows = layout.rows.flat().reduce((s, x) => s + x, 0);
    expect(rows).toBe(routing.tokens_per_expert.reduce((s, x) => s + x, 0));
    if (change.capacityFactor === 0.5) expect(routing.dropped).toBeGreaterThan(0);
  });

  it('a token whose every copy was dropped leaves the layer as 0', () => {
    const spec = { ...base, ranks: 1, topK: 1, capacityFactor: 0.25 };
    const inputs = moeInputs(spec, 2);
    const ref = moeReference(spec, inputs);
    const lost = [...ref.routing.choice].findIndex((e) => e < 0);
    expect(lost).toBeGreaterThanOrEqual(0);
    expect([...ref.out.v.subarray(lost * spec.d, (lost + 1) * spec.d)]).toEqual(
      new Array(spec.d).fill(0),
    );
  });
});

describe('MoE specs', () => {
  it.each([
    [{ experts: 3 }, 'experts 3 must be a multiple of ranks 2'],
    [{ experts: 1, ranks: 2 }, 'experts 1 must be a multiple of ranks 2'],
    [{ tokens: 15 }, 'tokens 15 must be a multiple of ranks 2'],
    [{ topK: 3 }, 'top-k 3 must be 1 to 2'],
    [{ capacityFactor: 0 }, 'capacity factor 0 must be above 0'],
    [{ skew: -1 }, 'skew -1 must be a number from 0 to 8'],
    [{ algorithm: 'ring' }, "no algorithm 'ring' for alltoallv (have: pairwise, direct)"],
    [{ d: 0 }, 'd 0 must be a whole number from 1 to 4096'],
  ] as [Partial<MoeSpec>, string][])('%j: %s', (change, message) => {
    expect(() => checkMoeSpec({ ...base, ...change })).toThrow(message);
  });
});
