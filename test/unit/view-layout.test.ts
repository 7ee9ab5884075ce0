// Layouts of every topology stay readable from 4 to 64 ranks: ranks apart, hubs off the ranks,
// every link drawn once between things that exist, the same numbers every time.
import { describe, expect, it } from 'vitest';
import type { Fabric } from '../../src/fabric/fabric.ts';
import { fabricPreset } from '../../src/fabric/fabric-presets.ts';
import {
  localFabric,
  ringFabric,
  switchFabric,
  torusFabric,
  twoLevelFabric,
} from '../../src/fabric/topologies.ts';
import {
  type Layout,
  layoutFabric,
  nearestDistance,
  routePoints,
} from '../../src/view/common/layout.ts';

const link = { alpha_s: 1e-6, beta_Bps: 1e9 };

/** Nodes of 8 as a DGX (up to 8 ranks: one node), a prime count as nodes of one rank. */
function twoLevel(n: number): Fabric {
  const g = n <= 8 ? n : n % 8 === 0 ? 8 : 1;
  return twoLevelFabric({
    nodes: n / g,
    ranksPerNode: g,
    intra: link,
    inter: link,
    nicsPerNode: g,
  });
}

const TOPOLOGIES: Readonly<Record<string, (n: number) => Fabric>> = {
  ring: (n) => ringFabric(n, link),
  switch: (n) => switchFabric(n, link),
  torus: (n) => torusFabric(n, link),
  'two-level': twoLevel,
  local: (n) => localFabric(n, link),
};

// 0.09 of the [-1, 1] square is about 50 px of a 1080-px-high canvas.
const MIN_RANK_GAP = 0.09;
const MIN_HUB_GAP = 0.07;

const cases = Object.keys(TOPOLOGIES).flatMap((kind) =>
  [4, 8, 16, 31, 64].map((n) => [kind, n] as const),
);

function endpointsExist(layout: Layout): boolean {
  const hubs = new Set(layout.hubs.map((h) => h.id));
  const exists = (e: number | string) =>
    typeof e === 'number' ? e >= 0 && e < layout.ranks.length : hubs.has(e);
  return layout.links.every((l) => exists(l.from) && exists(l.to));
}

describe('layoutFabric', () => {
  it.each(cases)('%s of %i ranks stays readable', (kind, n) => {
    const fabric = (TOPOLOGIES[kind] as (n: number) => Fabric)(n);
    const layout = layoutFabric(fabric);
    expect(layout.ranks).toHaveLength(n);
    expect(layout.cell).toBeCloseTo(nearestDistance(layout.ranks), 12);
    expect(layout.cell).toBeGreaterThanOrEqual(MIN_RANK_GAP);
    for (const h of layout.hubs) {
      for (const r of layout.ranks)
        expect(Math.hypot(h.x - r.x, h.y - r.y)).toBeGreaterThan(MIN_HUB_GAP);
    }
    // Inside [-1, 1] x [-1, 1], filling it along one axis.
    const all = [...layout.ranks, ...layout.hubs];
    for (const p of all) {
      expect(Math.abs(p.x)).toBeLessThanOrEqual(1 + 1e-12);
      expect(Math.abs(p.y)).toBeLessThanOrEqual(1 + 1e-12);
    }
    const span = (f: (p: { x: number; y: number }) => number) =>
      Math.max(...all.map(f)) - Math.min(...all.map(f));
    expect(
      Math.max(
        span((p) => p.x),
        span((p) => p.y),
      ),
    ).toBeCloseTo(2, 12);
    // Each undirected pair drawn once.
    const pairs = layout.links.map((l) => [String(l.from), String(l.to)].sort().join('|'));
    expect(new Set(pairs).size).toBe(pairs.length);
    expect(endpointsExist(layout)).toBe(true);
  });

  it.each(cases)('%s of %i ranks is deterministic', (kind, n) => {
    const make = TOPOLOGIES[kind] as (n: number) => Fabric;
    expect(layoutFabric(make(n))).toEqual(layoutFabric(make(n)));
  });

  it('draws a ring as a circle, rank 0 at the top, going clockwise', () => {
    const { ranks, links, hubs } = layoutFabric(ringFabric(8, link));
    expect(ranks[0]?.x).toBeCloseTo(0, 12);
    expect(ranks[0]?.y).toBeCloseTo(1, 12);
    expect(ranks[2]?.x).toBeCloseTo(1, 12); // a quarter turn clockwise: the right
    for (const p of ranks) expect(Math.hypot(p.x, p.y)).toBeCloseTo(1, 12);
    expect(hubs).toEqual([]);
    expect(links).toHaveLength(8);
  });

  it('draws a switch as a star round its hub, one line per rank', () => {
    const { hubs, links } = layoutFabric(switchFabric(16, link));
    expect(hubs).toEqual([{ id: 'switch', label: 'switch', x: 0, y: 0 }]);
    expect(links).toHaveLength(16);
    expect(links.every((l) => l.to === 'switch' || l.from === 'switch')).toBe(true);
  });

  it('draws a torus as its grid and marks the wrap-around links', () => {
    const { ranks, links } = layoutFabric(torusFabric(16, link));
    expect(new Set(ranks.map((p) => p.x.toFixed(6))).size).toBe(4);
    expect(new Set(ranks.map((p) => p.y.toFixed(6))).size).toBe(4);
    expect(links).toHaveLength(32);
    expect(links.filter((l) => l.wrap)).toHaveLength(8);
    // A 2 x 4 torus: a side of 2 has no wrap-around of its own.
    expect(layoutFabric(torusFabric(8, link, [2, 4])).links.filter((l) => l.wrap)).toHaveLength(2);
  });

  it('draws dgx-h100 as 8 racks of 8 with a switch each, a NIC per rank, one network', () => {
    const { ranks, hubs, links } = layoutFabric(fabricPreset('dgx-h100').build(64));
    const ids = hubs.map((h) => h.id);
    expect(ids.filter((id) => id.endsWith('.switch'))).toHaveLength(8);
    expect(ids.filter((id) => id.includes('.nic'))).toHaveLength(64);
    expect(ids).toContain('net');
    // Racks: the ranks of a node share a column, nodes side by side in one row.
    expect(new Set(ranks.slice(0, 8).map((p) => p.x)).size).toBe(1);
    expect(new Set(ranks.map((p) => p.x.toFixed(6))).size).toBe(8);
    // 64 rank-switch, 64 NIC-network (priced) and 64 rank-NIC (not priced) lines.
    expect(links.filter((l) => l.priced)).toHaveLength(128);
    expect(links.filter((l) => !l.priced)).toHaveLength(64);
    const net = hubs.find((h) => h.id === 'net');
    for (const r of ranks) expect(r.y).toBeGreaterThan(net?.y ?? 0);
  });

  it('draws the local GPU as ranks round its memory', () => {
    const { hubs, links } = layoutFabric(localFabric(4, link));
    expect(hubs).toEqual([{ id: 'gpu', label: 'GPU memory', x: 0, y: 0 }]);
    expect(links.map((l) => [l.from, l.to])).toEqual([0, 1, 2, 3].map((r) => [r, 'gpu']));
  });

  it('puts a single rank in the middle', () => {
    expect(layoutFabric(ringFabric(1, link))).toMatchObject({ ranks: [{ x: 0, y: 0 }], cell: 2 });
  });
});

describe('routePoints', () => {
  const at = (layout: Layout, ...ends: (number | string)[]) =>
    ends.map((e) =>
      typeof e === 'number' ? layout.ranks[e] : layout.hubs.find((h) => h.id === e),
    );

  it('follows a ring hop by hop, the shorter way', () => {
    const fabric = ringFabric(8, link);
    const layout = layoutFabric(fabric);
    expect(routePoints(layout, fabric, 0, 1)).toEqual(at(layout, 0, 1));
    expect(routePoints(layout, fabric, 0, 6)).toEqual(at(layout, 0, 7, 6));
  });

  it('passes the switch, the NICs and the network, or the GPU memory', () => {
    const sw = switchFabric(4, link);
    expect(routePoints(layoutFabric(sw), sw, 1, 3)).toEqual(at(layoutFabric(sw), 1, 'switch', 3));
    const dgx = fabricPreset('dgx-h100').build(16);
    const l = layoutFabric(dgx);
    expect(routePoints(l, dgx, 1, 2)).toEqual(at(l, 1, 'node0.switch', 2));
    expect(routePoints(l, dgx, 3, 12)).toEqual(at(l, 3, 'node0.nic3', 'net', 'node1.nic4', 12));
    const gpu = localFabric(4, link);
    const lg = layoutFabric(gpu);
    expect(routePoints(lg, gpu, 2, 2)).toEqual(at(lg, 2, 'gpu', 2));
  });

  it('is one point for a rank-local op off the local GPU', () => {
    const fabric = ringFabric(4, link);
    const layout = layoutFabric(fabric);
    expect(routePoints(layout, fabric, 2, 2)).toEqual(at(layout, 2));
  });
});
