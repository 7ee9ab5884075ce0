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

// Segment i: elements [starts[i], starts[i + 1]), last written by writer[i] (-1: never), read
// since by reader[i] (-1: none) and by any further readers in more[i]. Typed arrays with room
// to grow, not objects: a binary search over plain numbers stays in cache, and inserting a
// boundary is one memmove of the tail (a buffer cut into N chunks sees N of them).
class Segments {
  private starts = new Float64Array(16);
  private writer = new Int32Array(16).fill(-1);
  private reader = new Int32Array(16).fill(-1);
  /** Created at the first segment with two readers since its last write. */
  private more: (number[] | null)[] | null = null;
  private count = 1;

  /** The index of the segment that starts at x (searching from segment `from` on). */
  split(x: number, from = 0): number {
    const { starts } = this;
    const next = from + 1;
    if (next < this.count && starts[next] === x) return next;
    let lo = from;
    let hi = this.count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= x) lo = mid;
      else hi = mid - 1;
    }
    if (starts[lo] === x) return lo;
    this.insert(lo + 1, x);
    return lo + 1;
  }

  /** A boundary at x as segment `at`, which starts as a copy of the one it cuts. */
  private insert(at: number, x: number): void {
    if (this.count === this.starts.length) {
      const cap = this.count * 2;
      const grow = <T extends Float64Array | Int32Array>(a: T, b: T): T => {
        b.set(a);
        return b;
      };
      this.starts = grow(this.starts, new Float64Array(cap));
      this.writer = grow(this.writer, new Int32Array(cap));
      this.reader = grow(this.reader, new Int32Array(cap));
    }
    const { starts, writer, reader, count } = this;
    starts.copyWithin(at + 1, at, count);
    writer.copyWithin(at + 1, at, count);
    reader.copyWithin(at + 1, at, count);
    starts[at] = x;
    writer[at] = writer[at - 1] as number;
    reader[at] = reader[at - 1] as number;
    if (this.more) {
      const m = this.more[at - 1];
      this.more.splice(at, 0, m ? m.slice() : null);
    }
    this.count++;
  }

  /** Pushes onto `out` every earlier task that segments [i0, i1) conflict with. */
  conflicts(i0: number, i1: number, task: number, write: boolean, out: number[]): void {
    for (let i = i0; i < i1; i++) {
      const w = this.writer[i] as number;
      if (w >= 0 && w !== task) out.push(w);
      if (!write) continue;
      const r = this.reader[i] as number;
      if (r >= 0 && r !== task) out.push(r);
      for (const m of this.more?.[i] ?? []) if (m !== task) out.push(m);
    }
  }

  record(i0: number, i1: number, task: number, write: boolean): void {
    for (let i = i0; i < i1; i++) {
      if (write) {
        this.writer[i] = task;
        this.reader[i] = -1;
        if (this.more) this.more[i] = null;
        continue;
      }
      const r = this.reader[i] as number;
      if (r < 0) this.reader[i] = task;
      else if (r !== task) this.addReader(i, task);
    }
  }

  private addReader(i: number, task: number): void {
    if (!this.more) this.more = Array.from({ length: this.count }, () => null);
    const more = this.more[i];
    if (!more) this.more[i] = [task];
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
