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

/**
 * The trace of graphs as priced on `fabric`, one after another (a MoE layer's router, then its
 * layer: each part starts where the one before ended); `about` goes into otherData.
 */
export function chromeTrace(
  parts: readonly { readonly graph: Graph; readonly price: GraphPrice }[],
  fabric: Fabric,
  about: Readonly<Record<string, unknown>> = {},
): ChromeTrace {
  const events: TraceEvent[] = [];
  metadata(events, fabric);
  let offset = 0;
  let flow = 0;
  for (const { graph, price } of parts) {
    flow = partEvents(events, graph, price, fabric, offset, flow);
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
): number {
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
        name: `${t.kernel.kernel} (${t.label})`,
        cat: 'kernel',
        ph: 'X',
        pid: t.rank,
        tid: TID[t.stream],
        ts,
        dur,
        args: {
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
    const args = { task: t.id, op: t.op, bytes, chunk: t.chunk, src: t.src.rank, dst: t.dst.rank };
    const tid = TID[t.stream];
    events.push({
      name: `${t.op} ${t.label}`,
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
        name: `send to ${t.dst.rank}`,
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
