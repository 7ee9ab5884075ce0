// The event loop of the event-driven pricer (its rules and their reasons: event-pricer.ts).
// State lives in typed arrays indexed by task, resource, slot, stream or rank; an instant's
// events are handled together, then the streams that freed up pick their next kernel and the
// flows on links whose counts changed get their new rates, once.
//
// A flow is a move's bytes in flight (or being reduced), kept in a pool sized by the most flows
// in flight at once, not by the tasks: a flow's slots are its places in the flow lists of the
// resources it uses (intrusive doubly linked lists, one per resource), so joining or leaving a
// link is O(1) and rerating a link's flows walks only that link's list.

import { EventHeap } from './event-heap.ts';
import type { Resources } from './event-resources.ts';
import type { TaskTable } from './event-tasks.ts';

// Event kinds: the low two bits of an event's code (task id x 4 + kind).
const ALPHA_END = 0;
const FLOW_END = 1;
const TASK_END = 2;

// What a move's bytes are doing.
const IDLE = 0;
const FLOWING = 1;
const REDUCING = 2;

export interface Timeline {
  /** Seconds from the start, by task. */
  readonly start_s: Float64Array;
  readonly end_s: Float64Array;
  /** Kernels that waited for their compute stream, and the kernel they waited for. */
  readonly waitedFor: ReadonlyMap<number, number>;
  readonly resourceBytes: Float64Array;
  readonly resourceBusy_s: Float64Array;
  readonly computeBusy_s: Float64Array;
  readonly commBusy_s: Float64Array;
  readonly hidden_s: Float64Array;
  /** Per rank: first kernel's start and last kernel's end (Infinity, -Infinity: none). */
  readonly firstKernel_s: Float64Array;
  readonly lastKernel_s: Float64Array;
}

export function simulate(table: TaskTable, resources: Resources, ranks: number): Timeline {
  const sim = new Simulation(table, resources, ranks);
  sim.run();
  return sim;
}

class Simulation implements Timeline {
  private now = 0;
  private batch = 1;
  private readonly heap = new EventHeap();
  readonly start_s: Float64Array;
  readonly end_s: Float64Array;
  readonly waitedFor = new Map<number, number>();
  private finished = 0;
  /** Tasks whose last phase is done, finished after the event at hand (no recursion). */
  private readonly done: number[] = [];
  private readonly code: Int32Array;
  private readonly hops: number;
  private readonly sharedGpu: boolean;

  // The flow pool: flows are taken from `free` or past `used`, the pool doubling when full.
  private capacity = 0;
  private used = 0;
  private readonly free: number[] = [];
  private flowTask = new Int32Array(0);
  private flowPhase = new Uint8Array(0);
  private flowBytes = new Float64Array(0);
  private remaining = new Float64Array(0);
  private rate = new Float64Array(0);
  private since = new Float64Array(0);
  /** Never reset, even when a flow is reused: an event with an older version is stale. */
  private version = new Int32Array(0);
  private flowStamp = new Int32Array(0);
  // Slot j of flow f is f x hops + j.
  private next = new Int32Array(0);
  private prev = new Int32Array(0);
  private readonly dirtyFlows: number[] = [];

  // Resources: links, rank memories, reducers.
  private readonly count: Int32Array;
  private readonly head: Int32Array;
  private readonly busySince: Float64Array;
  readonly resourceBytes: Float64Array;
  readonly resourceBusy_s: Float64Array;
  private readonly resourceStamp: Int32Array;
  private readonly dirtyResources: number[] = [];

  // Compute streams: the kernel running, the one that ran last, ready kernels (ids, highest
  // first so pop() takes the lowest), streams to look at when the instant's events are done.
  private readonly running: Int32Array;
  private readonly lastRun: Int32Array;
  private readonly queues: (number[] | undefined)[];
  private readonly streamStamp: Int32Array;
  private readonly dispatch: number[] = [];

  // Ranks: moves in flight and kernels running, and the seconds accounted up to `accounted`.
  private readonly commActive: Int32Array;
  private readonly computeActive: Int32Array;
  private readonly accounted: Float64Array;
  readonly computeBusy_s: Float64Array;
  readonly commBusy_s: Float64Array;
  readonly hidden_s: Float64Array;
  readonly firstKernel_s: Float64Array;
  readonly lastKernel_s: Float64Array;

  constructor(
    private readonly t: TaskTable,
    private readonly r: Resources,
    ranks: number,
  ) {
    this.start_s = t.start_s;
    this.end_s = t.end_s;
    this.code = t.code;
    this.hops = r.hops;
    this.sharedGpu = r.sharedGpu;
    this.grow();
    const m = r.capacity.length;
    this.count = new Int32Array(m);
    this.head = new Int32Array(m).fill(-1);
    this.busySince = new Float64Array(m);
    this.resourceBytes = new Float64Array(m);
    this.resourceBusy_s = new Float64Array(m);
    this.resourceStamp = new Int32Array(m);
    const streams = r.sharedGpu ? 1 : ranks;
    this.running = new Int32Array(streams).fill(-1);
    this.lastRun = new Int32Array(streams).fill(-1);
    this.queues = new Array(streams);
    this.streamStamp = new Int32Array(streams);
    this.commActive = new Int32Array(ranks);
    this.computeActive = new Int32Array(ranks);
    this.accounted = new Float64Array(ranks);
    this.computeBusy_s = new Float64Array(ranks);
    this.commBusy_s = new Float64Array(ranks);
    this.hidden_s = new Float64Array(ranks);
    this.firstKernel_s = new Float64Array(ranks).fill(Number.POSITIVE_INFINITY);
    this.lastKernel_s = new Float64Array(ranks).fill(Number.NEGATIVE_INFINITY);
  }

  run(): void {
    const { heap } = this;
    for (let id = 0; id < this.t.count; id++) if (this.start_s[id] === 0) this.ready(id);
    this.drain();
    this.settle();
    while (heap.size > 0) {
      this.now = heap.peekTime();
      this.batch++;
      while (heap.size > 0 && heap.peekTime() === this.now) {
        heap.pop();
        const code = heap.poppedCode;
        const id = code >> 2;
        const kind = code & 3;
        if (kind === ALPHA_END) this.beginFlow(id);
        else if (kind === TASK_END) this.finish(id);
        else if (heap.poppedVersion === this.version[id]) this.endFlow(id);
        this.drain();
      }
      this.settle();
    }
    if (this.finished !== this.t.count) {
      throw new Error(
        `${this.t.count - this.finished} tasks never became ready: a dependency names a later task (validateGraph)`,
      );
    }
  }

  private drain(): void {
    const { done } = this;
    while (done.length > 0) this.finish(done.pop() as number);
  }

  /** Adds rank's seconds up to now to its busy figures, before its counts change. */
  private account(rank: number): void {
    const dt = this.now - (this.accounted[rank] as number);
    if (dt > 0) {
      const comm = (this.commActive[rank] as number) > 0;
      const compute = (this.computeActive[rank] as number) > 0;
      if (comm) this.commBusy_s[rank] = (this.commBusy_s[rank] as number) + dt;
      if (compute) this.computeBusy_s[rank] = (this.computeBusy_s[rank] as number) + dt;
      if (comm && compute) this.hidden_s[rank] = (this.hidden_s[rank] as number) + dt;
    }
    this.accounted[rank] = this.now;
  }

  /** Task `id`'s dependencies are done: a move starts, a kernel joins its stream's queue. */
  private ready(id: number): void {
    this.start_s[id] = this.now;
    const code = this.code[id] as number;
    if (code < 0) {
      // start_s holds the ready time until the stream takes the kernel.
      const stream = this.sharedGpu ? 0 : -1 - code;
      let queue = this.queues[stream];
      if (!queue) {
        queue = [];
        this.queues[stream] = queue;
      }
      let at = queue.length;
      while (at > 0 && (queue[at - 1] as number) < id) at--;
      queue.splice(at, 0, id);
      this.wake(stream);
      return;
    }
    const route = code >> 1;
    const rank = this.r.routeRank[route] as number;
    this.account(rank);
    this.commActive[rank] = (this.commActive[rank] as number) + 1;
    const alpha = this.r.routeAlpha[route] as number;
    if (alpha > 0) this.heap.push(this.now + alpha, id * 4 + ALPHA_END, 0);
    else this.beginFlow(id);
  }

  private wake(stream: number): void {
    if (this.streamStamp[stream] === this.batch) return;
    this.streamStamp[stream] = this.batch;
    this.dispatch.push(stream);
  }

  /** A move's alpha is paid: its bytes start to flow over its route (if it has any). */
  private beginFlow(id: number): void {
    const { routeStart } = this.r;
    const route = (this.code[id] as number) >> 1;
    const hops = (routeStart[route + 1] as number) - (routeStart[route] as number);
    if (hops > 0 && (this.end_s[id] as number) > 0) this.join(this.take(id), FLOWING);
    else this.afterFlow(id, -1);
  }

  /** The bytes are there (flow f, or -1 if none flowed): a reduce reduces them, or it is done. */
  private afterFlow(id: number, f: number): void {
    const code = this.code[id] as number;
    const reducer = this.r.routeReducer[code >> 1] as number;
    if ((code & 1) === 1 && reducer >= 0 && (this.end_s[id] as number) > 0) {
      this.join(f < 0 ? this.take(id) : f, REDUCING);
      return;
    }
    if (f >= 0) this.free.push(f);
    this.done.push(id);
  }

  private endFlow(f: number): void {
    const id = this.flowTask[f] as number;
    const phase = this.flowPhase[f];
    this.leave(f);
    if (phase === FLOWING) {
      this.afterFlow(id, f);
    } else {
      this.free.push(f);
      this.done.push(id);
    }
  }

  private finish(id: number): void {
    const { now, start_s } = this;
    this.end_s[id] = now;
    this.finished++;
    const code = this.code[id] as number;
    if (code < 0) {
      const rank = -1 - code;
      this.account(rank);
      this.computeActive[rank] = (this.computeActive[rank] as number) - 1;
      this.lastKernel_s[rank] = now;
      const stream = this.sharedGpu ? 0 : rank;
      this.running[stream] = -1;
      this.lastRun[stream] = id;
      this.wake(stream);
    } else {
      const rank = this.r.routeRank[code >> 1] as number;
      this.account(rank);
      this.commActive[rank] = (this.commActive[rank] as number) - 1;
    }
    const { dependents, dependents0 } = this.t;
    for (let i = dependents0[id] as number, e = dependents0[id + 1] as number; i < e; i++) {
      const d = dependents[i] as number;
      // Until it is ready, a task's start_s counts its unfinished dependencies.
      const left = (start_s[d] as number) - 1;
      start_s[d] = left;
      if (left === 0) this.ready(d);
    }
  }

  /** A flow from the pool for task `id`. */
  private take(id: number): number {
    let f = this.free.pop();
    if (f === undefined) {
      if (this.used === this.capacity) this.grow();
      f = this.used++;
    }
    this.flowTask[f] = id;
    this.flowBytes[f] = this.end_s[id] as number;
    return f;
  }

  private grow(): void {
    const cap = Math.max(64, this.capacity * 2);
    const more = <T extends Float64Array | Int32Array | Uint8Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.flowTask = more(this.flowTask, new Int32Array(cap));
    this.flowPhase = more(this.flowPhase, new Uint8Array(cap));
    this.flowBytes = more(this.flowBytes, new Float64Array(cap));
    this.remaining = more(this.remaining, new Float64Array(cap));
    this.rate = more(this.rate, new Float64Array(cap));
    this.since = more(this.since, new Float64Array(cap));
    this.version = more(this.version, new Int32Array(cap));
    this.flowStamp = more(this.flowStamp, new Int32Array(cap));
    this.next = more(this.next, new Int32Array(cap * this.hops));
    this.prev = more(this.prev, new Int32Array(cap * this.hops));
    this.capacity = cap;
  }

  /** Puts flow f's bytes on its route's resources (FLOWING) or its reducer (REDUCING). */
  private join(f: number, phase: number): void {
    this.flowPhase[f] = phase;
    const route = (this.code[this.flowTask[f] as number] as number) >> 1;
    const slot = f * this.hops;
    if (phase === REDUCING) {
      this.link(this.r.routeReducer[route] as number, slot, f);
    } else {
      const { routeStart, routeResources } = this.r;
      const e = routeStart[route + 1] as number;
      for (let i = routeStart[route] as number, s = slot; i < e; i++, s++) {
        this.link(routeResources[i] as number, s, f);
      }
    }
    this.remaining[f] = this.flowBytes[f] as number;
    this.rate[f] = 0;
    this.since[f] = this.now;
  }

  private leave(f: number): void {
    const route = (this.code[this.flowTask[f] as number] as number) >> 1;
    const slot = f * this.hops;
    if (this.flowPhase[f] === REDUCING) {
      this.unlink(this.r.routeReducer[route] as number, slot);
    } else {
      const { routeStart, routeResources } = this.r;
      const e = routeStart[route + 1] as number;
      for (let i = routeStart[route] as number, s = slot; i < e; i++, s++) {
        this.unlink(routeResources[i] as number, s);
      }
    }
    this.flowPhase[f] = IDLE;
  }

  private link(res: number, slot: number, f: number): void {
    const { head, next, prev } = this;
    const h = head[res] as number;
    next[slot] = h;
    prev[slot] = -1;
    if (h >= 0) prev[h] = slot;
    head[res] = slot;
    const c = this.count[res] as number;
    if (c === 0) this.busySince[res] = this.now;
    this.count[res] = c + 1;
    this.resourceBytes[res] = (this.resourceBytes[res] as number) + (this.flowBytes[f] as number);
    this.touched(res);
  }

  private unlink(res: number, slot: number): void {
    const { head, next, prev } = this;
    const p = prev[slot] as number;
    const x = next[slot] as number;
    if (p >= 0) next[p] = x;
    else head[res] = x;
    if (x >= 0) prev[x] = p;
    const c = (this.count[res] as number) - 1;
    this.count[res] = c;
    if (c === 0) {
      this.resourceBusy_s[res] =
        (this.resourceBusy_s[res] as number) + this.now - (this.busySince[res] as number);
    }
    this.touched(res);
  }

  private touched(res: number): void {
    if (this.resourceStamp[res] === this.batch) return;
    this.resourceStamp[res] = this.batch;
    this.dirtyResources.push(res);
  }

  /** After an instant's events: free streams take their next kernel, changed flows rerate. */
  private settle(): void {
    const { dispatch } = this;
    for (let i = 0; i < dispatch.length; i++) this.startKernel(dispatch[i] as number);
    dispatch.length = 0;

    const { dirtyResources, dirtyFlows, flowStamp, head, next, hops, batch } = this;
    for (let i = 0; i < dirtyResources.length; i++) {
      for (let s = head[dirtyResources[i] as number] as number; s >= 0; s = next[s] as number) {
        const f = (s / hops) | 0;
        if (flowStamp[f] !== batch) {
          flowStamp[f] = batch;
          dirtyFlows.push(f);
        }
      }
    }
    dirtyResources.length = 0;
    for (let i = 0; i < dirtyFlows.length; i++) this.rerate(dirtyFlows[i] as number);
    dirtyFlows.length = 0;
  }

  private startKernel(stream: number): void {
    const queue = this.queues[stream];
    if (this.running[stream] !== -1 || !queue || queue.length === 0) return;
    const id = queue.pop() as number;
    const { now } = this;
    // It was ready before now: it waited for its stream, for the kernel that ran last there.
    if ((this.start_s[id] as number) < now) this.waitedFor.set(id, this.lastRun[stream] as number);
    this.start_s[id] = now;
    this.running[stream] = id;
    const rank = -1 - (this.code[id] as number);
    this.account(rank);
    this.computeActive[rank] = (this.computeActive[rank] as number) + 1;
    if (now < (this.firstKernel_s[rank] as number)) this.firstKernel_s[rank] = now;
    // Until the kernel ends, end_s holds its seconds.
    this.heap.push(now + (this.end_s[id] as number), id * 4 + TASK_END, 0);
  }

  /** A flow's rate: its tightest resource's capacity over the flows sharing it. */
  private rerate(f: number): void {
    const { count } = this;
    const { capacity } = this.r;
    const route = (this.code[this.flowTask[f] as number] as number) >> 1;
    let rate: number;
    if (this.flowPhase[f] === REDUCING) {
      const res = this.r.routeReducer[route] as number;
      rate = (capacity[res] as number) / (count[res] as number);
    } else {
      const { routeStart, routeResources } = this.r;
      rate = Number.POSITIVE_INFINITY;
      for (let i = routeStart[route] as number; i < (routeStart[route + 1] as number); i++) {
        const res = routeResources[i] as number;
        const share = (capacity[res] as number) / (count[res] as number);
        if (share < rate) rate = share;
      }
    }
    const old = this.rate[f] as number;
    if (rate === old) return;
    const { now } = this;
    let left = this.remaining[f] as number;
    if (old > 0) {
      left = Math.max(0, left - old * (now - (this.since[f] as number)));
      this.remaining[f] = left;
    }
    this.since[f] = now;
    this.rate[f] = rate;
    const v = (this.version[f] as number) + 1;
    this.version[f] = v;
    this.heap.push(now + left / rate, f * 4 + FLOW_END, v);
  }
}
