// AllToAllv: the all-to-all of uneven counts that a mixture-of-experts layer runs twice (dispatch
// and combine). counts[i][j] elements go from rank i to rank j; nothing makes the matrix
// square-balanced, symmetric or non-zero, and the hottest rank sets the pace.
//
// Layout (as MPI_Alltoallv with packed displacements): rank i's input in 'send' is its blocks
// for ranks 0, 1, ..., N-1 in order, block j at sendOffset(i, j) = sum over j' < j of
// counts[i][j']; rank j's output in 'recv' is the blocks it gets from ranks 0, 1, ..., N-1 in
// order, block i at recvOffset(j, i) = sum over i' < i of counts[i'][j]. Out of place only: an
// in-place AllToAllv needs a scratch as large as the largest rank's input, which a MoE layer
// never asks for (its dispatch buffer and its expert input are different tensors).
//
// Two algorithms, each a first 'local copy' step (a rank's block to itself) and then:
//   pairwise  N - 1 steps; at step k rank r sends its block for (r + k) mod N: each step is a
//             permutation, so a link carries one block a step (MPI's pairwise exchange);
//   direct    one step, every pair at once (NCCL's grouped send/recv): all N - 1 transfers of a
//             rank share its links together, and the step lasts as long as the busiest rank.
// Empty blocks move nothing and make no op. Choices, and why: the local copy is a step of its
// own so that the exchange steps are exactly the transfers the book's sizing counts.

import { MAX_RANKS } from '../build.ts';
import { type Dtype, isDtype } from '../dtype.ts';
import type { Op, Plan, Step } from '../plan.ts';

export const ALLTOALLV_ALGORITHMS = ['pairwise', 'direct'] as const;
export type AllToAllvAlgorithm = (typeof ALLTOALLV_ALGORITHMS)[number];

export interface AllToAllvSpec {
  readonly ranks: number;
  /** counts[i][j]: elements rank i sends to rank j (an N x N matrix of whole numbers >= 0). */
  readonly counts: readonly (readonly number[])[];
  readonly dtype: Dtype;
}

/** The most elements one rank may send or get (a GPU buffer's reach, in 4-byte elements). */
export const MAX_ALLTOALLV_ELEMENTS = 2 ** 28;

/** Throws a RangeError naming the entry for a count matrix no AllToAllv can have. */
export function checkCounts(ranks: number, counts: readonly (readonly number[])[]): void {
  if (!Number.isInteger(ranks) || ranks < 1 || ranks > MAX_RANKS) {
    throw new RangeError(`ranks ${ranks} must be a whole number from 1 to ${MAX_RANKS}`);
  }
  if (!Array.isArray(counts) || counts.length !== ranks) {
    throw new RangeError(`counts has ${counts?.length} rows; ranks ${ranks} needs ${ranks}`);
  }
  counts.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== ranks) {
      throw new RangeError(
        `counts[${i}] has ${row?.length} entries; ranks ${ranks} needs ${ranks}`,
      );
    }
    row.forEach((c, j) => {
      if (!Number.isSafeInteger(c) || c < 0) {
        throw new RangeError(`counts[${i}][${j}] ${c} must be a whole number >= 0`);
      }
    });
  });
  for (let r = 0; r < ranks; r++) {
    const sent = sumRow(counts, r);
    const got = sumColumn(counts, r);
    const most = Math.max(sent, got);
    if (most > MAX_ALLTOALLV_ELEMENTS) {
      throw new RangeError(
        `rank ${r} ${sent >= got ? 'sends' : 'gets'} ${most} elements, more than ${MAX_ALLTOALLV_ELEMENTS}`,
      );
    }
  }
}

function sumRow(counts: readonly (readonly number[])[], i: number): number {
  return (counts[i] as readonly number[]).reduce((s, c) => s + c, 0);
}

function sumColumn(counts: readonly (readonly number[])[], j: number): number {
  return counts.reduce((s, row) => s + (row[j] as number), 0);
}

/** Where rank i's block for rank j starts in its 'send'. */
export function sendOffset(counts: readonly (readonly number[])[], i: number, j: number): number {
  let at = 0;
  for (let k = 0; k < j; k++) at += (counts[i] as readonly number[])[k] as number;
  return at;
}

/** Where rank j's block from rank i starts in its 'recv'. */
export function recvOffset(counts: readonly (readonly number[])[], j: number, i: number): number {
  let at = 0;
  for (let k = 0; k < i; k++) at += (counts[k] as readonly number[])[j] as number;
  return at;
}

function blockOp(counts: readonly (readonly number[])[], i: number, j: number): Op | undefined {
  const count = (counts[i] as readonly number[])[j] as number;
  if (count === 0) return undefined;
  return {
    kind: 'copy',
    src: { rank: i, buffer: 'send', offset: sendOffset(counts, i, j) },
    dst: { rank: j, buffer: 'recv', offset: recvOffset(counts, j, i) },
    count,
    // The chunk is the sender: the view colours a block by where it came from.
    chunk: i,
  };
}

const defined = (ops: (Op | undefined)[]): Op[] => ops.filter((o): o is Op => o !== undefined);

/** The AllToAllv of `spec` by `algorithm` (one of ALLTOALLV_ALGORITHMS; a RangeError else). */
export function allToAllv(spec: AllToAllvSpec, algorithm: AllToAllvAlgorithm | string): Plan {
  const { ranks: n, counts, dtype } = spec;
  checkCounts(n, counts);
  if (!isDtype(dtype)) throw new RangeError(`dtype '${String(dtype)}' is unknown`);
  if (!(ALLTOALLV_ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw new RangeError(
      `no algorithm '${algorithm}' for alltoallv (have: ${ALLTOALLV_ALGORITHMS.join(', ')})`,
    );
  }
  const all = Array.from({ length: n }, (_, r) => r);
  const steps: Step[] = [];
  const local = defined(all.map((r) => blockOp(counts, r, r)));
  if (local.length > 0) steps.push({ phase: 'local copy', ops: local });
  if (algorithm === 'pairwise') {
    for (let k = 1; k < n; k++) {
      const ops = defined(all.map((r) => blockOp(counts, r, (r + k) % n)));
      if (ops.length > 0) steps.push({ phase: 'alltoallv', ops });
    }
  } else {
    const ops = defined(
      all.flatMap((r) => all.map((j) => (j === r ? undefined : blockOp(counts, r, j)))),
    );
    if (ops.length > 0) steps.push({ phase: 'alltoallv', ops });
  }
  const sent = all.map((r) => sumRow(counts, r));
  const got = all.map((r) => sumColumn(counts, r));
  return {
    collective: 'alltoallv',
    algorithm,
    ranks: n,
    // nccl-tests' count of an all-to-all is each rank's input: here the largest rank's.
    count: Math.max(0, ...sent),
    dtype,
    redop: 'sum',
    root: 0,
    inPlace: false,
    sizes: { send: sent, recv: got },
    input: sent.map((c) => ({ buffer: 'send', offset: 0, count: c })),
    output: got.map((c) => ({ buffer: 'recv', offset: 0, count: c })),
    steps,
    exchange: { counts: counts.map((row) => [...row]) },
  };
}

/**
 * Every rank sends `count` elements, split over the ranks by Zipf weights 1 / (j + 1)^skew
 * (skew 0: evenly, the plain AllToAll's split; skew 1: rank 0 gets about N / H_N times its
 * share), whole elements by largest remainder: the count matrix of a MoE dispatch whose hot
 * experts live on the first ranks, for benches and pages.
 */
export function skewedCounts(ranks: number, count: number, skew: number): number[][] {
  if (!Number.isInteger(ranks) || ranks < 1 || ranks > MAX_RANKS) {
    throw new RangeError(`ranks ${ranks} must be a whole number from 1 to ${MAX_RANKS}`);
  }
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`count ${count} must be a whole number >= 0`);
  }
  if (!Number.isFinite(skew) || skew < 0 || skew > 8) {
    throw new RangeError(`skew ${skew} must be a number from 0 to 8`);
  }
  const w = Array.from({ length: ranks }, (_, j) => 1 / (j + 1) ** skew);
  const total = w.reduce((s, x) => s + x, 0);
  const exact = w.map((x) => (count * x) / total);
  const row = exact.map(Math.floor);
  let left = count - row.reduce((s, c) => s + c, 0);
  const order = exact
    .map((x, j) => ({ j, frac: x - Math.floor(x) }))
    .sort((a, b) => b.frac - a.frac || a.j - b.j);
  for (const { j } of order) {
    if (left === 0) break;
    row[j] = (row[j] as number) + 1;
    left--;
  }
  return Array.from({ length: ranks }, () => [...row]);
}
