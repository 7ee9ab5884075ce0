// Data parallelism (the distributed-training chapter; PyTorch DDP, Li et al. 2020): N ranks each
// hold the whole model and a slice of the batch, run the forward and backward pass on it, and
// AllReduce the gradients before the update, so every rank's update is the full batch's.
//
// Gradients are reduced in buckets: layers are taken in the order the backward pass completes
// them (the last layer first), and a bucket closes once it holds at least `bucketBytes` (a
// layer larger than that is a bucket of its own, as DDP's bucket cap does). Each bucket's
// collective (any AllReduce of the registry, in place on its run of 'grad') is embedded on the
// comm stream right after the kernels that complete its layers' gradients on every rank and
// after the bucket before it (one collective at a time, as on one NCCL stream), so it
// runs under the backward pass of the layers below: what the Fleet Law calls T_overlap. With
// `overlap: false` every bucket waits for the whole backward pass instead, the step a textbook
// draws without overlap; the two price apart by exactly the comm the backward hides.
//
// mse-grad scales by the whole batch (2 / (B d)), so the ranks' gradients sum to the full
// batch's: the AllReduce adds, nothing averages. On one rank there is no collective.
import { ranksOf } from '../build.ts';
import { embed } from '../combinators.ts';
import { graphOf } from '../from-steps.ts';
import type { Graph } from '../graph.ts';
import { GraphBuilder } from '../graph-builder.ts';
import { type BucketInfo, chunkBounds, type Run } from '../plan.ts';
import { ALGORITHMS } from '../registry.ts';
import {
  addBackwardLayer,
  addForwardLayer,
  addLoss,
  addUpdate,
  checkMlpSpec,
  declareStepBuffers,
  layerParams,
  type MlpSpec,
  paramCount,
} from './mlp.ts';

/** Ranks a data-parallel step may span (each holds the whole model). */
export const MAX_DP_RANKS = 64;

export interface DataParallelSpec extends MlpSpec {
  readonly ranks: number;
  /** The AllReduce's algorithm (default ring). */
  readonly algorithm?: string;
  /** Bytes a bucket holds at least before it closes (default: one bucket for the model). */
  readonly bucketBytes?: number;
  /** A bucket's collective may start under the backward pass (default true). */
  readonly overlap?: boolean;
  /** ZeRO stage (Rajbhandari et al. 2020; default 0, plain data parallelism): 1 and 2
   * reduce-scatter the gradients, update a shard each and all-gather the parameters back;
   * 3 keeps only the shards and all-gathers each layer's before its forward and backward. */
  readonly zero?: 0 | 1 | 2 | 3;
}

/** The buckets of an L-layer model of width d: runs of 'grad', the last layers first. */
export function gradientBuckets(layers: number, d: number, bucketBytes: number): BucketInfo[] {
  if (!(bucketBytes > 0)) throw new RangeError(`bucket ${bucketBytes} B must be above 0 B`);
  const layerBytes = 4 * (d * d + d);
  const out: BucketInfo[] = [];
  let open: number[] = [];
  const close = () => {
    const lo = open[open.length - 1] as number;
    const hi = open[0] as number;
    const offset = layerParams(d, lo).w;
    out.push({ offset, count: layerParams(d, hi).b + d - offset, layers: open });
    open = [];
  };
  for (let l = layers - 1; l >= 0; l--) {
    open.push(l);
    if (open.length * layerBytes >= bucketBytes) close();
  }
  if (open.length > 0) close();
  return out;
}

/** The in-place collective of `collective` over `count` elements as a graph (the registry's). */
function collectiveGraph(
  collective: 'allreduce' | 'reducescatter' | 'allgather',
  algorithm: string,
  ranks: number,
  count: number,
) {
  const build = ALGORITHMS[collective][algorithm];
  if (!build) {
    throw new RangeError(
      `no ${collective} algorithm '${algorithm}' (have: ${Object.keys(ALGORITHMS[collective]).join(', ')})`,
    );
  }
  return build({ ranks, count, dtype: 'float', redop: 'sum', inPlace: true });
}

/** A data-parallel training step as a graph. RangeError (naming value and limit) on bad input. */
export function dataParallelGraph(spec: DataParallelSpec): Graph {
  const { layers, d, batch } = checkMlpSpec(spec);
  const { ranks } = spec;
  if (!Number.isSafeInteger(ranks) || ranks < 1 || ranks > MAX_DP_RANKS) {
    throw new RangeError(`ranks ${ranks} must be a whole number from 1 to ${MAX_DP_RANKS}`);
  }
  if (batch < ranks) {
    throw new RangeError(`batch ${batch} must be at least ranks ${ranks}: every rank gets a row`);
  }
  const zero = spec.zero ?? 0;
  if (![0, 1, 2, 3].includes(zero)) throw new RangeError(`zero ${zero} must be 0, 1, 2 or 3`);
  const algorithm = spec.algorithm ?? 'ring';
  // Plain data parallelism AllReduces; ZeRO reduce-scatters the gradients and all-gathers the
  // parameters, with the same algorithm (ring or rhd: the registry's ReduceScatter/AllGather).
  const kinds = zero === 0 ? (['allreduce'] as const) : (['reducescatter', 'allgather'] as const);
  for (const kind of kinds) {
    if (!ALGORITHMS[kind][algorithm]) {
      throw new RangeError(
        `no ${kind} algorithm '${algorithm}' (have: ${Object.keys(ALGORITHMS[kind]).join(', ')})`,
      );
    }
  }
  const overlap = spec.overlap ?? true;
  const P = paramCount(spec);
  // ZeRO 3 gathers and reduces a layer at a time (its unit of sharding), so its buckets are
  // layers whatever the bucket size.
  const buckets = gradientBuckets(layers, d, zero === 3 ? 1 : (spec.bucketBytes ?? 4 * P));
  const bounds = chunkBounds(batch, ranks, 1);
  const rows = ranksOf(ranks).map((r) => (bounds[r + 1] as number) - (bounds[r] as number));
  const all = ranksOf(ranks);
  const multi = ranks > 1;

  const host = new GraphBuilder(ranks, 'float', 'sum');
  for (const r of all) {
    declareStepBuffers(host, r, spec, rows[r] as number);
    host.buffer(r, 'scratch', P);
  }
  // Each rank's shard of a run of 'params' or 'grad': where the in-place ReduceScatter leaves
  // its chunk, which is where the in-place AllGather reads it from (checked).
  const shards = (offset: number, count: number): Run[] => {
    const rs = collectiveGraph('reducescatter', algorithm, ranks, count);
    const ag = collectiveGraph('allgather', algorithm, ranks, count);
    return all.map((r) => {
      const out = rs.output[r] as Run;
      const inp = ag.input[r] as Run;
      if (out.offset !== inp.offset || out.count !== inp.count) {
        throw new RangeError(
          `${algorithm}: rank ${r}'s ReduceScatter chunk is not its AllGather chunk`,
        );
      }
      return { offset: offset + out.offset, count: out.count };
    });
  };
  let comm: readonly number[] = [];
  const collective = (
    kind: 'allreduce' | 'reducescatter' | 'allgather',
    buffer: 'grad' | 'params',
    run: Run,
    after: readonly number[],
    label: string,
  ) => {
    // One collective at a time on the comm stream, as on one NCCL stream.
    comm = embed(host, graphOf(collectiveGraph(kind, algorithm, ranks, run.count)), {
      buffers: {
        recv: { name: buffer, offset: run.offset },
        // Only the direct AllReduce stages its input; it gets a scratch run of its own.
        send: { name: 'scratch', offset: run.offset },
      },
      after: [...after, ...comm],
      stream: 'comm',
      label,
    }).last;
  };
  const layerRun = (l: number): Run => ({ offset: layerParams(d, l).w, count: d * d + d });

  // Forward and backward, layer by layer across the ranks; ZeRO 3 gathers each layer's
  // parameters first (and again before its backward: the gathered copy is not kept).
  for (let l = 0; l < layers; l++) {
    if (zero === 3 && multi) collective('allgather', 'params', layerRun(l), [], `gather ${l}: `);
    for (const r of all) addForwardLayer(host, r, spec, rows[r] as number, l);
  }
  for (const r of all) addLoss(host, r, spec, rows[r] as number);
  const layerDone: number[][] = Array.from({ length: layers }, () => []);
  for (let l = layers - 1; l >= 0; l--) {
    if (zero === 3 && multi) collective('allgather', 'params', layerRun(l), [], `gather ${l}: `);
    for (const r of all)
      layerDone[l]?.push(...addBackwardLayer(host, r, spec, rows[r] as number, l));
  }
  // Without overlap, every bucket waits for the last kernel of every rank's backward pass.
  const backwardEnd = layerDone[0] as number[];
  const owns = all.map(() => ({ params: [] as Run[], grads: [] as Run[] }));
  buckets.forEach((bucket, k) => {
    const ready = overlap ? bucket.layers.flatMap((l) => layerDone[l] as number[]) : backwardEnd;
    const run: Run = { offset: bucket.offset, count: bucket.count };
    if (zero === 0 || !multi) {
      if (multi) collective('allreduce', 'grad', run, ready, `bucket ${k}: `);
      return;
    }
    collective('reducescatter', 'grad', run, ready, `bucket ${k}: `);
    const mine = shards(run.offset, run.count);
    for (const r of all) {
      addUpdate(host, r, spec, mine[r] as Run);
      owns[r]?.grads.push(mine[r] as Run);
      if (zero === 3) owns[r]?.params.push(mine[r] as Run);
    }
    // ZeRO 1 and 2 give every rank the whole updated model back; ZeRO 3 keeps its shards.
    if (zero < 3) collective('allgather', 'params', run, [], `bucket ${k} gather: `);
  });
  if (zero === 0 || !multi) {
    for (const r of all) addUpdate(host, r, spec);
  }
  for (const o of owns) {
    if (zero < 3 || !multi) o.params.splice(0, o.params.length, { offset: 0, count: P });
    if (zero === 0 || !multi) o.grads.splice(0, o.grads.length, { offset: 0, count: P });
  }
  return host.build(
    {
      kind: 'training',
      algorithm: zero === 0 ? `dp ${algorithm}` : `zero-${zero} ${algorithm}`,
      training: {
        mode: 'dp',
        layers,
        d,
        batch,
        rows,
        owns,
        zero,
        comm: multi ? { collective: kinds[0], algorithm } : null,
        buckets,
        overlap,
      },
    },
    rows.map((n) => ({ buffer: 'x', offset: 0, count: n * d })),
    rows.map(() => ({ buffer: 'params', offset: 0, count: P })),
  );
}
