// Stragglers (src/fabric/stragglers.ts): a rank whose kernels and outgoing links are FACTOR times
// slower. A ring waits on its slowest member every step, so a ring AllReduce slows by exactly
// the factor; a tree less; `fleetlab plan --straggler` reports both beside the lock-step schedule.
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { parseStragglers, slowFabric, slowKernels } from '../../src/fabric/stragglers.ts';
import { switchFabric } from '../../src/fabric/topologies.ts';
import { priceGraph } from '../../src/model/event-pricer.ts';
import { graphOf } from '../../src/plans/from-steps.ts';
import { ringAllReduce } from '../../src/plans/ring.ts';
import { treeAllReduce } from '../../src/plans/tree.ts';

const link = { alpha_s: 2e-6, beta_Bps: 50e9 };
const spec = { ranks: 8, count: 1 << 18, dtype: 'float', redop: 'sum', inPlace: false } as const;

describe('stragglers', () => {
  it('parses RANK:FACTOR lists and names what is wrong', () => {
    expect(parseStragglers('3:2.5,0:1', 8)).toEqual([
      { rank: 3, factor: 2.5 },
      { rank: 0, factor: 1 },
    ]);
    expect(() => parseStragglers('8:2', 8)).toThrow('straggler rank 8 must be below ranks 8');
    expect(() => parseStragglers('1:0.5', 8)).toThrow(
      'straggler factor 0.5 must be from 1 to 1000',
    );
    expect(() => parseStragglers('1:2,1:3', 8)).toThrow('straggler rank 1 is named twice');
    expect(() => parseStragglers('1-2', 8)).toThrow("straggler '1-2' must be RANK:FACTOR");
  });

  it("slows only the straggler's outgoing links, alpha x F and beta / F", () => {
    const f = switchFabric(4, link);
    const slow = slowFabric(f, [{ rank: 2, factor: 4 }]);
    for (const [i, l] of slow.links.entries()) {
      const before = f.links[i] as (typeof f.links)[number];
      const mine = l.from === 2;
      expect(l.alpha_s).toBe(mine ? 4 * before.alpha_s : before.alpha_s);
      expect(l.beta_Bps).toBe(mine ? before.beta_Bps / 4 : before.beta_Bps);
    }
    const k = slowKernels((_t: { rank: number }) => 1e-3, [{ rank: 1, factor: 3 }]);
    expect([k({ rank: 0 }), k({ rank: 1 })]).toEqual([1e-3, 3e-3]);
  });

  it('a ring AllReduce slows by exactly the factor; a tree by less', () => {
    const f = switchFabric(8, link);
    const slow = slowFabric(f, [{ rank: 3, factor: 3 }]);
    const ring = graphOf(ringAllReduce(spec));
    const ratio = priceGraph(ring, slow).total_s / priceGraph(ring, f).total_s;
    expect(ratio).toBeCloseTo(3, 9);
    const tree = graphOf(treeAllReduce(spec));
    const treeRatio = priceGraph(tree, slow).total_s / priceGraph(tree, f).total_s;
    expect(treeRatio).toBeGreaterThan(1);
    expect(treeRatio).toBeLessThan(3);
  });

  it('fleetlab plan --straggler: the slowdown emulated and as the lock-step schedule predicts', async () => {
    const lines: string[] = [];
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((c) => {
      lines.push(String(c));
      return true;
    });
    try {
      const code = await main([
        'plan',
        'allreduce',
        '--ranks',
        '8',
        '--count',
        '1M',
        '--straggler',
        '3:4',
        '--json',
        '-',
      ]);
      expect(code).toBe(0);
    } finally {
      out.mockRestore();
    }
    const text = lines.join('');
    expect(text).toMatch(/stragglers: +rank 3 x4: 4\.000x slower than without them/);
    const json = JSON.parse(text.slice(text.indexOf('\n{') + 1));
    expect(json.stragglers.ranks).toEqual([{ rank: 3, factor: 4 }]);
    expect(json.stragglers.slowdown).toBeCloseTo(4, 9);
    expect(json.stragglers.schedule_slowdown).toBeCloseTo(4, 9);
    expect(json.emulated_s).toBeCloseTo(4 * json.stragglers.emulated_without_s, 12);
  });
});
