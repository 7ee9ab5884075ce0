// The shapes of a fabric layout (see layout.ts): ranks and hubs as points in layout units and
// the links between them. Types only, imported by layout.ts and layout-racks.ts alike, so the
// two do not import each other.
import type { Endpoint } from '../../fabric/fabric.ts';

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface Hub extends Point {
  /** The fabric's name for it ('switch', 'node0.switch', 'node0.nic3', 'net', 'gpu'). */
  readonly id: string;
  /** What to write beside it. */
  readonly label: string;
}

export interface LayoutLink {
  /** Rank indices or hub ids; each undirected pair once (a full-duplex link is one line). */
  readonly from: Endpoint;
  readonly to: Endpoint;
  /** False for a hop drawn to connect the picture but not priced (a GPU to its NIC). */
  readonly priced: boolean;
  /** A torus' wrap-around link, which crosses the grid: draw it as an arc or leave it faint. */
  readonly wrap: boolean;
}

export interface Layout {
  readonly ranks: readonly Point[];
  readonly hubs: readonly Hub[];
  readonly links: readonly LayoutLink[];
  /** Nearest distance between two ranks, in layout units (2 for a single rank). */
  readonly cell: number;
}

/** A layout before scaling: any units, any centre. */
export interface RawLayout {
  readonly ranks: readonly Point[];
  readonly hubs: readonly Hub[];
  readonly links: readonly LayoutLink[];
}
