// The MoE layer on the GPU: the router's matmul, the host's routing of its logits, the layer
// (dispatch AllToAllv, experts, combine AllToAllv, the weighted sum) checked against the
// unsharded f64 reference within its derived bound, the routing and the dropped copies equal;
// for 1, 2 and 4 ranks, 4 and 8 experts, top-1 and top-2, with and without skew and dropping.
import { describe, expect, it } from 'vitest';
import { moeInputs } from '../../src/exec/experts/inputs.ts';
import { moeReference } from '../../src/exec/experts/reference.ts';
import { fabricPreset } from '../../src/fabric/fabric-presets.ts';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { nodeShaders } from '../../src/gpu/shaders-node.ts';
import type { MoeSpec } from '../../src/plans/experts/moe-layer.ts';
import { checkMoe, runMoe } from '../../src/run/moe.ts';
import { testContext } from './context.ts';

const cases: [number, number, number, number, number][] = [];
for (const ranks of [1, 2, 4]) {
  for (const experts of [4, 8]) {
    for (const topK of [1, 2]) {
      // No skew and room for every copy (C = E: capacity T k); then a hot expert that
      // overflows its capacity.
      cases.push([ranks, experts, topK, experts, 0]);
      cases.push([ranks, experts, topK, 1, 2]);
    }
  }
}

describe('the MoE layer on the GPU against the f64 reference', async () => {
  const ctx = await testContext();
  const run = { ctx, shaders: nodeShaders, cache: new PipelineCache(ctx) };

  it.each(cases)(
    '%i ranks, %i experts, top-%i, capacity %d, skew %d',
    async (ranks, experts, topK, C, skew) => {
      const spec: MoeSpec = {
        ranks,
        experts,
        topK,
        tokens: 32,
        d: 8,
        hidden: 16,
        capacityFactor: C,
        skew,
        algorithm: ranks === 4 ? 'direct' : 'pairwise',
      };
      const inputs = moeInputs(spec, ranks * 10 + experts + topK);
      const { check, routing } = await checkMoe(run, spec, inputs);
      expect(check.routing_agrees).toBe(true);
      expect(check.wrong).toBe(0);
      expect(check.ok).toBe(true);
      expect(check.max_abs_err).toBeLessThanOrEqual(check.bound);
      const ref = moeReference(spec, inputs);
      expect(routing.dropped).toBe(ref.routing.dropped);
      expect(routing.tokens_per_expert).toEqual(ref.routing.tokens_per_expert);
      if (skew > 0) expect(routing.dropped).toBeGreaterThan(0);
      else expect(routing.dropped).toBe(0);
    },
  );

  it('runMoe: measured, emulated and analytic; a hot expert costs more than the balanced formula', async () => {
    const preset = fabricPreset('nvswitch');
    const spec: MoeSpec = {
      ranks: 4,
      experts: 8,
      topK: 2,
      tokens: 64,
      d: 16,
      hidden: 32,
      capacityFactor: 4,
      skew: 2,
      algorithm: 'pairwise',
    };
    const r = await runMoe(
      run,
      spec,
      { fabric: preset.name, built: preset.build(4), link: preset.link },
      { reps: 1 },
    );
    expect(r.check.ok).toBe(true);
    expect(r.imbalance.experts).toBeGreaterThan(1.5);
    expect(r.step_s.measured).toBeGreaterThan(0);
    expect(r.step_s.emulated).toBeGreaterThan(r.step_s.analytic);
    expect(r.alltoall_s.actual).toBeGreaterThan(r.alltoall_s.balanced);
    expect(r.alltoall_bytes.dispatch).toBeGreaterThan(0);
    expect(r.tokens_per_rank.reduce((s, c) => s + c, 0)).toBe(64 * 2 - r.routing.dropped);
  });
});
