import { describe, expect, it } from 'vitest';
import { type Fabric, MEMORY_LINK, ringDelta, route } from '../../src/fabric/fabric.ts';
import { LINK_PRESETS, linkPreset } from '../../src/fabric/presets.ts';
import {
  localFabric,
  nearSquareDims,
  ringFabric,
  switchFabric,
  torusFabric,
  twoLevelFabric,
} from '../../src/fabric/topologies.ts';

const link = { alpha_s: 1e-6, beta_Bps: 1e9 };

/** Every route of every pair names links the fabric has, and starts and ends at its ranks. */
function checkRoutes(fabric: Fabric): void {
  const byId = new Map(fabric.links.map((l) => [l.id, l]));
  expect(byId.size).toBe(fabric.links.length);
  for (let s = 0; s < fabric.ranks; s++) {
    for (let d = 0; d < fabric.ranks; d++) {
      const path = route(fabric, s, d).map((id) => byId.get(id));
      expect(path.every((l) => l !== undefined)).toBe(true);
      if (fabric.topology.kind === 'local' || s === d) continue;
      for (let i = 1; i < path.length; i++) expect(path[i]?.from).toBe(path[i - 1]?.to);
      // Between nodes a route runs NIC to NIC (the GPU-NIC hop is not modelled).
      if (typeof path[0]?.from === 'string') expect(fabric.topology.kind).toBe('two-level');
      else expect([path[0]?.from, path.at(-1)?.to]).toEqual([s, d]);
    }
  }
}

describe('ring', () => {
  it('links each rank both ways to its neighbours and routes the shorter way', () => {
    const f = ringFabric(8, link);
    expect(f.links).toHaveLength(16);
    expect(route(f, 0, 3)).toEqual(['0->1', '1->2', '2->3']);
    expect(route(f, 0, 6)).toEqual(['0->7', '7->6']);
    // Half way round: the positive way.
    expect(route(f, 0, 4)).toEqual(['0->1', '1->2', '2->3', '3->4']);
    expect(route(f, 5, 5)).toEqual([]);
    checkRoutes(f);
  });

  it('has one link each way for two ranks and none for one', () => {
    expect(ringFabric(2, link).links.map((l) => l.id)).toEqual(['0->1', '1->0']);
    expect(ringFabric(1, link).links).toEqual([]);
  });

  it('measures ring distance with sign', () => {
    expect(ringDelta(0, 3, 8)).toBe(3);
    expect(ringDelta(0, 5, 8)).toBe(-3);
    expect(ringDelta(6, 1, 8)).toBe(3);
    expect(ringDelta(2, 2, 8)).toBe(0);
  });
});

describe('switch', () => {
  it("uses the sender's uplink and the receiver's downlink", () => {
    const f = switchFabric(4, link);
    expect(f.links).toHaveLength(8);
    expect(route(f, 2, 1)).toEqual(['2->switch', 'switch->1']);
    checkRoutes(f);
  });
});

describe('2D torus', () => {
  it('is near-square by default', () => {
    expect(nearSquareDims(16)).toEqual([4, 4]);
    expect(nearSquareDims(12)).toEqual([3, 4]);
    expect(nearSquareDims(8)).toEqual([2, 4]);
    expect(nearSquareDims(7)).toEqual([1, 7]);
  });

  it('routes along x then y, each the shorter way round', () => {
    const f = torusFabric(16, link);
    expect(f.topology).toEqual({ kind: 'torus', dims: [4, 4] });
    expect(f.links).toHaveLength(64);
    // 0 = (0,0) to 5 = (1,1): x to (1,0) = rank 1, then y to (1,1) = rank 5.
    expect(route(f, 0, 5)).toEqual(['0->1', '1->5']);
    // 0 to 15 = (3,3): one step back along x (wrap), one back along y.
    expect(route(f, 0, 15)).toEqual(['0->3', '3->15']);
    checkRoutes(f);
    checkRoutes(torusFabric(12, link, [3, 4]));
  });

  it('keeps one link each way in a dimension of 2', () => {
    expect(torusFabric(4, link, [2, 2]).links).toHaveLength(8);
  });

  it('refuses dims that do not hold the ranks', () => {
    expect(() => torusFabric(12, link, [4, 4])).toThrow('torus 4 x 4 holds 16 ranks, not 12');
  });
});

describe('two-level', () => {
  const spec = { nodes: 2, ranksPerNode: 4, intra: link, inter: { alpha_s: 5e-6, beta_Bps: 5e10 } };

  it('meets on the node switch inside a node and leaves by the NICs between nodes', () => {
    const f = twoLevelFabric(spec);
    expect(f.ranks).toBe(8);
    expect(route(f, 1, 2)).toEqual(['1->node0.switch', 'node0.switch->2']);
    expect(route(f, 1, 6)).toEqual(['node0.nic0->net', 'net->node1.nic0']);
    checkRoutes(f);
  });

  it('gives each rank its own NIC when there are as many', () => {
    const f = twoLevelFabric({ ...spec, nicsPerNode: 4 });
    expect(route(f, 1, 6)).toEqual(['node0.nic1->net', 'net->node1.nic2']);
    expect(() => twoLevelFabric({ ...spec, nicsPerNode: 5 })).toThrow(
      'NICs per node 5 must be <= ranks per node 4',
    );
  });
});

describe('local', () => {
  it('sends everything, even rank-local copies, through the one memory system', () => {
    const f = localFabric(4, { alpha_s: 3e-6, beta_Bps: 2e11, gamma_s_per_B: 1e-12 });
    expect(f.links).toEqual([
      { id: MEMORY_LINK, from: 'gpu', to: 'gpu', alpha_s: 3e-6, beta_Bps: 2e11 },
    ]);
    expect(route(f, 0, 3)).toEqual([MEMORY_LINK]);
    expect(route(f, 2, 2)).toEqual([MEMORY_LINK]);
    expect(f.gamma_s_per_B).toBe(1e-12);
  });
});

describe('bad input', () => {
  it('names the rank that is not on the fabric', () => {
    expect(() => route(ringFabric(4, link), 0, 4)).toThrow(
      'destination rank 4 is not in 0..3 of ring of 4',
    );
    expect(() => route(switchFabric(4, link), -1, 0)).toThrow('source rank -1');
  });

  it('names a bad link figure', () => {
    expect(() => ringFabric(4, { alpha_s: 1e-6, beta_Bps: 0 })).toThrow(
      'link beta 0 B/s must be a finite number > 0',
    );
    expect(() => switchFabric(0, link)).toThrow('ranks 0 must be a whole number >= 1');
    expect(() =>
      twoLevelFabric({
        nodes: 2,
        ranksPerNode: 2,
        intra: link,
        inter: { alpha_s: -1, beta_Bps: 1 },
      }),
    ).toThrow('inter alpha -1 s');
  });
});

describe('presets of real links', () => {
  it('give alpha and beta, each with its source, and the choice made in a note', () => {
    for (const p of Object.values(LINK_PRESETS)) {
      expect(p.alpha_s).toBeGreaterThan(0);
      expect(p.beta_Bps).toBeGreaterThan(0);
      expect(p.alpha_source.length).toBeGreaterThan(10);
      expect(p.beta_source.length).toBeGreaterThan(10);
      expect(p.note.length).toBeGreaterThan(10);
    }
  });

  it('convert line rates as MODELS.md does: Gb/s / 8 = GB/s; NVLink per direction', () => {
    expect(linkPreset('ib-ndr').beta_Bps).toBe(400e9 / 8);
    expect(linkPreset('100gbe').beta_Bps).toBe(100e9 / 8);
    expect(linkPreset('nvlink4').beta_Bps).toBe(900e9 / 2);
    expect(linkPreset('nvlink4').note).toContain('900 GB/s');
    expect(linkPreset('pcie4').beta_Bps).toBeCloseTo((16e9 * 16 * 128) / 130 / 8, -8);
  });

  it('build fabrics directly', () => {
    expect(switchFabric(8, linkPreset('nvlink4')).links[0]).toMatchObject({
      alpha_s: 1.9e-6,
      beta_Bps: 450e9,
    });
    expect(() => linkPreset('nvlink5')).toThrow("no link preset 'nvlink5'");
    expect(() => linkPreset('toString')).toThrow(RangeError);
  });
});
