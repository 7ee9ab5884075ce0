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
import { type BucketInfo, chunkBounds } from '../plan.ts';
import { ALGORITHMS } from '../registry.ts';
import {
  addForwardBackward,
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
  const algorithm = spec.algorithm ?? 'ring';
  const build = ALGORITHMS.allreduce[algorithm];
  if (!build) {
    throw new RangeError(
      `no allreduce algorithm '${algorithm}' (have: ${Object.keys(ALGORITHMS.allreduce).join(', ')})`,
    );
  }
  const overlap = spec.overlap ?? true;
  const P = paramCount(spec);
  const buckets = gradientBuckets(layers, d, spec.bucketBytes ?? 4 * P);
  const bounds = chunkBounds(batch, ranks, 1);
  const rows = ranksOf(ranks).map((r) => (bounds[r + 1] as number) - (bounds[r] as number));

  const host = new GraphBuilder(ranks, 'float', 'sum');
  const done = ranksOf(ranks).map((r) => {
    declareStepBuffers(host, r, spec, rows[r] as number);
    host.buffer(r, 'scratch', P);
    return addForwardBackward(host, r, spec, rows[r] as number);
  });
  if (ranks > 1) {
    // Without overlap, every bucket waits for the last kernel of every rank's backward pass.
    const backwardEnd = done.flatMap((t) => t.layerDone[0] as readonly number[]);
    // One bucket's collective at a time, as DDP issues them on one communication stream (NCCL
    // runs a stream's collectives in order): bucket k starts after bucket k - 1 is done.
    let previous: readonly number[] = [];
    buckets.forEach((bucket, k) => {
      const collective = graphOf(
        build({ ranks, count: bucket.count, dtype: 'float', redop: 'sum', inPlace: true }),
      );
      const ready = overlap
        ? done.flatMap((t) => bucket.layers.flatMap((l) => t.layerDone[l] as readonly number[]))
        : backwardEnd;
      previous = embed(host, collective, {
        buffers: {
          recv: { name: 'grad', offset: bucket.offset },
          // Only the direct AllReduce stages its input; it gets a scratch run of its own.
          send: { name: 'scratch', offset: bucket.offset },
        },
        after: [...ready, ...previous],
        stream: 'comm',
        label: `bucket ${k}: `,
      }).last;
    });
  }
  for (const r of ranksOf(ranks)) addUpdate(host, r, spec);
  return host.build(
    {
      kind: 'training',
      algorithm: `dp ${algorithm}`,
      training: {
        mode: 'dp',
        layers,
        d,
        batch,
        rows,
        owns: rows.map(() => [{ offset: 0, count: P }]),
        comm: ranks > 1 ? { collective: 'allreduce', algorithm } : null,
        buckets,
        overlap,
      },
    },
    rows.map((n) => ({ buffer: 'x', offset: 0, count: n * d })),
    rows.map(() => ({ buffer: 'params', offset: 0, count: P })),
  );
}
