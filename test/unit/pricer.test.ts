import { describe, expect, it } from 'vitest';
import { ringFabric, switchFabric, torusFabric } from '../../src/fabric/topologies.ts';
import { pricePlan } from '../../src/model/pricer.ts';
import type { Plan } from '../../src/plans/plan.ts';
import { op, plan, ringAllReducePlan, treeAllReducePlan } from '../hand-plans.ts';

/** Runs a hand plan on numbers (reads of a step before its writes): checks the helpers. */
function run(p: Plan, inputs: number[][]): number[][] {
  const bufs = inputs.map((b) => [...b]);
  for (const step of p.steps) {
    const reads = step.ops.map((o) =>
      (bufs[o.src.rank] as number[]).slice(o.src.offset, o.src.offset + o.count),
    );
    step.ops.forEach((o, i) => {
      const dst = bufs[o.dst.rank] as number[];
      (reads[i] as number[]).forEach((v, j) => {
        dst[o.dst.offset + j] = o.kind === 'reduce' ? (dst[o.dst.offset + j] as number) + v : v;
      });
    });
  }
  return bufs;
}

describe('the hand-built plans', () => {
  it("run the book's worked example: every rank ends with [10, 26, 18, 34]", () => {
    const inputs = [
      [1, 5, 3, 7],
      [2, 6, 4, 8],
      [3, 7, 5, 9],
      [4, 8, 6, 10],
    ];
    const want = Array(4).fill([10, 26, 18, 34]);
    expect(run(ringAllReducePlan(4, 4), inputs)).toEqual(want);
    expect(run(treeAllReducePlan(4, 4), inputs)).toEqual(want);
  });
});

const alpha_s = 5e-6;
const beta_Bps = 50e9;
const gamma_s_per_B = 2e-12;
const link = { alpha_s, beta_Bps };
const _model = { alpha: alpha_s, beta: beta_Bps, gamma: gamma_s_per_B };

const _relativeError = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

// Where the step pricer equals the closed forms: pricers-exact.test.ts (both pricers, one table).

describe('what shares a link serializes', () => {
  it('two transfers over one ring link take twice its bandwidth time, one alpha', () => {
    // On a ring of 4, 0 -> 2 goes 0->1->2 and 1 -> 2 goes 1->2: both load link 1->2.
    const f = ringFabric(4, link);
    const p = plan('test', 4, 1000, [
      { phase: 'x', ops: [op('copy', 0, 2, 0, 500), op('copy', 1, 2, 500, 500)] },
    ]);
    const [step] = pricePlan(p, f).steps;
    expect(step?.bottleneck_link).toBe('1->2');
    expect(step?.time_s).toBeCloseTo(alpha_s + 4000 / beta_Bps, 15);
  });

  it('a multi-hop route costs its busiest link (cut-through)', () => {
    const f = torusFabric(16, link);
    const p = plan('test', 16, 1000, [{ phase: 'x', ops: [op('copy', 0, 10, 0, 1000)] }]);
    expect(pricePlan(p, f).total_s).toBeCloseTo(alpha_s + 4000 / beta_Bps, 15);
  });

  it('reductions follow the transfers: the rank that reduces most sets the step', () => {
    // Ranks 1 and 2 both reduce into rank 0 over a switch: 0's downlink carries 2 x 4 kB, and
    // rank 0 reduces 8 kB.
    const f = switchFabric(3, link, { gamma_s_per_B });
    const p = plan('test', 3, 1000, [
      { phase: 'x', ops: [op('reduce', 1, 0, 0, 1000), op('reduce', 2, 0, 0, 1000)] },
    ]);
    const [step] = pricePlan(p, f).steps;
    expect(step?.bottleneck_link).toBe('switch->0');
    expect(step?.transfer_s).toBeCloseTo(alpha_s + 8000 / beta_Bps, 15);
    expect(step?.reduce_s).toBeCloseTo(8000 * gamma_s_per_B, 18);
  });
});

describe('rank-local ops and edge cases', () => {
  const local = plan('test', 2, 1000, [{ phase: 'x', ops: [op('copy', 1, 1, 0, 1000)] }]);

  it('a rank-local copy is free on a network unless memory bandwidth is given', () => {
    expect(pricePlan(local, ringFabric(2, link)).total_s).toBe(0);
    const [step] = pricePlan(local, ringFabric(2, link, { memory_Bps: 1e12 })).steps;
    expect(step).toEqual({
      time_s: 4000 / 1e12,
      bottleneck_link: '1.memory',
      transfer_s: 4000 / 1e12,
      reduce_s: 0,
      compute_s: 0,
    });
  });

  it('an empty step costs nothing; a 0-element op still pays alpha', () => {
    const p = plan('test', 2, 0, [
      { phase: 'empty', ops: [] },
      { phase: 'zero', ops: [op('copy', 0, 1, 0, 0)] },
    ]);
    const price = pricePlan(p, ringFabric(2, link));
    expect(price.steps[0]).toEqual({
      time_s: 0,
      bottleneck_link: null,
      transfer_s: 0,
      reduce_s: 0,
      compute_s: 0,
    });
    expect(price.steps[1]?.time_s).toBe(alpha_s);
  });

  it('refuses a plan for another rank count', () => {
    expect(() => pricePlan(ringAllReducePlan(4, 16), ringFabric(8, link))).toThrow(
      'plan of 4 ranks cannot run on ring of 8',
    );
  });
});
