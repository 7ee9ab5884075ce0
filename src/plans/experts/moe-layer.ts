// A mixture-of-experts layer as a plan, in two graphs, because the second's shape depends on the
// first's result (as in every MoE system, where the split sizes reach the host before the
// AllToAllv is launched):
//
//   router   on every rank: logits = x Wg                               (T_r x E)
//   layer    built from the routing (./routing.ts), on every rank:
//            permute   each kept copy of a token's row into 'dsend', ordered by the expert's
//                      rank, then expert, then choice, then token
//            dispatch  AllToAllv of those rows ('dsend' -> 'drecv'; ./alltoallv.ts)
//            gather    the rows of each local expert together ('drecv' -> 'xin', expert-major)
//            experts   per local expert e with rows: yout = GeLU(xin W1_e + b1_e) W2_e, each row
//                      times its gate (scale-rows)
//            scatter   back to the order they came in ('yout' -> 'csend')
//            combine   AllToAllv back ('csend' -> 'crecv'), the transposed count matrix
//            sum       out[t] = the token's first kept copy, then + its second (moves: the
//                      order of the additions is the plan's)
//
// T tokens, T / N on each rank (rank r holds tokens r T / N ...); E experts, E / N on each rank
// (expert e on rank e / (E / N)); d the model width, h the experts' hidden width. Buffers of
// rank r (f32): x T_r d, wg d E, logits T_r E; w1 E_r d h, b1 E_r h, w2 E_r h d (its experts);
// gate, and rows x width of dsend, drecv, xin, hid, act, yout, csend, crecv; out T_r d.
import { biasGeluOp } from '../../kernels/bias-gelu.ts';
import { matmulOp } from '../../kernels/matmul.ts';
import { scaleRowsOp } from '../../kernels/scale-rows.ts';
import { MAX_RANKS } from '../build.ts';
import { embed } from '../combinators.ts';
import { graphOf } from '../from-steps.ts';
import type { Graph, GraphRegion } from '../graph.ts';
import { GraphBuilder } from '../graph-builder.ts';
import type { MoeInfo } from '../plan.ts';
import { ALLTOALLV_ALGORITHMS, allToAllv } from './alltoallv.ts';
import { MAX_TOP_K, type Routing } from './routing.ts';

export interface MoeSpec {
  readonly ranks: number;
  readonly experts: number;
  readonly topK: number;
  readonly tokens: number;
  readonly d: number;
  readonly hidden: number;
  /** C: an expert keeps ceil(C T k / E) copies. */
  readonly capacityFactor: number;
  /** The router's Zipf prior (0: none). */
  readonly skew: number;
  /** Dispatch and combine: an ALLTOALLV_ALGORITHMS name. */
  readonly algorithm: string;
}

/** Limits that keep a layer small enough to build and check (sizes are elements). */
export const MOE_LIMITS = {
  ranks: MAX_RANKS,
  experts: 1024,
  tokens: 65_536,
  d: 4096,
  hidden: 16_384,
};

/** RangeError naming the value and its limit for a layer no plan can have. */
export function checkMoeSpec(spec: MoeSpec): MoeSpec {
  for (const key of ['ranks', 'experts', 'tokens', 'd', 'hidden'] as const) {
    const v = spec[key];
    if (!Number.isSafeInteger(v) || v < 1 || v > MOE_LIMITS[key]) {
      throw new RangeError(`${key} ${v} must be a whole number from 1 to ${MOE_LIMITS[key]}`);
    }
  }
  const { ranks: N, experts: E, tokens: T, topK: k } = spec;
  if (E < N || E % N !== 0) {
    throw new RangeError(`experts ${E} must be a multiple of ranks ${N} (E / N experts a rank)`);
  }
  if (T % N !== 0) throw new RangeError(`tokens ${T} must be a multiple of ranks ${N}`);
  if (!Number.isInteger(k) || k < 1 || k > Math.min(MAX_TOP_K, E)) {
    throw new RangeError(`top-k ${k} must be 1 to ${Math.min(MAX_TOP_K, E)}`);
  }
  if (
    !Number.isFinite(spec.capacityFactor) ||
    spec.capacityFactor <= 0 ||
    spec.capacityFactor > 64
  ) {
    throw new RangeError(`capacity factor ${spec.capacityFactor} must be above 0 and at most 64`);
  }
  if (!Number.isFinite(spec.skew) || spec.skew < 0 || spec.skew > 8) {
    throw new RangeError(`skew ${spec.skew} must be a number from 0 to 8`);
  }
  if (!(ALLTOALLV_ALGORITHMS as readonly string[]).includes(spec.algorithm)) {
    throw new RangeError(
      `no algorithm '${spec.algorithm}' for alltoallv (have: ${ALLTOALLV_ALGORITHMS.join(', ')})`,
    );
  }
  return spec;
}

const at = (buffer: string, offset: number, count: number): GraphRegion => ({
  buffer,
  offset,
  count,
});

function info(spec: MoeSpec, phase: MoeInfo['phase'], rows: number[][]): MoeInfo {
  const { ranks, experts, topK, tokens, d, hidden, algorithm } = spec;
  return { phase, ranks, experts, topK, tokens, d, hidden, rows, algorithm };
}

/** The router phase: logits = x Wg on every rank. */
export function moeRouterGraph(spec: MoeSpec): Graph {
  checkMoeSpec(spec);
  const { ranks: N, experts: E, d } = spec;
  const Tr = spec.tokens / N;
  const b = new GraphBuilder(N, 'float', 'sum');
  for (let r = 0; r < N; r++) {
    b.buffer(r, 'x', Tr * d);
    b.buffer(r, 'wg', d * E);
    b.buffer(r, 'logits', Tr * E);
    b.kernel({
      kernel: matmulOp(
        r,
        { a: at('x', 0, Tr * d), b: at('wg', 0, d * E), c: at('logits', 0, Tr * E) },
        { m: Tr, k: d, n: E },
      ),
      label: 'router',
    });
  }
  const zeros = Array.from({ length: N }, () => new Array<number>(N).fill(0));
  return b.build(
    { kind: 'moe', algorithm: 'router', moe: info(spec, 'router', zeros) },
    Array.from({ length: N }, () => at('x', 0, Tr * d)),
    Array.from({ length: N }, () => at('logits', 0, Tr * E)),
  );
}

/** One kept copy of a token: its token, choice, expert, and the ranks it lives on. */
export interface TokenCopy {
  readonly token: number;
  readonly choice: number;
  readonly expert: number;
  readonly gate: number;
  readonly src: number;
  readonly dst: number;
}

/** Where every kept copy lies in each buffer of the layer phase. */
export interface MoeLayout {
  readonly copies: readonly TokenCopy[];
  /** Row of each copy (by its index in `copies`) in its source's dsend (= crecv). */
  readonly sendRow: Int32Array;
  /** Row of each copy in its expert rank's drecv (= csend) and in its xin (= yout). */
  readonly recvRow: Int32Array;
  readonly xinRow: Int32Array;
  /** rows[i][j]: copies from rank i to rank j. */
  readonly rows: number[][];
  /** expertRows[e]: copies expert e computes; expertStart[e]: its first row in its rank's xin. */
  readonly expertRows: readonly number[];
  readonly expertStart: readonly number[];
}

/** Indices of `copies` sorted by the keys `by` gives, first key first. */
function orderOf(copies: readonly TokenCopy[], by: (c: TokenCopy) => number[]): number[] {
  const keys = copies.map(by);
  return copies
    .map((_, i) => i)
    .sort((a, b) => {
      const x = keys[a] as number[];
      const y = keys[b] as number[];
      for (let k = 0; k < x.length; k++) {
        const d = (x[k] as number) - (y[k] as number);
        if (d !== 0) return d;
      }
      return 0;
    });
}

/** The layout of the layer phase for a routing (pure: the page and the tests read it too). */
export function moeLayout(spec: MoeSpec, routing: Routing): MoeLayout {
  const { ranks: N, experts: E, topK: k } = spec;
  const Tr = spec.tokens / N;
  const Er = E / N;
  const copies: TokenCopy[] = [];
  for (let t = 0; t < spec.tokens; t++) {
    for (let c = 0; c < k; c++) {
      const e = routing.choice[t * k + c] as number;
      if (e < 0) continue;
      const gate = routing.gate[t * k + c] as number;
      copies.push({
        token: t,
        choice: c,
        expert: e,
        gate,
        src: Math.floor(t / Tr),
        dst: Math.floor(e / Er),
      });
    }
  }
  // Source-side order: expert's rank, expert, choice, token. Expert-side: expert, source, ...
  const bySend = orderOf(copies, (c) => [c.src, c.expert, c.choice, c.token]);
  const sendRow = new Int32Array(copies.length);
  const next = new Array<number>(N).fill(0);
  for (const i of bySend) {
    const c = copies[i] as TokenCopy;
    sendRow[i] = next[c.src] as number;
    next[c.src] = (next[c.src] as number) + 1;
  }
  const rows = Array.from({ length: N }, () => new Array<number>(N).fill(0));
  for (const c of copies)
    (rows[c.src] as number[])[c.dst] = ((rows[c.src] as number[])[c.dst] as number) + 1;
  // drecv on rank j: from source 0, 1, ...; within a source, the source's order (expert, ...).
  const recvRow = new Int32Array(copies.length);
  const fromStart = (i: number, j: number) => {
    let s = 0;
    for (let q = 0; q < i; q++) s += (rows[q] as number[])[j] as number;
    return s;
  };
  const taken = new Map<string, number>();
  for (const i of bySend) {
    const c = copies[i] as TokenCopy;
    const key = `${c.src}:${c.dst}`;
    const n = taken.get(key) ?? 0;
    recvRow[i] = fromStart(c.src, c.dst) + n;
    taken.set(key, n + 1);
  }
  // xin on rank j: expert-major, then source, then the source's order.
  const expertRows = new Array<number>(E).fill(0);
  for (const c of copies) expertRows[c.expert] = (expertRows[c.expert] as number) + 1;
  const expertStart = new Array<number>(E).fill(0);
  for (let e = 0; e < E; e++) {
    expertStart[e] =
      e % Er === 0 ? 0 : (expertStart[e - 1] as number) + (expertRows[e - 1] as number);
  }
  const byExpert = orderOf(copies, (c) => [c.expert, c.src, c.choice, c.token]);
  const xinRow = new Int32Array(copies.length);
  const inExpert = new Array<number>(E).fill(0);
  for (const i of byExpert) {
    const c = copies[i] as TokenCopy;
    xinRow[i] = (expertStart[c.expert] as number) + (inExpert[c.expert] as number);
    inExpert[c.expert] = (inExpert[c.expert] as number) + 1;
  }
  return { copies, sendRow, recvRow, xinRow, rows, expertRows, expertStart };
}

/** Runs of consecutive rows (src row s..s+n-1 to dst row t..t+n-1) as one move each. */
function runsOf(pairs: [number, number][]): [number, number, number][] {
  pairs.sort((a, b) => a[0] - b[0]);
  const out: [number, number, number][] = [];
  for (const [s, t] of pairs) {
    const last = out[out.length - 1];
    if (last && last[0] + last[2] === s && last[1] + last[2] === t) last[2]++;
    else out.push([s, t, 1]);
  }
  return out;
}

/** The layer phase for `routing` (moeLayout's buffers and order). */
export function moeLayerGraph(spec: MoeSpec, routing: Routing): Graph {
  checkMoeSpec(spec);
  const { ranks: N, experts: E, d, hidden: h } = spec;
  const Tr = spec.tokens / N;
  const Er = E / N;
  const L = moeLayout(spec, routing);
  const sent = L.rows.map((row) => row.reduce((s, c) => s + c, 0));
  const got = Array.from({ length: N }, (_, j) =>
    L.rows.reduce((s, row) => s + (row[j] as number), 0),
  );
  const b = new GraphBuilder(N, 'float', 'sum');
  for (let r = 0; r < N; r++) {
    b.buffer(r, 'x', Tr * d);
    b.buffer(r, 'w1', Er * d * h);
    b.buffer(r, 'b1', Er * h);
    b.buffer(r, 'w2', Er * h * d);
    b.buffer(r, 'gate', got[r] as number);
    for (const name of ['drecv', 'xin', 'yout', 'csend']) b.buffer(r, name, (got[r] as number) * d);
    for (const name of ['hid', 'act']) b.buffer(r, name, (got[r] as number) * h);
    for (const name of ['dsend', 'crecv']) b.buffer(r, name, (sent[r] as number) * d);
    b.buffer(r, 'out', Tr * d);
  }
  // permute: token rows into dsend (runs of consecutive rows as one move).
  for (let r = 0; r < N; r++) {
    const pairs: [number, number][] = [];
    L.copies.forEach((c, i) => {
      if (c.src === r) pairs.push([c.token - r * Tr, L.sendRow[i] as number]);
    });
    for (const [s, t, n] of runsOf(pairs)) {
      b.move({
        src: { rank: r, buffer: 'x', offset: s * d },
        dst: { rank: r, buffer: 'dsend', offset: t * d },
        count: n * d,
        op: 'copy',
        label: 'permute',
      });
    }
  }
  const elements = L.rows.map((row) => row.map((c) => c * d));
  const dispatch = graphOf(
    allToAllv({ ranks: N, counts: elements, dtype: 'float' }, spec.algorithm),
  );
  embed(b, dispatch, {
    buffers: { send: { name: 'dsend', offset: 0 }, recv: { name: 'drecv', offset: 0 } },
    label: 'dispatch ',
  });
  // gather into expert-major rows, then the experts.
  for (let r = 0; r < N; r++) {
    const pairs: [number, number][] = [];
    L.copies.forEach((c, i) => {
      if (c.dst === r) pairs.push([L.recvRow[i] as number, L.xinRow[i] as number]);
    });
    for (const [s, t, n] of runsOf(pairs)) {
      b.move({
        src: { rank: r, buffer: 'drecv', offset: s * d },
        dst: { rank: r, buffer: 'xin', offset: t * d },
        count: n * d,
        op: 'copy',
        label: 'gather',
      });
    }
    for (let le = 0; le < Er; le++) {
      const e = r * Er + le;
      const m = L.expertRows[e] as number;
      if (m === 0) continue;
      const row0 = L.expertStart[e] as number;
      const label = `expert ${e}`;
      const xin = at('xin', row0 * d, m * d);
      const hid = at('hid', row0 * h, m * h);
      const act = at('act', row0 * h, m * h);
      const yout = at('yout', row0 * d, m * d);
      b.kernel({
        kernel: matmulOp(r, { a: xin, b: at('w1', le * d * h, d * h), c: hid }, { m, k: d, n: h }),
        label,
      });
      b.kernel({
        kernel: biasGeluOp(r, { x: hid, bias: at('b1', le * h, h), y: act }, { m, n: h }),
        label,
      });
      b.kernel({
        kernel: matmulOp(r, { a: act, b: at('w2', le * h * d, h * d), c: yout }, { m, k: h, n: d }),
        label,
      });
      b.kernel({
        kernel: scaleRowsOp(r, { x: yout, s: at('gate', row0, m), y: yout }, { m, n: d }),
        label,
      });
    }
    // scatter back into the order the rows came in.
    const back: [number, number][] = pairs.map(([s, t]) => [t, s]);
    for (const [s, t, n] of runsOf(back)) {
      b.move({
        src: { rank: r, buffer: 'yout', offset: s * d },
        dst: { rank: r, buffer: 'csend', offset: t * d },
        count: n * d,
        op: 'copy',
        label: 'scatter',
      });
    }
  }
  const transposed = elements.map((_, i) => elements.map((row) => row[i] as number));
  const combine = graphOf(
    allToAllv({ ranks: N, counts: transposed, dtype: 'float' }, spec.algorithm),
  );
  embed(b, combine, {
    buffers: { send: { name: 'csend', offset: 0 }, recv: { name: 'crecv', offset: 0 } },
    label: 'combine ',
  });
  // sum: a token's first kept copy, then its second added (crecv's rows are dsend's).
  const firstOf = new Map<number, number>();
  const order = orderOf(L.copies, (c) => [c.token, c.choice]);
  for (const i of order) {
    const c = L.copies[i] as TokenCopy;
    const first = !firstOf.has(c.token);
    if (first) firstOf.set(c.token, i);
    b.move({
      src: { rank: c.src, buffer: 'crecv', offset: (L.sendRow[i] as number) * d },
      dst: { rank: c.src, buffer: 'out', offset: (c.token - c.src * Tr) * d },
      count: d,
      op: first ? 'copy' : 'reduce',
      label: 'sum',
    });
  }
  return b.build(
    { kind: 'moe', algorithm: spec.algorithm, moe: info(spec, 'layer', L.rows) },
    Array.from({ length: N }, () => at('x', 0, Tr * d)),
    Array.from({ length: N }, () => at('out', 0, Tr * d)),
  );
}
