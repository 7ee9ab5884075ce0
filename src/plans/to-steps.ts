// A graph back as a lock-step plan, one step a wave: how the readers that still think in steps
// (the GPU executor, the pages' step view, the step pricer) run a graph while they move to
// Plan v2. A wave's tasks depend on none of each other and validateGraph found no hazard
// between tasks without a path, so a wave's moves are a hazard-free step and the steps compute
// what the graph computes.

import { type Graph, waves } from './graph.ts';
import {
  BUFFER_NAMES,
  type BufferName,
  type Op,
  type Plan,
  type Region,
  type Step,
} from './plan.ts';

function bufferName(name: string, where: string): BufferName {
  if (!(BUFFER_NAMES as readonly string[]).includes(name)) {
    throw new RangeError(
      `${where}: buffer '${name}': lock-step plans hold only ${BUFFER_NAMES.join(' and ')}`,
    );
  }
  return name as BufferName;
}

/** The graph's waves as steps (each named after its first task's label). */
export function planOf(graph: Graph): Plan {
  const sizes: Record<BufferName, number[]> = {
    send: Array.from({ length: graph.ranks }, () => 0),
    recv: Array.from({ length: graph.ranks }, () => 0),
  };
  for (const b of graph.buffers) {
    (sizes[bufferName(b.name, `rank ${b.rank}`)] as number[])[b.rank] = b.count;
  }
  const steps: Step[] = waves(graph).map((ids) => {
    const ops: Op[] = [];
    const kernels: NonNullable<Step['kernels']>[number][] = [];
    for (const id of ids) {
      const t = graph.tasks[id];
      if (!t) continue;
      const where = `task ${id}`;
      if (t.kind === 'kernel') {
        const operands: Record<string, Region> = {};
        for (const [name, g] of Object.entries(t.kernel.operands)) {
          operands[name] = { ...g, buffer: bufferName(g.buffer, `${where} ${name}`) };
        }
        kernels.push({ ...t.kernel, operands });
        continue;
      }
      ops.push({
        kind: t.op,
        src: { ...t.src, buffer: bufferName(t.src.buffer, where) },
        dst: { ...t.dst, buffer: bufferName(t.dst.buffer, where) },
        count: t.count,
        chunk: t.chunk,
      });
    }
    const phase = graph.tasks[ids[0] as number]?.label ?? '';
    return kernels.length > 0 ? { phase, ops, kernels } : { phase, ops };
  });
  const region = (g: Graph['input'][number], where: string) => ({
    ...g,
    buffer: bufferName(g.buffer, where),
  });
  const input = graph.input.map((g, r) => region(g, `input of rank ${r}`));
  const output = graph.output.map((g, r) => region(g, `output of rank ${r}`));
  const body = { ranks: graph.ranks, dtype: graph.dtype, redop: graph.redop, sizes, input, output };
  const { info } = graph;
  if (info.kind === 'collective') {
    const { collective, algorithm, count, root, inPlace } = info;
    return { collective, algorithm, count, root, inPlace, ...body, steps };
  }
  if (info.kind === 'alltoallv') {
    // As allToAllv gives it: the largest rank's input.
    const count = Math.max(0, ...input.map((g) => g.count));
    const { algorithm, exchange } = info;
    return {
      collective: 'alltoallv',
      algorithm,
      count,
      root: 0,
      inPlace: false,
      ...body,
      steps,
      exchange,
    };
  }
  // A layer's or a step's count, as tensorParallel gives it: the elements of its result on a rank.
  const count = Math.max(0, ...output.map((g) => g.count));
  const common = { algorithm: info.algorithm, count, root: 0, inPlace: true, ...body, steps };
  if (info.kind === 'training') {
    return { collective: 'training', ...common, training: info.training };
  }
  if (info.kind === 'moe') return { collective: 'moe', ...common, moe: info.moe };
  return { collective: 'tensor-parallel', ...common, layer: info.layer };
}
