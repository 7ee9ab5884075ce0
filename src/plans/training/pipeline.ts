// Pipeline parallelism (GPipe, Huang et al. 2019; 1F1B, PipeDream-flush, Narayanan et al. 2021;
// Megatron-LM's interleaved 1F1B): the model's layers split into p V chunks of consecutive
// layers, chunk g on stage g mod p (a rank each), the batch into m micro-batches. A forward pass
// of a chunk runs its layers on one micro-batch and copies the activation to the next chunk's
// stage; a backward pass runs them backwards and copies the input gradient to the previous
// chunk's stage. Each micro-batch's weight gradients are added into 'grad' (a local reduce
// from 'gtmp'), so after the last backward every stage holds the full batch's gradient of its
// layers, and updates them.
//
// The schedule (./schedules.ts) is data: each stage's kernels are chained on its compute stream
// in the schedule's order (one kernel after the other, as a CUDA stream runs them), and the
// moves carry the rest. So the pricer's timeline shows the schedule's bubble, and the order in
// which micro-batches enter and leave bounds the activations each stage holds.
//
// Buffers (every stage the model's layout, so a layer's offsets are the same everywhere):
// params, grad and gtmp (P), lr (1); c and a (L B d: each layer's matmul output and activation
// for the whole batch, a micro-batch its rows); dy and dz (B d); x on the first stage, target
// on the last.
import { biasGeluOp } from '../../kernels/bias-gelu.ts';
import { columnSumOp } from '../../kernels/column-sum.ts';
import { geluBackwardOp } from '../../kernels/gelu-backward.ts';
import type { KernelCall } from '../../kernels/kernel.ts';
import { matmulOp } from '../../kernels/matmul.ts';
import { matmulNtOp, matmulTnOp } from '../../kernels/matmul-transposed.ts';
import { mseGradOp } from '../../kernels/mse-grad.ts';
import { sgdOp } from '../../kernels/sgd.ts';
import type { Graph, GraphRegion } from '../graph.ts';
import { GraphBuilder } from '../graph-builder.ts';
import { chunkBounds, type Run } from '../plan.ts';
import { checkMlpSpec, layerParams, type MlpSpec, paramCount } from './mlp.ts';
import { peakInFlight, pipelineSchedule, type ScheduleItem } from './schedules.ts';

export interface PipelineSpec extends MlpSpec {
  readonly stages: number;
  readonly microbatches: number;
  readonly schedule: string;
  /** Model chunks a stage (interleaved only; default 1). */
  readonly virtual?: number;
}

const at = (buffer: string, offset: number, count: number): GraphRegion => ({
  buffer,
  offset,
  count,
});

/** A pipeline-parallel training step as a graph. RangeError (naming value and limit). */
export function pipelineGraph(spec: PipelineSpec): Graph {
  const { layers: L, d, batch: B } = checkMlpSpec(spec);
  const { stages: p, microbatches: m } = spec;
  const v = spec.virtual ?? 1;
  const order = pipelineSchedule(spec.schedule, p, m, v);
  const chunks = p * v;
  if (L % chunks !== 0) {
    throw new RangeError(
      `layers ${L} must be a multiple of stages x virtual = ${chunks} (each chunk the same layers)`,
    );
  }
  if (B < m) throw new RangeError(`batch ${B} must be at least microbatches ${m}`);
  const perChunk = L / chunks;
  const P = paramCount(spec);
  const bounds = chunkBounds(B, m, 1);
  const rows = Array.from(
    { length: m },
    (_, j) => (bounds[j + 1] as number) - (bounds[j] as number),
  );
  const stageOf = (g: number) => g % p;
  const layersOf = (g: number) => Array.from({ length: perChunk }, (_, i) => g * perChunk + i);

  const b = new GraphBuilder(p, 'float', 'sum');
  for (let s = 0; s < p; s++) {
    for (const name of ['params', 'grad', 'gtmp']) b.buffer(s, name, P);
    b.buffer(s, 'lr', 1);
    b.buffer(s, 'c', L * B * d);
    b.buffer(s, 'a', L * B * d);
    b.buffer(s, 'dy', B * d);
    b.buffer(s, 'dz', B * d);
  }
  b.buffer(0, 'x', B * d);
  b.buffer(stageOf(chunks - 1), 'target', B * d);

  // The last kernel on each stage's compute stream: the next one waits for it.
  const lastCompute: (number | undefined)[] = Array.from({ length: p }, () => undefined);
  const kernel = (s: number, label: string, k: KernelCall<GraphRegion>) => {
    const prev = lastCompute[s];
    const id = b.kernel({ kernel: k, label }, prev === undefined ? [] : [prev]);
    lastCompute[s] = id;
    return id;
  };
  const rowsOf = (j: number) => ({ row0: bounds[j] as number, n: rows[j] as number });
  const actRows = (buffer: string, l: number, j: number) => {
    const { row0, n } = rowsOf(j);
    return at(buffer, (l * B + row0) * d, n * d);
  };
  const batchRows = (buffer: string, j: number) => {
    const { row0, n } = rowsOf(j);
    return at(buffer, row0 * d, n * d);
  };
  const input = (l: number, j: number) => (l === 0 ? batchRows('x', j) : actRows('a', l - 1, j));
  const w = (l: number) => at('params', layerParams(d, l).w, d * d);
  const bias = (l: number) => at('params', layerParams(d, l).b, d);

  const forward = (s: number, j: number, g: number) => {
    const n = rows[j] as number;
    const tag = `F mb ${j} chunk ${g}`;
    for (const l of layersOf(g)) {
      kernel(
        s,
        tag,
        matmulOp(s, { a: input(l, j), b: w(l), c: actRows('c', l, j) }, { m: n, k: d, n: d }),
      );
      kernel(
        s,
        tag,
        biasGeluOp(
          s,
          { x: actRows('c', l, j), bias: bias(l), y: actRows('a', l, j) },
          { m: n, n: d },
        ),
      );
    }
    if (g === chunks - 1) {
      const y = actRows('a', L - 1, j);
      const target = batchRows('target', j);
      kernel(
        s,
        `loss mb ${j}`,
        mseGradOp(s, { y, target, dy: batchRows('dy', j) }, { count: n * d, total: B * d }),
      );
      return;
    }
    // The activation goes to the next chunk's stage, into the same rows of its 'a'.
    const out = actRows('a', (g + 1) * perChunk - 1, j);
    b.move({
      src: { rank: s, buffer: 'a', offset: out.offset },
      dst: { rank: stageOf(g + 1), buffer: 'a', offset: out.offset },
      count: out.count,
      op: 'copy',
      chunk: j,
      label: `send activation mb ${j} chunk ${g}`,
    });
  };

  const backward = (s: number, j: number, g: number) => {
    const n = rows[j] as number;
    const tag = `B mb ${j} chunk ${g}`;
    const dy = batchRows('dy', j);
    const dz = batchRows('dz', j);
    for (const l of layersOf(g).reverse()) {
      kernel(
        s,
        tag,
        geluBackwardOp(s, { c: actRows('c', l, j), bias: bias(l), dy, dz }, { m: n, n: d }),
      );
      const { w: gw, b: gb } = layerParams(d, l);
      kernel(
        s,
        tag,
        matmulTnOp(s, { a: input(l, j), b: dz, c: at('gtmp', gw, d * d) }, { m: d, k: n, n: d }),
      );
      kernel(s, tag, columnSumOp(s, { x: dz, s: at('gtmp', gb, d) }, { m: n, n: d }));
      // This micro-batch's share of the layer's gradient, added into 'grad'.
      b.move({
        src: { rank: s, buffer: 'gtmp', offset: gw },
        dst: { rank: s, buffer: 'grad', offset: gw },
        count: d * d + d,
        op: 'reduce',
        chunk: j,
        label: `accumulate layer ${l} mb ${j}`,
      });
      if (l > 0) kernel(s, tag, matmulNtOp(s, { a: dz, b: w(l), c: dy }, { m: n, k: d, n: d }));
    }
    if (g > 0) {
      b.move({
        src: { rank: s, buffer: 'dy', offset: dy.offset },
        dst: { rank: stageOf(g - 1), buffer: 'dy', offset: dy.offset },
        count: dy.count,
        op: 'copy',
        chunk: j,
        label: `send gradient mb ${j} chunk ${g}`,
      });
    }
  };

  // Add every stage's passes in its order, interleaving stages so that a pass is added only
  // after the passes whose data it needs (the graph's tasks are in a topological order).
  const added = new Set<string>();
  const key = (pass: 'F' | 'B', j: number, g: number) => `${pass}${j}.${g}`;
  const ready = (it: ScheduleItem, g: number) =>
    it.pass === 'F'
      ? g === 0 || added.has(key('F', it.mb, g - 1))
      : added.has(key('F', it.mb, g)) && (g === chunks - 1 || added.has(key('B', it.mb, g + 1)));
  const next = order.map(() => 0);
  let remaining = order.reduce((t, o) => t + o.length, 0);
  while (remaining > 0) {
    let progress = false;
    for (let s = 0; s < p; s++) {
      const items = order[s] as ScheduleItem[];
      while ((next[s] as number) < items.length) {
        const it = items[next[s] as number] as ScheduleItem;
        const g = it.chunk * p + s;
        if (!ready(it, g)) break;
        if (it.pass === 'F') forward(s, it.mb, g);
        else backward(s, it.mb, g);
        added.add(key(it.pass, it.mb, g));
        next[s] = (next[s] as number) + 1;
        remaining--;
        progress = true;
      }
    }
    if (!progress) throw new RangeError(`schedule ${spec.schedule} deadlocks: no stage can go on`);
  }

  // Each stage updates the layers it holds, a chunk (a contiguous run of params) at a time.
  const owns: Run[][] = Array.from({ length: p }, () => []);
  for (let g = 0; g < chunks; g++) {
    const s = stageOf(g);
    const [lo, hi] = [g * perChunk, (g + 1) * perChunk - 1];
    const offset = layerParams(d, lo).w;
    const count = layerParams(d, hi).b + d - offset;
    (owns[s] as Run[]).push({ offset, count });
    kernel(
      s,
      'update',
      sgdOp(
        s,
        {
          w: at('params', offset, count),
          g: at('grad', offset, count),
          lr: at('lr', 0, 1),
          w_out: at('params', offset, count),
        },
        { count },
      ),
    );
  }
  return b.build(
    {
      kind: 'training',
      algorithm: `pp ${spec.schedule}`,
      training: {
        mode: 'pp',
        layers: L,
        d,
        batch: B,
        rows,
        owns: owns.map((runs) => ({ params: runs, grads: runs })),
        zero: 0,
        comm: null,
        buckets: [],
        overlap: true,
        pipeline: {
          schedule: spec.schedule,
          stages: p,
          microbatches: m,
          virtual: v,
          order,
          peak_activations: order.map(peakInFlight),
        },
      },
    },
    Array.from({ length: p }, (_, s) => (s === 0 ? at('x', 0, B * d) : at('params', 0, 0))),
    Array.from({ length: p }, () => at('params', 0, P)),
  );
}
