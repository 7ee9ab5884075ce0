// A priced graph as the Chrome trace event format (what Perfetto and chrome://tracing load):
//
//   a process per rank (named by metadata events), a thread per stream (compute, comm);
//   an X slice for every task, with its args (kind, bytes, chunk, kernel, flops, peers);
//   for a move between ranks, a 'send' slice on the sender's comm thread as well, and a flow
//   arrow from it to the move that receives;
//   a process 'fabric' with a counter per link: the bytes per second flowing on it (each
//   transfer's bytes spread evenly over its time on the link, summed over transfers).
//
// Times are the pricer's (the emulated face): microseconds from the graph's start, as the format
// wants. Choices, and why: one pid a rank and a fabric pid after them, so the viewer's process
// list reads as the fleet does; a 'send' slice instead of an instant, because Perfetto binds a
// flow's start to an enclosing slice.
//
// The measured face (withMeasured) is a second group of processes after the fabric's: what the
// GPU timed, as the command timed it. One GPU runs every rank, so the executor times a step (all
// ranks' moves and kernels in one pass), not a rank: such a process is named for what it holds
// ("all 4 ranks on this one GPU, a slice per step"), never drawn as ranks it did not time.
import type { Fabric } from '../fabric/fabric.ts';
import { route } from '../fabric/fabric.ts';
import { kernelFor } from '../kernels/registry.ts';
import { DTYPE_INFO } from '../plans/dtype.ts';
import type { Graph } from '../plans/graph.ts';
import type { GraphPrice } from './event-pricer.ts';

export interface TraceEvent {
  readonly name: string;
  readonly ph: 'X' | 'M' | 's' | 'f' | 'C';
  readonly pid: number;
  readonly tid?: number;
  readonly ts?: number;
  readonly dur?: number;
  readonly cat?: string;
  readonly id?: number;
  readonly bp?: 'e';
  readonly args?: Readonly<Record<string, unknown>>;
}

export interface ChromeTrace {
  readonly traceEvents: readonly TraceEvent[];
  readonly displayTimeUnit: 'ns';
  readonly otherData: Readonly<Record<string, unknown>>;
}

const TID = { compute: 0, comm: 1 } as const;
const us = (s: number) => s * 1e6;

/** One graph as priced; `label` (an algorithm's name) prefixes its slices' names and is their
 * args.part, so parts laid one after another stay told apart. */
export interface TracePart {
  readonly graph: Graph;
  readonly price: GraphPrice;
  readonly label?: string;
}

/**
 * The trace of graphs as priced on `fabric`, one after another (a MoE layer's router, then its
 * layer: each part starts where the one before ended); `about` goes into otherData.
 */
export function chromeTrace(
  parts: readonly TracePart[],
  fabric: Fabric,
  about: Readonly<Record<string, unknown>> = {},
): ChromeTrace {
  const events: TraceEvent[] = [];
  metadata(events, fabric);
  let offset = 0;
  let flow = 0;
  for (const { graph, price, label } of parts) {
    flow = partEvents(events, graph, price, fabric, offset, flow, label);
    offset += price.total_s;
  }
  return {
    traceEvents: events,
    displayTimeUnit: 'ns',
    otherData: {
      tool: 'fleetlab',
      face: 'emulated',
      fabric: fabric.name,
      total_s: offset,
      ...about,
    },
  };
}

/** A process per rank with its two stream threads, and the fabric's process after them. */
function metadata(events: TraceEvent[], fabric: Fabric): void {
  for (let r = 0; r < fabric.ranks; r++) {
    events.push({ name: 'process_name', ph: 'M', pid: r, args: { name: `rank ${r}` } });
    events.push({ name: 'process_sort_index', ph: 'M', pid: r, args: { sort_index: r } });
    for (const [stream, tid] of Object.entries(TID)) {
      events.push({ name: 'thread_name', ph: 'M', pid: r, tid, args: { name: stream } });
    }
  }
  events.push({
    name: 'process_name',
    ph: 'M',
    pid: fabric.ranks,
    args: { name: `fabric: ${fabric.name}` },
  });
}

/** One graph's slices, flows and link counters, `offset_s` after the trace's start. */
function partEvents(
  events: TraceEvent[],
  graph: Graph,
  price: GraphPrice,
  fabric: Fabric,
  offset_s: number,
  firstFlow: number,
  label?: string,
): number {
  const named = (name: string) => (label === undefined ? name : `${label}: ${name}`);
  const part = label === undefined ? {} : { part: label };
  const elementBytes = DTYPE_INFO[graph.dtype].bytes;
  // Per link, +rate at a transfer's start and -rate at its end.
  const changes = new Map<string, [number, number][]>();
  let flow = firstFlow;
  for (const t of graph.tasks) {
    const start = price.start_s[t.id] as number;
    const seconds = (price.end_s[t.id] as number) - start;
    const ts = us(offset_s + start);
    const dur = us(seconds);
    if (t.kind === 'kernel') {
      const k = kernelFor(t.kernel.kernel);
      const params = t.kernel.params as never;
      events.push({
        name: named(`${t.kernel.kernel} (${t.label})`),
        cat: 'kernel',
        ph: 'X',
        pid: t.rank,
        tid: TID[t.stream],
        ts,
        dur,
        args: {
          ...part,
          task: t.id,
          kernel: t.kernel.kernel,
          params: t.kernel.params,
          flops: k.flops(params),
          bytes: k.bytes(params),
        },
      });
      continue;
    }
    const bytes = t.count * elementBytes;
    const args = {
      ...part,
      task: t.id,
      op: t.op,
      bytes,
      chunk: t.chunk,
      src: t.src.rank,
      dst: t.dst.rank,
    };
    const tid = TID[t.stream];
    events.push({
      name: named(`${t.op} ${t.label}`),
      cat: 'move',
      ph: 'X',
      pid: t.rank,
      tid,
      ts,
      dur,
      args,
    });
    if (t.src.rank !== t.dst.rank) {
      const src = t.src.rank;
      events.push({
        name: named(`send to ${t.dst.rank}`),
        cat: 'move',
        ph: 'X',
        pid: src,
        tid: TID.comm,
        ts,
        dur,
        args,
      });
      events.push({ name: 'send', cat: 'flow', ph: 's', id: flow, pid: src, tid: TID.comm, ts });
      events.push({ name: 'send', cat: 'flow', ph: 'f', bp: 'e', id: flow, pid: t.rank, tid, ts });
      flow++;
    }
    if (bytes === 0 || seconds <= 0) continue;
    for (const link of route(fabric, t.src.rank, t.dst.rank)) {
      const list = changes.get(link) ?? [];
      list.push([ts, bytes / seconds], [ts + dur, -bytes / seconds]);
      changes.set(link, list);
    }
  }
  for (const [link, list] of changes) {
    list.sort((a, b) => a[0] - b[0]);
    let rate = 0;
    for (const [ts, delta] of list) {
      rate += delta;
      events.push({
        name: `link ${link}`,
        ph: 'C',
        pid: fabric.ranks,
        ts,
        args: { 'B/s': Math.max(0, rate) },
      });
    }
  }
  return flow;
}

/** A span the GPU timed (a step, a forward pass, a scheduler iteration), on the measured clock. */
export interface MeasuredSlice {
  readonly name: string;
  /** Seconds from the start of the measured timeline. */
  readonly start_s: number;
  readonly seconds: number;
  readonly cat?: string;
  readonly args?: Readonly<Record<string, unknown>>;
}

/** A value over the measured timeline (KV blocks used, requests waiting): [seconds, value]. */
export interface MeasuredCounter {
  readonly name: string;
  /** The value's unit: its key in the counter's args ('blocks', 'requests'). */
  readonly unit: string;
  readonly points: readonly (readonly [number, number])[];
}

/** One process of the measured face: its name says what was timed, and on which clock. */
export interface MeasuredProcess {
  readonly name: string;
  readonly threads: readonly {
    readonly name: string;
    readonly slices: readonly MeasuredSlice[];
  }[];
  readonly counters?: readonly MeasuredCounter[];
}

/**
 * Units of which the GPU timed only the length (a step's median over the iterations), laid end
 * to end from `from_s` in the order they ran. A unit whose time is not finite (a dropped
 * timestamp pair) is left out and takes no time: there is nothing to draw it with.
 */
export function endToEnd(
  units: readonly Omit<MeasuredSlice, 'start_s'>[],
  from_s = 0,
): { readonly slices: MeasuredSlice[]; readonly end_s: number } {
  const slices: MeasuredSlice[] = [];
  let t = from_s;
  for (const u of units) {
    if (!(Number.isFinite(u.seconds) && u.seconds >= 0)) continue;
    slices.push({ ...u, start_s: t });
    t += u.seconds;
  }
  return { slices, end_s: t };
}

/**
 * `trace` (the emulated face) with the measured face's processes after its own pids, or, with
 * no trace, the measured face alone; `about` goes into otherData. Both faces start at ts 0: each
 * is its own clock (the emulated one of real devices, the measured one of this GPU).
 */
export function withMeasured(
  trace: ChromeTrace | undefined,
  processes: readonly MeasuredProcess[],
  about: Readonly<Record<string, unknown>> = {},
): ChromeTrace {
  const events: TraceEvent[] = trace ? [...trace.traceEvents] : [];
  let pid = events.reduce((max, e) => Math.max(max, e.pid + 1), 0);
  const measured_pids: number[] = [];
  for (const p of processes) {
    measured_pids.push(pid);
    measuredEvents(events, pid, p);
    pid++;
  }
  return {
    traceEvents: events,
    displayTimeUnit: 'ns',
    otherData: {
      ...(trace?.otherData ?? { tool: 'fleetlab' }),
      face: trace ? 'emulated and measured' : 'measured',
      measured_pids,
      ...about,
    },
  };
}

function measuredEvents(events: TraceEvent[], pid: number, p: MeasuredProcess): void {
  events.push({ name: 'process_name', ph: 'M', pid, args: { name: p.name } });
  events.push({ name: 'process_sort_index', ph: 'M', pid, args: { sort_index: pid } });
  p.threads.forEach((thread, tid) => {
    events.push({ name: 'thread_name', ph: 'M', pid, tid, args: { name: thread.name } });
    for (const s of thread.slices) {
      events.push({
        name: s.name,
        cat: s.cat ?? 'measured',
        ph: 'X',
        pid,
        tid,
        ts: us(s.start_s),
        dur: us(s.seconds),
        ...(s.args ? { args: s.args } : {}),
      });
    }
  });
  for (const c of p.counters ?? []) {
    for (const [t, value] of c.points) {
      events.push({ name: c.name, ph: 'C', pid, ts: us(t), args: { [c.unit]: value } });
    }
  }
}

/**
 * The name of the measured process of a plan run by the executor: every rank's moves and
 * kernels of a step run in one timed compute pass on this one GPU, so the GPU timed steps.
 */
export function measuredStepsName(ranks: number): string {
  const who = ranks === 1 ? '1 rank' : `all ${ranks} ranks`;
  return `measured (GPU): ${who} on this one GPU, one timed pass a step (not per rank)`;
}
