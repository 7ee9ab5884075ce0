// A fabric: ranks, the physical links between them (and their switches, NICs or memory), and
// the route a transfer from one rank to another takes. Plain data, so a view can draw it and a
// URL can carry it; the topology's parameters are enough to route without a graph search.
//
// Links are physical and one-way (full-duplex links are a pair). Several rank pairs share a
// link exactly when their routes name it: a switch port, a torus link, a node's NIC, or the one
// memory system of the local GPU. The pricer serializes what shares a link within a step.

/** A rank (its number) or a named switch, NIC or memory. */
export type Endpoint = number | string;
export type LinkId = string;

export interface Link {
  readonly id: LinkId;
  readonly from: Endpoint;
  readonly to: Endpoint;
  /** Seconds per message on this link. */
  readonly alpha_s: number;
  /** Bytes per second, one direction. */
  readonly beta_Bps: number;
}

export type Topology =
  | { readonly kind: 'ring' }
  | { readonly kind: 'switch' }
  | { readonly kind: 'torus'; readonly dims: readonly [number, number] }
  | {
      readonly kind: 'two-level';
      readonly nodes: number;
      readonly ranks_per_node: number;
      readonly nics_per_node: number;
    }
  | { readonly kind: 'local' };

export interface Fabric {
  readonly name: string;
  readonly ranks: number;
  readonly topology: Topology;
  readonly links: readonly Link[];
  /** Seconds per byte a rank spends reducing (gamma); absent: reductions are free. */
  readonly gamma_s_per_B?: number;
  /**
   * Bytes per second a rank copies within its own memory, for rank-local ops (src rank = dst
   * rank); absent: they are free (on a network they are small beside the transfers).
   */
  readonly memory_Bps?: number;
}

export const linkId = (from: Endpoint, to: Endpoint): LinkId => `${from}->${to}`;

/** The one link of the `local` fabric: this GPU's memory system, which every rank shares. */
export const MEMORY_LINK: LinkId = 'memory';

function checkRank(fabric: Fabric, rank: number, what: string): void {
  if (!Number.isInteger(rank) || rank < 0 || rank >= fabric.ranks) {
    throw new RangeError(`${what} rank ${rank} is not in 0..${fabric.ranks - 1} of ${fabric.name}`);
  }
}

/**
 * Steps along one ring dimension of size `size` from a to b, the shorter way; at exactly half
 * way round, the positive way. Returns the signed step count.
 */
export function ringDelta(a: number, b: number, size: number): number {
  const forward = (((b - a) % size) + size) % size;
  return forward <= size - forward ? forward : forward - size;
}

/** The hops from a to b along one ring dimension, as (from, to) coordinate pairs. */
function ringHops(a: number, b: number, size: number): [number, number][] {
  const delta = ringDelta(a, b, size);
  const step = Math.sign(delta);
  const hops: [number, number][] = [];
  for (let i = 0, x = a; i < Math.abs(delta); i++) {
    const next = (((x + step) % size) + size) % size;
    hops.push([x, next]);
    x = next;
  }
  return hops;
}

/**
 * The links a transfer from rank src to rank dst uses, in order. A rank-local transfer uses
 * none, except on the local fabric, where every transfer, rank-local or not, goes through the
 * one shared memory system.
 */
export function route(fabric: Fabric, src: number, dst: number): LinkId[] {
  checkRank(fabric, src, 'source');
  checkRank(fabric, dst, 'destination');
  const t = fabric.topology;
  if (t.kind === 'local') return [MEMORY_LINK];
  if (src === dst) return [];
  switch (t.kind) {
    case 'ring':
      return ringHops(src, dst, fabric.ranks).map(([a, b]) => linkId(a, b));
    case 'switch':
      return [linkId(src, 'switch'), linkId('switch', dst)];
    case 'torus': {
      // Dimension-order routing: along x first, then along y, each the shorter way round.
      const [nx, ny] = t.dims;
      const [sx, sy, dx, dy] = [src % nx, Math.floor(src / nx), dst % nx, Math.floor(dst / nx)];
      const along_x = ringHops(sx, dx, nx).map(([a, b]) => linkId(sy * nx + a, sy * nx + b));
      const along_y = ringHops(sy, dy, ny).map(([a, b]) => linkId(a * nx + dx, b * nx + dx));
      return [...along_x, ...along_y];
    }
    case 'two-level': {
      const g = t.ranks_per_node;
      const [srcNode, dstNode] = [Math.floor(src / g), Math.floor(dst / g)];
      if (srcNode === dstNode) {
        return [linkId(src, nodeSwitch(srcNode)), linkId(nodeSwitch(srcNode), dst)];
      }
      return [
        linkId(nic(srcNode, (src % g) % t.nics_per_node), 'net'),
        linkId('net', nic(dstNode, (dst % g) % t.nics_per_node)),
      ];
    }
  }
}

export const nodeSwitch = (node: number) => `node${node}.switch`;
export const nic = (node: number, index: number) => `node${node}.nic${index}`;
