// Tensor-parallel layers as plans (Megatron-LM, Shoeybi et al. 2019): a layer's weights split
// across ranks, each rank's matmuls as kernel ops on its own shards, the partial results
// carried by a collective from the registry, embedded after them (src/plans/combinators.ts:
// the layer is a graph, each task with the dependencies its data needs). The executor, the
// interpreter, the pricer and the view read these plans as they read a collective's.
//
//   column  Y = X W, W (k x n) split by columns: rank r computes Y_r = X W_r (m x n/N), no
//           communication; optionally an AllGather gives every rank all of Y.
//   row     X split by columns, W by rows (k/N each): rank r computes the partial sum
//           X_r W_r (m x n), and an AllReduce adds them (or a ReduceScatter leaves rank r
//           rows r m/N.. of Y: sequence parallelism, same volume).
//   mlp     Y = GeLU(X W1 + b1) W2: W1 (k x n) by columns with b1, W2 (n x k) by rows; the
//           hidden activations never leave their rank and one AllReduce ends the layer.
//           (Megatron adds W2's bias once after the AllReduce; it is left out here.)
//   attention  Y = concat_h softmax(Q_h K_h^T / sqrt(d_h)) V_h . Wo, causal, n heads of k/n:
//           Wq, Wk, Wv split by columns (whole heads per rank), Wo by rows; each rank's heads
//           never leave it, and one AllReduce adds the ranks' partial outputs.
//
// Buffers per rank: 'send' holds the inputs (X or its shard, the weight shards, b1), each on a
// 64-element boundary (vec4 and binding aligned); 'recv' holds the hidden activations (mlp)
// and then the collective's buffer, where the last matmul writes its result.

import { attentionOp } from '../kernels/attention.ts';
import { biasGeluOp } from '../kernels/bias-gelu.ts';
import { matmulOp } from '../kernels/matmul.ts';
import { ranksOf, region } from './build.ts';
import { type BufferPlace, embed } from './combinators.ts';
import { graphOf } from './from-steps.ts';
import type { Graph } from './graph.ts';
import { GraphBuilder } from './graph-builder.ts';
import {
  type BufferName,
  type Collective,
  chunkBounds,
  type KernelOp,
  LAYOUTS,
  type LayerInfo,
  type Layout,
  type Plan,
  type Region,
  type Shard,
} from './plan.ts';
import { ALGORITHMS } from './registry.ts';
import { planOf } from './to-steps.ts';

export type TpComm = 'none' | 'allgather' | 'allreduce' | 'reducescatter';

export interface TensorParallelSpec {
  readonly layout: Layout;
  readonly ranks: number;
  /** X is m x k (m: tokens, batch x sequence); the weight is k x n (mlp: W1 k x n, W2 n x k). */
  readonly m: number;
  readonly k: number;
  readonly n: number;
  /** The collective after the last matmul: column none (default) or allgather; row and mlp
   * allreduce (default) or reducescatter. */
  readonly comm?: TpComm;
  /** The collective's algorithm, from the registry (default ring). */
  readonly algorithm?: string;
}

/** Which collectives each layout may end with; the first is the default. */
export const LAYOUT_COMMS: Readonly<Record<Layout, readonly TpComm[]>> = {
  column: ['none', 'allgather'],
  row: ['allreduce', 'reducescatter'],
  mlp: ['allreduce', 'reducescatter'],
  attention: ['allreduce', 'reducescatter'],
};

// Largest matrix side; also keeps every index of a rank's buffers well inside u32.
export const MAX_TP_DIM = 65_536;
export const MAX_TP_RANKS = 64;
const ALIGN = 64;
// Attention's scratch of scores per rank, m x m x heads a rank (64 M floats: 256 MiB).
const MAX_SCORES = 2 ** 26;

const align = (x: number) => Math.ceil(x / ALIGN) * ALIGN;

function checkSpec(spec: TensorParallelSpec): Required<TensorParallelSpec> {
  const { layout, ranks: p, m, k, n } = spec;
  if (!(LAYOUTS as readonly string[]).includes(layout)) {
    throw new RangeError(`layout '${layout}' is not one of ${LAYOUTS.join(', ')}`);
  }
  if (!Number.isInteger(p) || p < 1 || p > MAX_TP_RANKS) {
    throw new RangeError(`ranks ${p} must be a whole number from 1 to ${MAX_TP_RANKS}`);
  }
  for (const [name, v] of [
    ['m', m],
    ['k', k],
    ['n', n],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_TP_DIM) {
      throw new RangeError(`${name} ${v} must be a whole number from 1 to ${MAX_TP_DIM}`);
    }
  }
  const comm = spec.comm ?? (LAYOUT_COMMS[layout][0] as TpComm);
  if (!LAYOUT_COMMS[layout].includes(comm)) {
    throw new RangeError(
      `a ${layout} layer ends in ${LAYOUT_COMMS[layout].join(' or ')}, not ${comm}`,
    );
  }
  // What the split needs to divide: the weight's columns (column, mlp), rows (row), heads.
  const [dim, size] = layout === 'row' ? ['k', k] : ['n', n];
  if (size % p !== 0) {
    throw new RangeError(
      `${layout}-parallel splits ${dim} = ${size} over ${p} ranks: ${dim} must be a multiple of ${p}`,
    );
  }
  if (layout === 'attention') {
    if (k % n !== 0) {
      throw new RangeError(
        `attention splits k = ${k} into n = ${n} heads: k must be a multiple of n`,
      );
    }
    const scores = (m * m * n) / p;
    if (scores > MAX_SCORES) {
      throw new RangeError(
        `attention over m = ${m} tokens keeps m x m x n/N = ${scores} scores a rank, beyond ${MAX_SCORES}`,
      );
    }
  }
  if (comm === 'reducescatter' && m % p !== 0) {
    throw new RangeError(
      `reduce-scatter leaves each rank m/N rows: m = ${m} must be a multiple of ${p} ranks`,
    );
  }
  const algorithm = spec.algorithm ?? 'ring';
  if (comm !== 'none' && !ALGORITHMS[comm as Collective][algorithm]) {
    throw new RangeError(
      `no algorithm '${algorithm}' for ${comm} (have: ${Object.keys(ALGORITHMS[comm as Collective]).join(', ')})`,
    );
  }
  return { layout, ranks: p, m, k, n, comm, algorithm };
}

/** A tensor-parallel layer as a plan, its graph's waves as steps (see tensorParallelGraph). */
export function tensorParallel(spec: TensorParallelSpec): Plan {
  return planOf(tensorParallelGraph(spec));
}

/** A tensor-parallel layer as a graph. RangeError (naming value and limit) for bad shapes. */
export function tensorParallelGraph(spec: TensorParallelSpec): Graph {
  const s = checkSpec(spec);
  const { layout, ranks: p, m, k, n, comm } = s;
  const all = ranksOf(p);

  // Input shards in 'send', each aligned; the same offsets on every rank.
  const shards: Shard[] = [];
  let sendEnd = 0;
  const input = (
    tensor: string,
    rows: number,
    cols: number,
    at: (r: number) => [number, number],
  ) => {
    const offset = sendEnd;
    sendEnd = align(offset + rows * cols);
    for (const r of all) {
      const [row0, col0] = at(r);
      shards.push({
        tensor,
        rank: r,
        region: region('send', offset, rows * cols),
        row0,
        col0,
        rows,
        cols,
      });
    }
    return region('send', offset, rows * cols);
  };
  const whole = (): [number, number] => [0, 0];
  const tensors: Record<string, readonly [number, number]> = {};
  const kernels: { phase: string; of: (r: number) => KernelOp | KernelOp[] }[] = [];

  // The last matmul's shape (rows x cols on each rank) and the recv space before its output.
  let recvBase = 0;
  let out: { rows: number; cols: number; col0: (r: number) => number };
  let lastA: Region;
  let lastB: Region;
  let lastK: number;
  let inputs: string[];
  if (layout === 'column') {
    const w = n / p;
    tensors.X = [m, k];
    tensors.W = [k, n];
    lastA = input('X', m, k, whole);
    lastB = input('W', k, w, (r) => [0, r * w]);
    lastK = k;
    out = { rows: m, cols: w, col0: (r) => r * w };
    inputs = ['X', 'W'];
  } else if (layout === 'row') {
    const kr = k / p;
    tensors.X = [m, k];
    tensors.W = [k, n];
    lastA = input('X', m, kr, (r) => [0, r * kr]);
    lastB = input('W', kr, n, (r) => [r * kr, 0]);
    lastK = kr;
    out = { rows: m, cols: n, col0: () => 0 };
    inputs = ['X', 'W'];
  } else if (layout === 'attention') {
    // n heads of k / n; rank r holds heads r n/N.. of Wq, Wk, Wv (columns) and Wo (rows).
    const hd = k / n;
    const hr = n / p;
    const w = hr * hd;
    tensors.X = [m, k];
    for (const t of ['Wq', 'Wk', 'Wv', 'Wo']) tensors[t] = [k, k];
    for (const t of ['Q', 'K', 'V', 'A']) tensors[t] = [m, k];
    const x = input('X', m, k, whole);
    const [wq, wk, wv] = ['Wq', 'Wk', 'Wv'].map((t) => input(t, k, w, (r) => [0, r * w])) as [
      Region,
      Region,
      Region,
    ];
    lastB = input('Wo', w, k, (r) => [r * w, 0]);
    // Q, K, V and the attention output A, each this rank's heads' columns; then the scores.
    const [q, kk, v, a] = [0, 1, 2, 3].map((i) => region('recv', i * align(m * w), m * w)) as [
      Region,
      Region,
      Region,
      Region,
    ];
    const scores = region('recv', 4 * align(m * w), m * hr * m);
    for (const [name, g] of [
      ['Q', q],
      ['K', kk],
      ['V', v],
      ['A', a],
    ] as const) {
      for (const r of all) {
        shards.push({ tensor: name, rank: r, region: g, row0: 0, col0: r * w, rows: m, cols: w });
      }
    }
    recvBase = align(scores.offset + scores.count);
    const project = (rank: number, b: Region, c: Region): KernelOp =>
      matmulOp(rank, { a: x, b, c }, { m, k, n: w });
    kernels.push(
      {
        phase: 'Q, K, V projections',
        of: (rank) => [project(rank, wq, q), project(rank, wk, kk), project(rank, wv, v)],
      },
      {
        phase: 'attention',
        of: (rank) =>
          attentionOp(rank, { q, k: kk, v, scores, out: a }, { tokens: m, heads: hr, headDim: hd }),
      },
    );
    lastA = a;
    lastK = w;
    out = { rows: m, cols: k, col0: () => 0 };
    inputs = ['X', 'Wq', 'Wk', 'Wv', 'Wo'];
  } else {
    const f = n / p;
    tensors.X = [m, k];
    tensors.W1 = [k, n];
    tensors.b1 = [1, n];
    tensors.W2 = [n, k];
    tensors.H = [m, n];
    const x = input('X', m, k, whole);
    const w1 = input('W1', k, f, (r) => [0, r * f]);
    const b1 = input('b1', 1, f, (r) => [0, r * f]);
    lastB = input('W2', f, k, (r) => [r * f, 0]);
    const h = region('recv', 0, m * f);
    for (const r of all) {
      shards.push({ tensor: 'H', rank: r, region: h, row0: 0, col0: r * f, rows: m, cols: f });
    }
    recvBase = align(m * f);
    kernels.push(
      {
        phase: 'matmul X W1',
        of: (rank) => matmulOp(rank, { a: x, b: w1, c: h }, { m, k, n: f }),
      },
      {
        phase: 'bias + GeLU',
        of: (rank) => biasGeluOp(rank, { x: h, bias: b1, y: h }, { m, n: f }),
      },
    );
    lastA = h;
    lastK = f;
    out = { rows: m, cols: k, col0: () => 0 };
    inputs = ['X', 'W1', 'b1', 'W2'];
  }
  const result = 'Y';
  tensors[result] = layout === 'column' || layout === 'row' ? [m, n] : [m, k];

  // The collective, built in place on the last matmul's output, and moved behind recvBase.
  const outCount = out.rows * out.cols;
  // The collective works in each buffer past what the layer keeps there.
  const base: Readonly<Record<BufferName, BufferPlace>> = {
    send: { name: 'send', offset: sendEnd },
    recv: { name: 'recv', offset: recvBase },
  };
  const shift = (g: Region): Region => ({ ...g, offset: base[g.buffer].offset + g.offset });
  let collective: Plan | null = null;
  if (comm !== 'none') {
    const build = ALGORITHMS[comm as Collective][
      s.algorithm
    ] as (typeof ALGORITHMS)['allreduce'][string];
    const count = comm === 'allgather' ? outCount * p : outCount;
    collective = build({ ranks: p, count, dtype: 'float', redop: 'sum', inPlace: true, root: 0 });
    const bounds = chunkBounds(count, p);
    const even = all.every((r) => bounds[r] === (r * count) / p);
    if ((comm === 'allgather' || comm === 'reducescatter') && !even) {
      throw new RangeError(
        `${comm} moves chunks of 16 B: each rank's part, ${count / p} elements, must be a multiple of 4`,
      );
    }
  }
  // Where rank r's last matmul writes: the collective's input region for r, or its own spot.
  const lastC = (r: number): Region =>
    collective ? shift(collective.input[r] as Region) : region('recv', recvBase, outCount);
  kernels.push({
    phase: layout === 'mlp' ? 'matmul H W2' : layout === 'attention' ? 'matmul A Wo' : 'matmul X W',
    of: (rank) =>
      matmulOp(
        rank,
        { a: lastA, b: lastB, c: lastC(rank) },
        { m: out.rows, k: lastK, n: out.cols },
      ),
  });

  // The result's shards after the last step.
  const output = all.map((r) => (collective ? shift(collective.output[r] as Region) : lastC(r)));
  for (const r of all) {
    if (comm === 'none') {
      shards.push({
        tensor: result,
        rank: r,
        region: lastC(r),
        row0: 0,
        col0: out.col0(r),
        rows: out.rows,
        cols: out.cols,
      });
    } else if (comm === 'allgather') {
      // Every rank holds all N column blocks, block s at chunk s.
      for (const q of all) {
        const at = region('recv', recvBase + q * outCount, outCount);
        shards.push({
          tensor: result,
          rank: r,
          region: at,
          row0: 0,
          col0: out.col0(q),
          rows: out.rows,
          cols: out.cols,
        });
      }
    } else if (comm === 'allreduce') {
      shards.push({
        tensor: result,
        rank: r,
        region: output[r] as Region,
        row0: 0,
        col0: 0,
        rows: out.rows,
        cols: out.cols,
      });
    } else {
      const rows = out.rows / p;
      shards.push({
        tensor: result,
        rank: r,
        region: output[r] as Region,
        row0: r * rows,
        col0: 0,
        rows,
        cols: out.cols,
      });
    }
  }

  const layer: LayerInfo = {
    layout,
    m,
    k,
    n,
    comm: collective ? { collective: comm as Collective, algorithm: s.algorithm } : null,
    tensors,
    shards,
    inputs,
    result,
  };
  // The layer as a graph: each phase's kernels, then the collective embedded past the layer's
  // own data; the builder gives every task the dependencies its data needs.
  const host = new GraphBuilder(p, 'float', 'sum');
  for (const r of all) {
    host.buffer(r, 'send', sendEnd + (collective?.sizes.send[r] ?? 0));
    host.buffer(r, 'recv', recvBase + (collective?.sizes.recv[r] ?? outCount));
  }
  for (const { phase, of } of kernels) {
    for (const kernel of all.flatMap((r) => of(r))) host.kernel({ kernel, label: phase });
  }
  if (collective) embed(host, graphOf(collective), { buffers: base });
  return host.build(
    { kind: 'tensor-parallel', algorithm: layout, layer },
    all.map(() => region('send', 0, sendEnd)),
    output,
  );
}
