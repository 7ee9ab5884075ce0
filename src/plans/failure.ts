// A rank that fails in the middle of an AllReduce, and how the survivors finish it.
//
//   the failure   rank f stops before wave w of the plan's graph: none of its tasks of wave
//                 >= w runs, no move reads from or writes to it from then on, and every task
//                 that waits (through its dependencies) on one of those never runs either: the
//                 survivors go on until each is blocked on the dead rank, then stall;
//   detection     each survivor times out (--detect-timeout, priced by src/model/failure.ts);
//   re-forming    the survivors agree on who is left: each one's vote (its rank + 1, written by
//                 its host behind its input, send[count]) goes round a ring AllGather of the
//                 survivors into the members' list behind its result (recv[count ..]), so
//                 every survivor holds the same list of N - 1 members (NCCL's communicator
//                 shrink does this exchange in its bootstrap); the new communicator is those
//                 ranks in order: the ring closes around the gap (f - 1 sends to f + 1), a tree
//                 is rebuilt on them and re-roots at the lowest survivor when f was its root;
//   finishing     the collective runs again on the survivors, from their inputs.
//
// The policy: the failed rank's contribution is out, as a whole. When f stops, a partial
// AllReduce holds f's data in some chunks and not in others (a ring has reduced it into the
// chunks it already passed on), and f's input is gone with it: keeping it in would need a copy
// of f's input elsewhere, which an AllReduce does not keep. Out needs nothing but the
// survivors' own inputs, which an out-of-place AllReduce never writes, so the consistent state
// to finish from is those inputs, and the result is the reduction over the survivors exactly
// (semantics.ts on N - 1 ranks): no survivor's contribution is lost and none counts twice,
// which the tests check against the interpreter. In place, a survivor's input is already
// overwritten when f fails: that is refused, naming the task that overwrote it.
//
// Two graphs, not one: `before` is what ran (on all N ranks' buffers), `after` the re-forming
// and the rerun; the detection timeout between them is time, not work, and the pricer prices
// work, so src/model/failure.ts adds it between the two prices.
import { embed, lastTasks } from './combinators.ts';
import { graphOf } from './from-steps.ts';
import { type Graph, type GraphRegion, type Task, waveOf } from './graph.ts';
import { GraphBuilder } from './graph-builder.ts';
import type { CollectiveSpec } from './plan.ts';
import { ALGORITHMS, builderFor } from './registry.ts';
import { ringAllGather } from './ring.ts';

export interface Failure {
  readonly rank: number;
  /** The first wave the rank does not run (0: it never starts). */
  readonly wave: number;
}

/** The AllReduce algorithms a failure can be run with: those that build on any rank count. */
export const FAILURE_ALGORITHMS = ['ring', 'tree', 'rhd', 'direct', 'dbtree'] as const;

/** `RANK@WAVE` for a graph of `ranks` ranks and `waves` waves, or a RangeError naming the limit. */
export function parseFailure(text: string, ranks: number, waves: number): Failure {
  const m = /^\s*(\d+)\s*@\s*(\d+)\s*$/.exec(text);
  if (!m) throw new RangeError(`failure '${text}' must be RANK@WAVE, e.g. 2@3`);
  const rank = Number(m[1]);
  const wave = Number(m[2]);
  if (ranks < 2) throw new RangeError(`a failure needs at least 2 ranks (have ${ranks})`);
  if (rank >= ranks) throw new RangeError(`failed rank ${rank} must be below ranks ${ranks}`);
  if (wave >= waves) {
    throw new RangeError(`failure wave ${wave} must be below the plan's ${waves} waves`);
  }
  return { rank, wave };
}

export interface FailedRun {
  readonly failure: Failure;
  /** The ranks left, in order: the new communicator's ranks 0..N-2. */
  readonly survivors: readonly number[];
  /** The graph as built for all N ranks. */
  readonly original: Graph;
  /** Of the original, every task that still ran: its ids in the original, in order. */
  readonly ran: readonly number[];
  /** What ran, as a graph on the original's buffers (grown by the votes): wasted work. */
  readonly before: Graph;
  /** The re-forming, then the collective on the survivors, on the same buffers. */
  readonly after: Graph;
  /** How many of after's first tasks are the re-forming (the AllGather of the votes). */
  readonly reformTasks: number;
  /** The AllReduce's count: a survivor's vote is send[count], the members recv[count ..]. */
  readonly count: number;
}

const touches = (t: Task, rank: number) =>
  t.rank === rank || (t.kind === 'move' && (t.src.rank === rank || t.dst.rank === rank));

/** Which tasks run when `failure` happens: none that needs the rank from its wave on. */
export function ranTasks(graph: Graph, failure: Failure): Uint8Array {
  const wave = waveOf(graph);
  const ran = new Uint8Array(graph.tasks.length);
  for (const t of graph.tasks) {
    const dead = touches(t, failure.rank) && (wave[t.id] as number) >= failure.wave;
    ran[t.id] = !dead && t.deps.every((d) => ran[d] === 1) ? 1 : 0;
  }
  return ran;
}

/** The elements of `g` (on `rank`) that task `t` writes, if any: [start, end) in its buffer. */
function writes(t: Task, rank: number, g: GraphRegion): boolean {
  const overlaps = (buffer: string, offset: number, count: number) =>
    buffer === g.buffer && offset < g.offset + g.count && g.offset < offset + count;
  if (t.kind === 'move') {
    return t.dst.rank === rank && overlaps(t.dst.buffer, t.dst.offset, t.count);
  }
  return false;
}

/**
 * The graph of the tasks `keep` says, renumbered in order (their dependencies all kept), its
 * buffers grown to `grow`'s sizes where it names them.
 */
function subgraph(graph: Graph, keep: Uint8Array, grow: Graph['buffers']): Graph {
  const newId = new Int32Array(graph.tasks.length).fill(-1);
  const tasks: Task[] = [];
  for (const t of graph.tasks) {
    if (!keep[t.id]) continue;
    newId[t.id] = tasks.length;
    tasks.push({ ...t, id: tasks.length, deps: t.deps.map((d) => newId[d] as number) });
  }
  const grown = new Map(grow.map((b) => [`${b.rank}/${b.name}`, b]));
  const buffers = graph.buffers.map((b) => grown.get(`${b.rank}/${b.name}`) ?? b);
  return { ...graph, buffers, tasks };
}

/**
 * The run of `spec`'s AllReduce with `algorithm` when `failure` happens: what ran before it,
 * and the survivors' re-forming and rerun. RangeError for what it cannot do, naming why.
 */
export function failedAllReduce(
  algorithm: string,
  spec: CollectiveSpec,
  failure: Failure,
): FailedRun {
  if (!(FAILURE_ALGORITHMS as readonly string[]).includes(algorithm)) {
    builderFor('allreduce', algorithm); // names the algorithms there are, if it is none
    throw new RangeError(
      `a failure runs with allreduce ${FAILURE_ALGORITHMS.join(', ')}, not '${algorithm}' (it needs a rank count the survivors may not have)`,
    );
  }
  const build = ALGORITHMS.allreduce[algorithm] as NonNullable<
    (typeof ALGORITHMS.allreduce)[string]
  >;
  const original = graphOf(build(spec));
  const waves = Math.max(0, ...waveOf(original)) + 1;
  // Checked again here so that a caller who did not parse it gets the same message.
  parseFailure(`${failure.rank}@${failure.wave}`, spec.ranks, waves);
  if (spec.inPlace) {
    throw new RangeError(
      'a failure needs an out-of-place AllReduce: in place, a survivor has overwritten its input with partial sums before the rank fails, and the survivors could not start again from it',
    );
  }
  const ran = ranTasks(original, failure);
  const survivors = original.input.map((_, r) => r).filter((r) => r !== failure.rank);
  for (const t of original.tasks) {
    if (!ran[t.id]) continue;
    for (const r of survivors) {
      if (writes(t, r, original.input[r] as GraphRegion)) {
        throw new RangeError(
          `task ${t.id} (${t.label}) writes rank ${r}'s input: the survivors could not start again from it`,
        );
      }
    }
  }
  const s = survivors.length;
  // The votes ride behind the data, in the same buffers: each survivor's 'send' grows by its
  // vote and its 'recv' by the members' list, so the graphs keep the two buffers every reader
  // of a collective knows (and a page can step through them as one plan).
  const votes = survivors.flatMap((r) => [
    { name: 'send', rank: r, dtype: spec.dtype, count: spec.count + 1 },
    { name: 'recv', rank: r, dtype: spec.dtype, count: spec.count + s },
  ]);
  const before = subgraph(original, ran, votes);

  const b = new GraphBuilder(spec.ranks, spec.dtype, spec.redop);
  for (const buf of before.buffers) b.buffer(buf.rank, buf.name, buf.count, buf.dtype);
  const onSurvivors = { ranks: survivors };
  const agreement = ringAllGather({ ...spec, ranks: s, count: s, inPlace: false });
  const reform = embed(b, graphOf(agreement), {
    ...onSurvivors,
    buffers: {
      send: { name: 'send', offset: spec.count },
      recv: { name: 'recv', offset: spec.count },
    },
    label: 're-form: ',
  });
  const rerun = graphOf(build({ ...spec, ranks: s }));
  embed(b, rerun, { ...onSurvivors, after: reform.last, label: 'rerun: ' });
  const gone = { buffer: 'recv', offset: 0, count: 0 };
  const after = b.build(
    {
      kind: 'collective',
      collective: 'allreduce',
      algorithm: `${algorithm} on the ${s} survivors of rank ${failure.rank}`,
      count: spec.count,
      root: 0,
      inPlace: false,
    },
    original.input,
    original.output.map((g, r) => (r === failure.rank ? gone : g)),
  );
  return {
    failure,
    survivors,
    original,
    ran: original.tasks.filter((t) => ran[t.id]).map((t) => t.id),
    before,
    after,
    reformTasks: reform.ids.length,
    count: spec.count,
  };
}

/**
 * The failed run as one graph, for a reader that steps through waves (a page): what ran, then
 * the re-forming and the rerun after the whole of it; and the first wave of the recovery, where
 * the survivors' timeout falls.
 */
export function failedAsOneGraph(run: FailedRun): { graph: Graph; recoveryWave: number } {
  const { before, after } = run;
  const b = new GraphBuilder(before.ranks, before.dtype, before.redop);
  const first = embed(b, before);
  embed(b, after, { after: lastTasks(before).map((id) => first.ids[id] as number) });
  const graph = b.build(after.info, after.input, after.output);
  const recoveryWave = before.tasks.length === 0 ? 0 : Math.max(...waveOf(before)) + 1;
  return { graph, recoveryWave };
}

/** The votes each survivor's host writes before the run: its rank + 1 in send[count]. */
export function writeVotes(
  run: FailedRun,
  buffers: readonly Record<string, { [i: number]: number }>[],
): void {
  for (const r of run.survivors) {
    const send = buffers[r]?.send;
    if (!send) throw new RangeError(`rank ${r} has no 'send' buffer`);
    send[run.count] = r + 1;
  }
}

/**
 * Whether the re-forming agreed: every survivor's members (recv[count ..]) list the survivors (rank + 1
 * each, in order). Undefined if so, else what is wrong, naming the rank.
 */
export function membersDisagree(
  run: FailedRun,
  buffers: readonly Record<string, ArrayLike<number>>[],
): string | undefined {
  const want = run.survivors.map((r) => r + 1);
  for (const r of run.survivors) {
    const recv = buffers[r]?.recv ?? [];
    const got = Array.from({ length: want.length }, (_, i) => recv[run.count + i] as number);
    if (got.length !== want.length || got.some((v, i) => v !== want[i])) {
      return `rank ${r} holds members [${got.join(', ')}], not [${want.join(', ')}]`;
    }
  }
  return undefined;
}
