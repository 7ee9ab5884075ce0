// The event queue of the event-driven pricer: a binary min-heap of (time, code, version) in
// typed arrays that grow by doubling, so pushing and popping millions of events allocates
// nothing per event. Ties in time are broken by the code (the pricer's task id and event kind),
// so a simulation is deterministic whatever order it pushed its events in.
//
// Events are never removed from the middle: a flow whose rate changes pushes a new event with
// a bumped version, and the pricer drops popped events whose version is no longer the flow's
// (lazy deletion: cheaper than a decrease-key heap, and stale entries are few).

export class EventHeap {
  private time = new Float64Array(1024);
  private code = new Int32Array(1024);
  private version = new Int32Array(1024);
  size = 0;

  push(time: number, code: number, version: number): void {
    if (this.size === this.time.length) this.grow();
    const { time: t, code: c, version: v } = this;
    let i = this.size++;
    // Sift up: move parents down until the new event's place is found.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = t[parent] as number;
      if (pt < time || (pt === time && (c[parent] as number) <= code)) break;
      t[i] = pt;
      c[i] = c[parent] as number;
      v[i] = v[parent] as number;
      i = parent;
    }
    t[i] = time;
    c[i] = code;
    v[i] = version;
  }

  /** The earliest event's time (the heap must not be empty). */
  peekTime(): number {
    return this.time[0] as number;
  }

  /** Pops the earliest event; its code and version are in `poppedCode`, `poppedVersion`. */
  poppedCode = 0;
  poppedVersion = 0;
  pop(): number {
    const { time: t, code: c, version: v } = this;
    const top = t[0] as number;
    this.poppedCode = c[0] as number;
    this.poppedVersion = v[0] as number;
    const n = --this.size;
    if (n === 0) return top;
    const lt = t[n] as number;
    const lc = c[n] as number;
    const lv = v[n] as number;
    // Sift the last event down from the root.
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n) {
        const ct = t[child] as number;
        const rt = t[right] as number;
        if (rt < ct || (rt === ct && (c[right] as number) < (c[child] as number))) child = right;
      }
      const ct = t[child] as number;
      if (lt < ct || (lt === ct && lc <= (c[child] as number))) break;
      t[i] = ct;
      c[i] = c[child] as number;
      v[i] = v[child] as number;
      i = child;
    }
    t[i] = lt;
    c[i] = lc;
    v[i] = lv;
    return top;
  }

  private grow(): void {
    const cap = this.time.length * 2;
    const time = new Float64Array(cap);
    const code = new Int32Array(cap);
    const version = new Int32Array(cap);
    time.set(this.time);
    code.set(this.code);
    version.set(this.version);
    [this.time, this.code, this.version] = [time, code, version];
  }
}
