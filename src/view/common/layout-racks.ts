// Two-level fabrics drawn as racks: each node a column of ranks, its switch to the right of the
// column (so the ranks' links fan out rather than overlap), its NICs to the left beside the
// ranks they serve, and the network below all racks. Many nodes wrap into rows of racks.
import { nic, nodeSwitch } from '../../fabric/fabric.ts';
import type { Hub, LayoutLink, Point, RawLayout } from './layout-types.ts';

// In rank spacings: a rack's NICs and switch sit SIDE either side of its ranks; racks are
// PITCH apart, rows of racks ROW_GAP apart, the network NET_GAP below the lowest rank.
const SIDE = 0.7;
const PITCH = 2.4;
const ROW_GAP = 2;
const NET_GAP = 1.5;
/** The shape of the canvas the racks are packed for: a 16:9 projector. */
const VIEW = { w: 16, h: 9 };

/** Racks per row that let the picture fill a 16:9 view at the largest scale. */
function racksPerRow(nodes: number, g: number): number {
  let best = nodes;
  let bestScale = 0;
  for (let c = nodes; c >= 1; c--) {
    const rows = Math.ceil(nodes / c);
    const width = (c - 1) * PITCH + 2 * SIDE;
    const height = rows * (g - 1) + (rows - 1) * ROW_GAP + NET_GAP;
    const scale = Math.min(VIEW.w / width, VIEW.h / height);
    if (scale > bestScale) [best, bestScale] = [c, scale];
  }
  return best;
}

/**
 * Ranks, node switches, NICs and the network of `nodes` nodes of `g` ranks with `nics` NICs
 * each, in rank spacings. `fabricLinks` are the fabric's own (rank - node switch, NIC -
 * network); a GPU's hop to its NIC, which the fabric does not price, is added unpriced.
 */
export function racksLayout(
  ranks: number,
  nodes: number,
  g: number,
  nics: number,
  fabricLinks: readonly LayoutLink[],
): RawLayout {
  const perRow = racksPerRow(nodes, g);
  const rackAt = (k: number): Point => ({
    x: (k % perRow) * PITCH,
    y: -Math.floor(k / perRow) * (g - 1 + ROW_GAP),
  });
  // A NIC beside the rank it serves when each rank has one, else spread along the rack.
  const nicY = (j: number) => (nics === g ? j : ((j + 0.5) * g) / nics - 0.5);
  const rankPoints: Point[] = Array.from({ length: ranks }, (_, r) => {
    const o = rackAt(Math.floor(r / g));
    return { x: o.x, y: o.y - (r % g) };
  });
  const hubs: Hub[] = [];
  for (let k = 0; k < nodes; k++) {
    const o = rackAt(k);
    hubs.push({
      id: nodeSwitch(k),
      label: `node ${k} switch`,
      x: o.x + SIDE,
      y: o.y - (g - 1) / 2,
    });
    for (let j = 0; j < nics; j++) {
      hubs.push({ id: nic(k, j), label: `NIC ${j}`, x: o.x - SIDE, y: o.y - nicY(j) });
    }
  }
  const rows = Math.ceil(nodes / perRow);
  const bottom = -(rows - 1) * (g - 1 + ROW_GAP) - (g - 1);
  const middle = ((Math.min(nodes, perRow) - 1) * PITCH) / 2;
  hubs.push({ id: 'net', label: 'network', x: middle, y: bottom - NET_GAP });
  const toNic: LayoutLink[] = rankPoints.map((_, r) => ({
    from: r,
    to: nic(Math.floor(r / g), (r % g) % nics),
    priced: false,
    wrap: false,
  }));
  return { ranks: rankPoints, hubs, links: [...fabricLinks, ...toNic] };
}
