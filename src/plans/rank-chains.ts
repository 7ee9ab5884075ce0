// A proof of order that costs a comparison, for graphs whose ranks run in program order (every
// graph graphOf makes). Walking tasks in list order, each rank's tasks fall into groups: a task
// that depends on every task of the rank's current group starts the next group; one that
// depends on every task of the group before joins the current one. So every task of a group
// depends on every task of the group before it, and a task of group g is reached from every
// task of every lower group: "e is ordered before t", for two tasks that touch the rank, is
// g(e) < g(t). A task that does neither breaks the rank's chain and starts a new era; across
// eras the chains prove nothing and the caller searches the graph instead.
//
// validateGraph asks this first: a ring's first reduce into a chunk that was copied in at step
// 0 is then ordered by a comparison, not by a search through every task in between.
import type { Task } from './graph.ts';

/** Whether sorted `deps` holds every id of `ids`. */
function holdsAll(deps: readonly number[], ids: readonly number[]): boolean {
  for (const id of ids) {
    let lo = 0;
    let hi = deps.length - 1;
    let found = false;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const d = deps[mid] as number;
      if (d === id) {
        found = true;
        break;
      }
      if (d < id) lo = mid + 1;
      else hi = mid - 1;
    }
    if (!found) return false;
  }
  return true;
}

export class RankChains {
  private readonly cur: number[][];
  private readonly prev: number[][];
  private readonly group: Int32Array;
  /** Group indices at which each rank's eras begin (the first era begins at 0). */
  private readonly eras: number[][];
  /** Each task's group on its first rank (src, or a kernel's) and on its second (dst). */
  private readonly first: Int32Array;
  private readonly second: Int32Array;

  constructor(ranks: number, tasks: number) {
    this.cur = Array.from({ length: ranks }, () => []);
    this.prev = Array.from({ length: ranks }, () => []);
    this.group = new Int32Array(ranks);
    this.eras = Array.from({ length: ranks }, () => [0]);
    this.first = new Int32Array(tasks);
    this.second = new Int32Array(tasks);
  }

  /** Files task `t` (with sorted deps) under each rank it touches; call in list order. */
  add(t: Task): void {
    if (t.kind === 'kernel') {
      this.first[t.id] = this.place(t, t.rank);
      return;
    }
    const g = this.place(t, t.src.rank);
    this.first[t.id] = g;
    this.second[t.id] = t.dst.rank === t.src.rank ? g : this.place(t, t.dst.rank);
  }

  private place(t: Task, rank: number): number {
    // Groups are two arrays a rank, reused: a new group takes the old previous one's array.
    const cur = this.cur[rank] as number[];
    const prev = this.prev[rank] as number[];
    if (holdsAll(t.deps, cur)) {
      prev.length = 0;
      prev.push(t.id);
      this.prev[rank] = cur;
      this.cur[rank] = prev;
      this.group[rank] = (this.group[rank] as number) + 1;
    } else if (holdsAll(t.deps, prev)) {
      cur.push(t.id);
    } else {
      // A new era: its first group holds t alone, and nothing before it is proven below.
      const g = (this.group[rank] as number) + 1;
      (this.eras[rank] as number[]).push(g);
      prev.length = 0;
      cur.length = 0;
      cur.push(t.id);
      this.group[rank] = g;
    }
    return this.group[rank] as number;
  }

  private groupOf(t: Task, rank: number): number {
    if (t.kind === 'kernel' || t.src.rank === rank) return this.first[t.id] as number;
    return this.second[t.id] as number;
  }

  /**
   * True where the chains prove `e` ordered before `t` (both added, both touching `rank`);
   * false where they cannot tell (the caller searches).
   */
  proves(e: Task, t: Task, rank: number): boolean {
    const ge = this.groupOf(e, rank);
    const gt = this.groupOf(t, rank);
    if (ge >= gt) return false;
    // Proven only inside one era: the first era to begin after ge must begin after gt too.
    const eras = this.eras[rank] as number[];
    let lo = 0;
    let hi = eras.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((eras[mid] as number) > ge) hi = mid;
      else lo = mid + 1;
    }
    return lo === eras.length || (eras[lo] as number) > gt;
  }
}
