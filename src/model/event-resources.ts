// What the event-driven pricer's moves flow through, as numbered resources with a capacity in
// bytes per second: the fabric's links, each rank's own memory (where the fabric prices
// rank-local copies) and the reducers (1 / gamma bytes per second). A route is a list of
// resources and its alpha; moves name routes by number, so the simulation reads typed arrays,
// not link ids. Each (src, dst) pair is routed once, however many moves it carries.

import { type Fabric, type LinkId, route } from '../fabric/fabric.ts';

export class Resources {
  /** Bytes per second of each resource. */
  readonly capacity: Float64Array;
  /** The resources reported as links: the fabric's, then '<rank>.memory' where priced. */
  readonly linkIds: readonly LinkId[];
  /** Every route's resources: routeResources[routeStart[r] .. routeStart[r + 1]). */
  routeStart = new Int32Array(0);
  routeResources = new Int32Array(0);
  /** Seconds a move on the route waits before its bytes flow: its links' largest alpha. */
  routeAlpha = new Float64Array(0);
  /** The rank whose comm stream a move on the route runs on. */
  routeRank = new Int32Array(0);
  /** The reducer a reduce on the route runs on (its destination's), or -1 (gamma 0). */
  routeReducer = new Int32Array(0);
  /** The most resources on one route (>= 1: a reduce's bytes take one, its reducer). */
  hops = 1;

  private readonly linkIndex = new Map<LinkId, number>();
  private readonly linkAlpha: Float64Array;
  /** First '<rank>.memory' resource, or -1 where rank-local moves are free or use route(). */
  private readonly memory0: number;
  /** First reducer (one per rank; on the local fabric one for the GPU), or -1 (gamma 0). */
  private readonly reducer0: number;
  /** The `local` fabric: one GPU's memory, reducer and compute queue for every rank. */
  readonly sharedGpu: boolean;
  private readonly byPair = new Map<number, number>();
  private readonly starts: number[] = [0];
  private readonly members: number[] = [];
  private readonly alphas: number[] = [];
  private readonly ranksOf: number[] = [];
  private readonly reducers: number[] = [];

  constructor(private readonly fabric: Fabric) {
    this.sharedGpu = fabric.topology.kind === 'local';
    const ids: LinkId[] = fabric.links.map((l) => l.id);
    const capacity: number[] = fabric.links.map((l) => l.beta_Bps);
    this.linkAlpha = Float64Array.from(fabric.links, (l) => l.alpha_s);
    ids.forEach((id, i) => {
      this.linkIndex.set(id, i);
    });
    // On the local fabric route() already sends rank-local moves through the one memory link.
    const memory_Bps = this.sharedGpu ? undefined : fabric.memory_Bps;
    this.memory0 = memory_Bps === undefined ? -1 : ids.length;
    if (memory_Bps !== undefined) {
      for (let r = 0; r < fabric.ranks; r++) {
        ids.push(`${r}.memory`);
        capacity.push(memory_Bps);
      }
    }
    this.linkIds = ids;
    const gamma = fabric.gamma_s_per_B ?? 0;
    this.reducer0 = gamma > 0 ? capacity.length : -1;
    if (gamma > 0) {
      for (let r = 0; r < (this.sharedGpu ? 1 : fabric.ranks); r++) capacity.push(1 / gamma);
    }
    this.capacity = Float64Array.from(capacity);
  }

  /**
   * The route of a move from src to dst whose comm stream is `rank`'s (numbered; see finish()).
   * The stream's rank is part of the route so that the simulation reads it from the route.
   */
  routeOf(src: number, dst: number, rank: number): number {
    const onSource = rank === src && src !== dst ? 1 : 0;
    const key = (src * this.fabric.ranks + dst) * 2 + onSource;
    const known = this.byPair.get(key);
    if (known !== undefined) return known;
    let members: number[];
    if (src === dst && !this.sharedGpu) {
      members = this.memory0 < 0 ? [] : [this.memory0 + src];
    } else {
      members = route(this.fabric, src, dst).map((id) => {
        const i = this.linkIndex.get(id);
        if (i === undefined) {
          throw new Error(`route of ${this.fabric.name} names unknown link '${id}'`);
        }
        return i;
      });
    }
    // Cut-through: hop latencies are not added (alpha is mostly software at the ends), and a
    // rank's own memory has none.
    let alpha = 0;
    for (const i of members) {
      if (i < this.linkAlpha.length) alpha = Math.max(alpha, this.linkAlpha[i] as number);
    }
    const id = this.alphas.length;
    this.members.push(...members);
    this.starts.push(this.members.length);
    this.alphas.push(alpha);
    this.ranksOf.push(rank);
    this.reducers.push(this.reducer0 < 0 ? -1 : this.reducer0 + (this.sharedGpu ? 0 : dst));
    this.hops = Math.max(this.hops, members.length);
    this.byPair.set(key, id);
    return id;
  }

  /** Freezes the routes seen so far into the typed arrays the simulation reads. */
  finish(): void {
    this.routeStart = Int32Array.from(this.starts);
    this.routeResources = Int32Array.from(this.members);
    this.routeAlpha = Float64Array.from(this.alphas);
    this.routeRank = Int32Array.from(this.ranksOf);
    this.routeReducer = Int32Array.from(this.reducers);
  }
}
