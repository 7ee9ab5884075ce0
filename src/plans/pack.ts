// A graph's named buffers packed into one buffer per rank: every buffer of a rank (w1, grad,
// act.3 ...) becomes a region of that rank's 'recv', each on a 64-element boundary (256 B: a
// storage binding offset and vec4 aligned), and every place and region is rewritten to match.
// A rank's memory is one address space on a real device too; packing lets the step executor,
// which knows each rank's send and recv, run any graph without learning buffer names, and it
// keeps every kernel's operands inside one binding.
import type { ElementArray } from './dtype.ts';
import type { BufferSpec, Graph, GraphPlace, GraphRegion, Task } from './graph.ts';
import { mapKernelRegions } from './kernel-regions.ts';

const ALIGN = 64;
const PACKED = 'recv';

export interface Packing {
  /** offsets[rank].get(name): where rank's buffer `name` starts in its packed buffer. */
  readonly offsets: readonly ReadonlyMap<string, number>[];
  /** Elements of each rank's packed buffer. */
  readonly sizes: readonly number[];
}

export function packingOf(graph: Graph): Packing {
  const offsets = Array.from({ length: graph.ranks }, () => new Map<string, number>());
  const sizes = Array.from({ length: graph.ranks }, () => 0);
  for (const b of graph.buffers) {
    if (b.dtype !== graph.dtype) {
      throw new RangeError(
        `buffer '${b.name}' of rank ${b.rank} holds ${b.dtype}: a packed rank holds only ${graph.dtype}`,
      );
    }
    const at = sizes[b.rank] as number;
    (offsets[b.rank] as Map<string, number>).set(b.name, at);
    sizes[b.rank] = at + Math.ceil(b.count / ALIGN) * ALIGN;
  }
  return { offsets, sizes };
}

/** The graph with every rank's buffers packed into its 'recv' (and an empty 'send'). */
export function packGraph(graph: Graph, packing: Packing = packingOf(graph)): Graph {
  const base = (rank: number, name: string): number => {
    const at = packing.offsets[rank]?.get(name);
    if (at === undefined) throw new RangeError(`rank ${rank} has no buffer '${name}'`);
    return at;
  };
  const place = (p: GraphPlace): GraphPlace => ({
    rank: p.rank,
    buffer: PACKED,
    offset: base(p.rank, p.buffer) + p.offset,
  });
  const region = (rank: number, g: GraphRegion): GraphRegion => ({
    buffer: PACKED,
    offset: base(rank, g.buffer) + g.offset,
    count: g.count,
  });
  const tasks: Task[] = graph.tasks.map((t) => {
    if (t.kind === 'move') return { ...t, src: place(t.src), dst: place(t.dst) };
    return { ...t, kernel: mapKernelRegions(t.kernel, (g) => region(t.rank, g)) };
  });
  const buffers: BufferSpec[] = [];
  for (let rank = 0; rank < graph.ranks; rank++) {
    buffers.push({ name: 'send', rank, dtype: graph.dtype, count: 0 });
    buffers.push({ name: PACKED, rank, dtype: graph.dtype, count: packing.sizes[rank] as number });
  }
  return {
    ...graph,
    buffers,
    tasks,
    input: graph.input.map((g, r) => region(r, g)),
    output: graph.output.map((g, r) => region(r, g)),
  };
}

/** Each rank's named buffers copied into its packed one (send empty, as packGraph has it). */
export function packBuffers(
  packing: Packing,
  buffers: readonly Readonly<Record<string, ElementArray>>[],
  create: (n: number) => ElementArray,
): Record<'send' | 'recv', ElementArray>[] {
  return buffers.map((own, rank) => {
    const packed = create(packing.sizes[rank] as number);
    for (const [name, at] of packing.offsets[rank] ?? []) {
      const data = own[name];
      if (data) packed.set(data, at);
    }
    return { send: create(0), recv: packed };
  });
}

/** Each rank's named buffers cut back out of its packed one, at their graph's sizes. */
export function unpackBuffers(
  graph: Graph,
  packing: Packing,
  packed: readonly Readonly<Record<'send' | 'recv', ElementArray>>[],
): Record<string, ElementArray>[] {
  const out: Record<string, ElementArray>[] = Array.from({ length: graph.ranks }, () => ({}));
  for (const b of graph.buffers) {
    const at = packing.offsets[b.rank]?.get(b.name) as number;
    const whole = packed[b.rank]?.recv;
    if (!whole) throw new RangeError(`no packed buffer for rank ${b.rank}`);
    (out[b.rank] as Record<string, ElementArray>)[b.name] = whole.slice(at, at + b.count);
  }
  return out;
}
