// Composition of graphs, so that no builder shifts offsets or renumbers tasks by hand:
//
//   embed(host, sub, placement)   the sub-graph's tasks added to the host: its ranks mapped to
//                                 host ranks, its buffers placed inside host buffers at element
//                                 offsets, its first tasks after `after`, on a stream of choice
//   sequence(host, parts)         each part after the whole of the one before
//   concurrently(host, parts)     side by side, nothing ordering one after another: a
//                                 RangeError if their data would order them
//
// Every task added goes through GraphBuilder, which adds the dependencies its data needs on
// what the host already holds: an embedded AllReduce that reads a bucket waits for the kernel
// that wrote it, and for nothing else.
import type { Graph, GraphPlace, GraphRegion, Stream } from './graph.ts';
import type { GraphBuilder } from './graph-builder.ts';
import { mapKernelRegions } from './kernel-regions.ts';

/** Where a sub-graph's buffer `name` lies in the host: buffer `name` there, from `offset` on. */
export interface BufferPlace {
  readonly name: string;
  readonly offset: number;
}

export interface Placement {
  /** Host rank of each sub rank (default: the same numbers). */
  readonly ranks?: readonly number[];
  /** Host place of each sub buffer, by name (default: the same name at offset 0). */
  readonly buffers?: Readonly<Record<string, BufferPlace>>;
  /** Host tasks that every first task of the sub-graph (one with no dependencies) waits for. */
  readonly after?: readonly number[];
  /** Every sub task on this stream (default: each keeps its own). */
  readonly stream?: Stream;
  /** Put before each sub task's label, e.g. 'bucket 3: '. */
  readonly label?: string;
}

/** Host ids of the sub-graph's tasks, in its order, and of its last tasks (no dependents). */
export interface Embedded {
  readonly ids: readonly number[];
  readonly last: readonly number[];
}

/** Tasks of `graph` that no other task depends on. */
export function lastTasks(graph: Pick<Graph, 'tasks'>): number[] {
  const depended = new Uint8Array(graph.tasks.length);
  for (const t of graph.tasks) for (const d of t.deps) depended[d] = 1;
  const out: number[] = [];
  depended.forEach((used, id) => {
    if (!used) out.push(id);
  });
  return out;
}

export function embed(host: GraphBuilder, sub: Graph, placement: Placement = {}): Embedded {
  const rankOf = (r: number): number => {
    const mapped = placement.ranks ? placement.ranks[r] : r;
    if (mapped === undefined || !Number.isInteger(mapped) || mapped < 0 || mapped >= host.ranks) {
      throw new RangeError(
        `sub-graph rank ${r} maps to ${mapped}, not a host rank (0..${host.ranks - 1})`,
      );
    }
    return mapped;
  };
  if (placement.ranks && placement.ranks.length !== sub.ranks) {
    throw new RangeError(
      `placement names ${placement.ranks.length} ranks, the sub-graph has ${sub.ranks}`,
    );
  }
  if (sub.dtype !== host.dtype || sub.redop !== host.redop) {
    throw new RangeError(
      `a ${sub.dtype} ${sub.redop} sub-graph cannot go into a ${host.dtype} ${host.redop} host`,
    );
  }
  const where = (name: string): BufferPlace => placement.buffers?.[name] ?? { name, offset: 0 };
  for (const b of sub.buffers) {
    const at = where(b.name);
    host.buffer(rankOf(b.rank), at.name, at.offset + b.count, b.dtype);
  }
  const place = (p: GraphPlace): GraphPlace => {
    const at = where(p.buffer);
    return { rank: rankOf(p.rank), buffer: at.name, offset: at.offset + p.offset };
  };
  const region = (g: GraphRegion): GraphRegion => {
    const at = where(g.buffer);
    return { buffer: at.name, offset: at.offset + g.offset, count: g.count };
  };
  const ids: number[] = [];
  const label = placement.label ?? '';
  for (const t of sub.tasks) {
    const deps = t.deps.map((d) => ids[d] as number);
    const after = t.deps.length === 0 ? [...(placement.after ?? []), ...deps] : deps;
    ids.push(
      t.kind === 'move'
        ? host.move(
            {
              src: place(t.src),
              dst: place(t.dst),
              count: t.count,
              op: t.op,
              chunk: t.chunk,
              label: label + t.label,
              rank: rankOf(t.rank),
              stream: placement.stream ?? t.stream,
            },
            after,
          )
        : host.kernel(
            {
              kernel: mapKernelRegions(t.kernel, region, rankOf(t.rank)),
              label: label + t.label,
              stream: placement.stream ?? t.stream,
            },
            after,
          ),
    );
  }
  return { ids, last: lastTasks(sub).map((id) => ids[id] as number) };
}

/** A graph and where it goes, for sequence and concurrently. */
export interface Part {
  readonly graph: Graph;
  readonly placement?: Omit<Placement, 'after'>;
}

/** Each part after every task of the one before it (and the first after `after`). */
export function sequence(
  host: GraphBuilder,
  parts: readonly Part[],
  after: readonly number[] = [],
): Embedded[] {
  let before = after;
  return parts.map((p) => {
    const e = embed(host, p.graph, { ...p.placement, after: before });
    before = e.last;
    return e;
  });
}

/**
 * The parts side by side: no task of one waits for a task of another (each part's first tasks
 * after `after`). RangeError naming the two tasks where their data would order them (they
 * touch the same elements and one writes them).
 */
export function concurrently(
  host: GraphBuilder,
  parts: readonly Part[],
  after: readonly number[] = [],
): Embedded[] {
  const owner = new Map<number, number>();
  return parts.map((p, which) => {
    const e = embed(host, p.graph, { ...p.placement, after });
    for (const id of e.ids) owner.set(id, which);
    for (const id of e.ids) {
      for (const d of host.task(id).deps) {
        const other = owner.get(d);
        if (other !== undefined && other !== which) {
          throw new RangeError(
            `parts ${other} and ${which} cannot run concurrently: task ${id} ` +
              `(${host.task(id).label}) touches what task ${d} (${host.task(d).label}) touches`,
          );
        }
      }
    }
    return e;
  });
}
