// The page's presets: each loads from the URL without an error, runs within the view's limits,
// and the closed forms bear out what its description tells the lecture.
import { describe, expect, it } from 'vitest';
import { allocateBuffers, interpret } from '../../src/exec/interpreter/steps.ts';
import { fabricPreset } from '../../src/fabric/fabric-presets.ts';
import { LINK_PRESETS } from '../../src/fabric/presets.ts';
import { allReduceRing, allReduceTree } from '../../src/model/closed-forms.ts';
import { allReduceHierarchical } from '../../src/model/hierarchical.ts';
import { ringTreeCrossover } from '../../src/model/p2p.ts';
import { DTYPE_INFO } from '../../src/plans/dtype.ts';
import { TEXTBOOK_RING } from '../../src/plans/presets.ts';
import { ALGORITHMS } from '../../src/plans/registry.ts';
import {
  markPreset,
  VIEW_PRESETS,
  type ViewPreset,
  viewPreset,
} from '../../src/view/collectives/presets.ts';
import { DEFAULT_STATE, VIEW_LIMITS } from '../../src/view/collectives/state.ts';
import { parseState } from '../../src/view/collectives/url-state.ts';

const eth = { alpha: LINK_PRESETS['100gbe'].alpha_s, beta: LINK_PRESETS['100gbe'].beta_Bps };

function planOf(p: ViewPreset) {
  const s = p.state;
  const build = ALGORITHMS[s.collective][s.algorithm];
  if (!build) throw new Error(`${p.name}: no ${s.algorithm}`);
  const count = s.bytes / DTYPE_INFO[s.dtype].bytes;
  return build({ ranks: s.ranks, count, dtype: s.dtype, redop: s.redop, inPlace: true });
}

describe('every preset', () => {
  it('has the five the issue names, each titled and described', () => {
    expect(VIEW_PRESETS.map((p) => p.name)).toEqual([
      'textbook-ring',
      'ring-vs-tree-64',
      'hierarchical-8x8',
      'latency-bound',
      'bandwidth-bound',
    ]);
    for (const p of VIEW_PRESETS) {
      expect(p.title.length).toBeGreaterThan(10);
      expect(p.description.length).toBeGreaterThan(40);
    }
  });

  it.each(VIEW_PRESETS.map((p) => [p.name, p] as const))(
    '%s loads from the URL, builds its plan and fabric, within the view limits',
    (name, p) => {
      expect(parseState(`#preset=${name}`)).toEqual({ state: p.state, errors: [] });
      expect(p.state.bytes).toBeLessThanOrEqual(VIEW_LIMITS.maxBytes);
      expect(p.state.ranks).toBeLessThanOrEqual(VIEW_LIMITS.maxRanks);
      expect(planOf(p).ranks).toBe(p.state.ranks);
      expect(fabricPreset(p.state.fabric).build(p.state.ranks).ranks).toBe(p.state.ranks);
      expect(markPreset(p.state)).toBe(p.state);
    },
  );

  it('viewPreset names the ones there are when asked for another', () => {
    expect(viewPreset('latency-bound').state.bytes).toBe(64);
    expect(() => viewPreset('nope')).toThrow("no preset 'nope' (presets: textbook-ring, ");
  });

  it('markPreset clears the name once a scene field changes, not for step or hide', () => {
    const p = viewPreset('ring-vs-tree-64').state;
    expect(markPreset({ ...p, step: 3, speed: 9, hide: ['fabric'] }).preset).toBe(p.preset);
    expect(markPreset({ ...p, algorithm: 'ring' }).preset).toBe('');
    expect(markPreset({ ...p, alpha: 1e-6 }).preset).toBe('');
  });
});

describe('textbook-ring', () => {
  const p = viewPreset('textbook-ring');

  it('is the default state', () => {
    expect(p.state).toEqual(DEFAULT_STATE);
  });

  it('reduces [1,5,3,7] ... [4,8,6,10] to [10,26,18,34] on every rank', () => {
    expect(p.inputs).toBe(TEXTBOOK_RING.inputs);
    const plan = planOf(p);
    const buffers = allocateBuffers(plan);
    p.inputs?.forEach((v, r) => {
      buffers[r]?.recv.set(v);
    });
    interpret(plan, buffers);
    for (const b of buffers) expect([...b.recv]).toEqual([10, 26, 18, 34]);
  });
});

describe('ring-vs-tree-64', () => {
  const s = viewPreset('ring-vs-tree-64').state;

  it('sits below the crossover the description gives (near 700 kB), where the tree leads', () => {
    const { exact_bytes } = ringTreeCrossover(64, eth);
    expect(exact_bytes).toBeGreaterThan(690e3);
    expect(exact_bytes).toBeLessThan(720e3);
    expect(s.bytes).toBeLessThan(exact_bytes);
    expect(s.bytes).toBeGreaterThan(exact_bytes / 2);
    const ring = allReduceRing(64, s.bytes, eth);
    const tree = allReduceTree(64, s.bytes, eth);
    expect([ring.steps, tree.steps]).toEqual([126, 12]);
    expect(tree.time).toBeLessThan(ring.time);
    // Twice the size, and the ring wins: the crossover lies within the sweep's next point.
    expect(allReduceRing(64, 2 * s.bytes, eth).time).toBeLessThan(
      allReduceTree(64, 2 * s.bytes, eth).time,
    );
  });
});

describe('hierarchical-8x8', () => {
  const p = viewPreset('hierarchical-8x8');

  it('is 8 DGX nodes of 8 ranks, in the 28 steps the description says', () => {
    const fabric = fabricPreset(p.state.fabric).build(64);
    expect(fabric.topology).toMatchObject({ kind: 'two-level', nodes: 8, ranks_per_node: 8 });
    expect(planOf(p).steps).toHaveLength(28);
  });

  it('beats a flat ring of 64 on the slow link by a wide margin', () => {
    const intra = { alpha: LINK_PRESETS.nvlink4.alpha_s, beta: LINK_PRESETS.nvlink4.beta_Bps };
    const inter = { alpha: LINK_PRESETS['ib-ndr'].alpha_s, beta: LINK_PRESETS['ib-ndr'].beta_Bps };
    const h = allReduceHierarchical(p.state.bytes, { nodes: 8, ranksPerNode: 8, intra, inter });
    const flat = allReduceRing(64, p.state.bytes, inter);
    expect(h.steps).toBe(28);
    expect(flat.steps).toBe(126);
    expect(h.time * 3).toBeLessThan(flat.time);
  });
});

describe('latency-bound and bandwidth-bound', () => {
  it('64 B on 8 ranks: the 14 alphas are all of the time', () => {
    const s = viewPreset('latency-bound').state;
    const t = allReduceRing(s.ranks, s.bytes, eth);
    expect(t.steps).toBe(14);
    expect(t.latency_term / t.time).toBeGreaterThan(0.999);
  });

  it('1 MiB on the same 8 ranks: steps of 128 KiB, twice alpha x beta; bytes take 2x the alphas', () => {
    const s = viewPreset('bandwidth-bound').state;
    const low = viewPreset('latency-bound').state;
    expect({ ...s, bytes: low.bytes, preset: low.preset }).toEqual(low);
    expect(s.bytes / s.ranks / (eth.alpha * eth.beta)).toBeCloseTo(2.1, 1);
    const t = allReduceRing(s.ranks, s.bytes, eth);
    expect(t.bandwidth_term / t.latency_term).toBeCloseTo(2.1, 1);
  });
});
