// Where the fabric view draws ranks, hubs (switches, NICs, the network, the GPU's memory) and
// links, by topology: a ring on a circle, a switch as a star, a 2D torus as a grid, two-level
// nodes as racks, the local GPU as ranks round its memory. Plain numbers, no DOM, so the
// layout is tested here and the scene only scales it to the canvas.
//
// Units: every rank and hub centre lies in [-1, 1] x [-1, 1], y up (three.js), centred on 0.
// `cell` is the nearest distance between two ranks: the room a rank's glyph and strip have.
import { type Endpoint, type Fabric, route } from '../../fabric/fabric.ts';
import { racksLayout } from './layout-racks.ts';
import type { Layout, LayoutLink, Point, RawLayout } from './layout-types.ts';

// The shapes live in layout-types.ts so layout-racks.ts can use them without importing this
// file back (an import loop); importers of the layout keep reading them from here.
export type { Hub, Layout, LayoutLink, Point, RawLayout } from './layout-types.ts';

export const link = (from: Endpoint, to: Endpoint, priced = true, wrap = false): LayoutLink => ({
  from,
  to,
  priced,
  wrap,
});

/** n points on a circle of radius r, the first at the top, going clockwise. */
export function circle(n: number, r = 1): Point[] {
  return Array.from({ length: n }, (_, i) => {
    const a = Math.PI / 2 - (2 * Math.PI * i) / n;
    return { x: r * Math.cos(a), y: r * Math.sin(a) };
  });
}

/** The fabric's links, one per undirected pair of endpoints, in the order they first appear. */
function undirected(fabric: Fabric): LayoutLink[] {
  const seen = new Set<string>();
  const out: LayoutLink[] = [];
  for (const l of fabric.links) {
    const [a, b] = [String(l.from), String(l.to)];
    const key = a < b ? `${a}|${b}` : `${b}|${a}`;
    if (a === b || seen.has(key)) continue;
    seen.add(key);
    out.push(link(l.from, l.to));
  }
  return out;
}

function ringLayout(fabric: Fabric): RawLayout {
  return { ranks: circle(fabric.ranks), hubs: [], links: undirected(fabric) };
}

function starLayout(fabric: Fabric, id: string, label: string, links: LayoutLink[]): RawLayout {
  return { ranks: circle(fabric.ranks), hubs: [{ id, label, x: 0, y: 0 }], links };
}

/**
 * A 2D torus as an nx by ny grid, row 0 at the top; wrap-around links are marked. A torus with
 * a side of 1 is a ring (a prime rank count gives 1 x N), so it is drawn as one.
 */
function torusLayout(fabric: Fabric, nx: number, ny: number): RawLayout {
  if (nx === 1 || ny === 1) return ringLayout(fabric);
  const ranks = Array.from({ length: fabric.ranks }, (_, r) => ({
    x: r % nx,
    y: -Math.floor(r / nx),
  }));
  const links = undirected(fabric).map((l) => {
    const [a, b] = [ranks[l.from as number] as Point, ranks[l.to as number] as Point];
    return link(l.from, l.to, true, Math.abs(a.x - b.x) + Math.abs(a.y - b.y) > 1);
  });
  return { ranks, hubs: [], links };
}

function rawLayout(fabric: Fabric): RawLayout {
  const t = fabric.topology;
  switch (t.kind) {
    case 'ring':
      return ringLayout(fabric);
    case 'switch':
      return starLayout(fabric, 'switch', 'switch', undirected(fabric));
    case 'torus':
      return torusLayout(fabric, t.dims[0], t.dims[1]);
    case 'two-level':
      return racksLayout(
        fabric.ranks,
        t.nodes,
        t.ranks_per_node,
        t.nics_per_node,
        undirected(fabric),
      );
    case 'local': {
      // One memory system that every transfer goes through: a line from each rank to it.
      const links = Array.from({ length: fabric.ranks }, (_, r) => link(r, 'gpu'));
      return starLayout(fabric, 'gpu', 'GPU memory', links);
    }
  }
}

/** The nearest distance between two of `points` (Infinity for fewer than two). */
export function nearestDistance(points: readonly Point[]): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const [a, b] = [points[i] as Point, points[j] as Point];
      best = Math.min(best, Math.hypot(a.x - b.x, a.y - b.y));
    }
  }
  return best;
}

/** Scales and centres a raw layout into [-1, 1] x [-1, 1], keeping its aspect. */
export function fitLayout(raw: RawLayout): Layout {
  const all = [...raw.ranks, ...raw.hubs];
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const span = Math.max(x1 - x0, y1 - y0);
  const k = span > 0 ? 2 / span : 1;
  const [cx, cy] = [(x0 + x1) / 2, (y0 + y1) / 2];
  const at = <P extends Point>(p: P): P => ({ ...p, x: (p.x - cx) * k, y: (p.y - cy) * k });
  const ranks = raw.ranks.map(at);
  const nearest = nearestDistance(ranks);
  return {
    ranks,
    hubs: raw.hubs.map(at),
    links: raw.links,
    cell: Number.isFinite(nearest) ? nearest : 2,
  };
}

/** The layout of `fabric`: the same fabric always gives the same numbers. */
export function layoutFabric(fabric: Fabric): Layout {
  return fitLayout(rawLayout(fabric));
}

/**
 * The points a transfer from rank src to rank dst passes, following the fabric's route: both
 * ranks and every switch, NIC or memory between (a ring's hops, a switch, NIC - network - NIC).
 * A rank-local transfer that uses no link is the one point of its rank.
 */
export function routePoints(layout: Layout, fabric: Fabric, src: number, dst: number): Point[] {
  const byId = new Map(fabric.links.map((l) => [l.id, l]));
  const hubs = new Map(layout.hubs.map((h) => [h.id, h]));
  const at = (e: Endpoint): Point | undefined =>
    typeof e === 'number' ? layout.ranks[e] : hubs.get(e);
  const path: Endpoint[] = [src];
  for (const id of route(fabric, src, dst)) {
    const l = byId.get(id);
    if (!l) continue;
    if (path[path.length - 1] !== l.from) path.push(l.from);
    path.push(l.to);
  }
  if (path[path.length - 1] !== dst) path.push(dst);
  const points = path.map(at).filter((p): p is Point => p !== undefined);
  // The local GPU's one link runs gpu -> gpu: drop the repeated point.
  return points.filter((p, i) => i === 0 || p !== points[i - 1]);
}
