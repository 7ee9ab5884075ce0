// Who last touched which elements: for each buffer, segments of elements with the task that
// last wrote them and the tasks that read them since. Walking tasks in a topological order, a
// new access conflicts with exactly those (a read with the last writer; a write with the last
// writer and the readers since), and checking or adding only those orders every earlier
// conflicting access too: an older writer is ordered before the last one, which was checked
// against it when it wrote.
//
// Segments split where accesses begin and end, so a buffer cut into N chunks holds about N
// segments and an access costs a binary search. Writes do not merge segments: a boundary once
// needed tends to be needed again. Plans of millions of moves pass through here, so the common
// path allocates nothing.

// Segment i: elements [start(i), start(i + 1)), last written by writer(i) (-1: never), read
// since by reader(i) (-1: none) and by any further readers kept by the segment's start in
// `more`. Typed arrays, not objects: a binary search over plain numbers stays in cache.
//
// The arrays are a gap buffer: segments 0..gap-1 lie at their own index, the others past a gap
// of free room, and a new boundary goes into the gap after moving it there. Builders visit a
// buffer's chunks in neighbouring order (a ring's chunk r, r - 1, r - 2, ...), so the gap moves
// a step or two per boundary, where shifting every later segment cost a memmove of half the
// buffer's segments for each (quadratic in the chunks: seconds for a 1024-rank ring).
class Segments {
  private starts = new Float64Array(16);
  private writers = new Int32Array(16).fill(-1);
  private readers = new Int32Array(16).fill(-1);
  /** Readers beyond the first, by the start of their segment (a start never moves or goes). */
  private more: Map<number, number[]> | null = null;
  private count = 1;
  private gap = 1;
  private gapLength = 15;

  /** Where segment i lies in the arrays. */
  private at(i: number): number {
    return i < this.gap ? i : i + this.gapLength;
  }

  /** The index of the segment that starts at x (searching from segment `from` on). */
  split(x: number, from = 0): number {
    const { starts } = this;
    const next = from + 1;
    if (next < this.count && starts[this.at(next)] === x) return next;
    let lo = from;
    let hi = this.count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[this.at(mid)] as number) <= x) lo = mid;
      else hi = mid - 1;
    }
    if (starts[this.at(lo)] === x) return lo;
    this.insert(lo + 1, x);
    return lo + 1;
  }

  /** A boundary at x as segment i, which starts as a copy of the one it cuts (i - 1). */
  private insert(i: number, x: number): void {
    if (this.gapLength === 0) this.grow();
    this.moveGap(i);
    const { starts, writers, readers } = this;
    // The gap now begins at i, so segment i - 1 lies just before it.
    starts[i] = x;
    writers[i] = writers[i - 1] as number;
    readers[i] = readers[i - 1] as number;
    const more = this.more?.get(starts[i - 1] as number);
    if (more) this.more?.set(x, more.slice());
    this.gap++;
    this.gapLength--;
    this.count++;
  }

  /** Moves the gap to begin at segment i. */
  private moveGap(i: number): void {
    const { gap, gapLength: g } = this;
    if (i === gap) return;
    for (const a of [this.starts, this.writers, this.readers]) {
      // Segments i..gap-1 go to the far side of the gap, or gap..i-1 come to the near side.
      if (i < gap) a.copyWithin(i + g, i, gap);
      else a.copyWithin(gap, gap + g, i + g);
    }
    this.gap = i;
  }

  /** Twice the room, the gap at the end of the segments. */
  private grow(): void {
    this.moveGap(this.count);
    const cap = this.starts.length * 2;
    const grow = <T extends Float64Array | Int32Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.starts = grow(this.starts, new Float64Array(cap));
    this.writers = grow(this.writers, new Int32Array(cap));
    this.readers = grow(this.readers, new Int32Array(cap));
    this.gapLength = cap - this.count;
  }

  /** Pushes onto `out` every earlier task that segments [i0, i1) conflict with. */
  conflicts(i0: number, i1: number, task: number, write: boolean, out: number[]): void {
    for (let i = i0; i < i1; i++) {
      const p = this.at(i);
      const w = this.writers[p] as number;
      if (w >= 0 && w !== task) out.push(w);
      if (!write) continue;
      const r = this.readers[p] as number;
      if (r >= 0 && r !== task) out.push(r);
      const more = this.more?.get(this.starts[p] as number);
      if (more) for (const m of more) if (m !== task) out.push(m);
    }
  }

  record(i0: number, i1: number, task: number, write: boolean): void {
    for (let i = i0; i < i1; i++) {
      const p = this.at(i);
      if (write) {
        this.writers[p] = task;
        this.readers[p] = -1;
        this.more?.delete(this.starts[p] as number);
        continue;
      }
      const r = this.readers[p] as number;
      if (r < 0) this.readers[p] = task;
      else if (r !== task) this.addReader(this.starts[p] as number, task);
    }
  }

  private addReader(start: number, task: number): void {
    if (!this.more) this.more = new Map();
    const more = this.more.get(start);
    if (!more) this.more.set(start, [task]);
    else if (more[more.length - 1] !== task) more.push(task);
  }
}

/** Segments per buffer, buffers numbered by the caller. */
export class Scoreboard {
  private readonly buffers: Segments[] = [];

  /**
   * Pushes onto `conflicts` every earlier task an access of [start, end) of `buffer` by `task`
   * conflicts with (possibly more than once), then records the access.
   */
  access(
    buffer: number,
    start: number,
    end: number,
    task: number,
    write: boolean,
    conflicts: number[],
  ): void {
    if (end <= start) return;
    let s = this.buffers[buffer];
    if (!s) {
      s = new Segments();
      this.buffers[buffer] = s;
    }
    const i0 = s.split(start);
    // The last segment runs on past the buffer's end, so a boundary at `end` always exists.
    const i1 = s.split(end, i0);
    s.conflicts(i0, i1, task, write, conflicts);
    s.record(i0, i1, task, write);
  }
}
