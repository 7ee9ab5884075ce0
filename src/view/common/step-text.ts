// A plan step in words, for the lecture caption: "step 1 of 6: reduce-scatter, each of the 4
// ranks sends one chunk to its right neighbour, which adds it". A step's ops are summarized by
// the pattern they share (every rank to its neighbour, to its partner, to one root), so 64
// ranks read as one sentence; with no pattern, the first op and how many more.
import type { RedOp } from '../../plans/dtype.ts';
import type { BufferName, Op, Plan } from '../../plans/plan.ts';

/** What a receiver does with a reduced chunk, and what a rank does reducing its own. */
const TAKES: Readonly<Record<RedOp, string>> = {
  sum: 'which adds it',
  prod: 'which multiplies it in',
  max: 'which keeps the larger',
  min: 'which keeps the smaller',
};
const REDUCES: Readonly<Record<RedOp, string>> = {
  sum: 'adds',
  prod: 'multiplies in',
  max: 'max-reduces',
  min: 'min-reduces',
};
const BUFFER: Readonly<Record<BufferName, string>> = { send: 'send', recv: 'receive' };

/** 'its whole buffer' when the op moves all of the sender's buffer, else 'chunk c'. */
function what(plan: Plan, op: Op): string {
  const whole = op.src.offset === 0 && op.count === plan.sizes[op.src.buffer][op.src.rank];
  return whole ? 'its whole buffer' : `chunk ${op.chunk}`;
}

/** A rank-local op: "copies chunk 2 from its send buffer into its receive buffer". */
function localVerb(plan: Plan, op: Op, thing: string): string {
  const [from, to] = [BUFFER[op.src.buffer], BUFFER[op.dst.buffer]];
  const verb = op.kind === 'copy' ? 'copies' : REDUCES[plan.redop];
  return from === to
    ? `${verb} ${thing} within its ${to} buffer`
    : `${verb} ${thing} from its ${from} buffer into its ${to} buffer`;
}

/** One op in words: "rank 2 sends chunk 1 to rank 3, which adds it", "rank 0 copies ...". */
export function describeOp(plan: Plan, op: Op): string {
  const [s, d] = [op.src.rank, op.dst.rank];
  const thing = what(plan, op);
  if (s === d) return `rank ${s} ${localVerb(plan, op, thing)}`;
  return op.kind === 'copy'
    ? `rank ${s} copies ${thing} to rank ${d}`
    : `rank ${s} sends ${thing} to rank ${d}, ${TAKES[plan.redop]}`;
}

/** "each of the 8 ranks", "each of ranks 1, 3 and 5", "each of 32 ranks". */
function subject(senders: readonly number[], ranks: number): string {
  if (senders.length === ranks) return `each of the ${ranks} ranks`;
  if (senders.length > 4) return `each of ${senders.length} ranks`;
  const list = senders.slice(0, -1).join(', ');
  return `each of ranks ${list} and ${senders[senders.length - 1]}`;
}

const mod = (a: number, n: number) => ((a % n) + n) % n;

/** Where every op of a step sends, as one phrase, or undefined when they share no pattern. */
function destination(ops: readonly Op[], n: number): string | undefined {
  const pairs = ops.map((o) => [o.src.rank, o.dst.rank] as const);
  const same = (f: (s: number, d: number) => number) => {
    const v = f(...(pairs[0] as readonly [number, number]));
    return pairs.every(([s, d]) => f(s, d) === v) ? v : undefined;
  };
  const root = same((_, d) => d);
  if (root !== undefined) return `to rank ${root}`;
  const step = same((s, d) => mod(d - s, n));
  if (step === 1) return n === 2 ? 'to the other rank' : 'to its right neighbour';
  if (step === n - 1) return 'to its left neighbour';
  // Partners exchange: every s -> d has its d -> s (recursive halving-doubling).
  const partner = same((s, d) => s ^ d);
  const sent = new Set(pairs.map(([s, d]) => `${s}>${d}`));
  if (partner !== undefined && pairs.every(([s, d]) => sent.has(`${d}>${s}`))) {
    return `to its partner (rank xor ${partner})`;
  }
  // Rings side by side inside groups of g consecutive ranks (the nodes of a hierarchical plan).
  for (let g = 2; g < n; g++) {
    if (n % g === 0 && pairs.every(([s, d]) => d === s - (s % g) + (((s % g) + 1) % g))) {
      return `to its right neighbour in its group of ${g}`;
    }
  }
  const delta = same((s, d) => d - s);
  if (delta !== undefined) {
    return delta > 0 ? `to the rank ${delta} after it` : `to the rank ${-delta} before it`;
  }
  return step === undefined ? undefined : `to the rank ${step} after it (mod ${n})`;
}

/** The ops of one step as a phrase: a shared pattern, or the first op and how many more. */
function summary(plan: Plan, ops: readonly Op[]): string {
  const first = ops[0];
  if (!first) return 'nothing moves';
  if (ops.length === 1) return describeOp(plan, first);
  const senders = [...new Set(ops.map((o) => o.src.rank))].sort((a, b) => a - b);
  const kinds = new Set(ops.map((o) => o.kind));
  const local = ops.every((o) => o.src.rank === o.dst.rank);
  const remote = ops.every((o) => o.src.rank !== o.dst.rank);
  const things = new Set(ops.map((o) => what(plan, o)));
  if (senders.length === ops.length && kinds.size === 1 && (local || remote)) {
    const thing = things.size === 1 ? (things.values().next().value as string) : 'one chunk';
    if (local) return `${subject(senders, plan.ranks)} ${localVerb(plan, first, thing)}`;
    const where = destination(ops, plan.ranks);
    if (where !== undefined) {
      return first.kind === 'copy'
        ? `${subject(senders, plan.ranks)} copies ${thing} ${where}`
        : `${subject(senders, plan.ranks)} sends ${thing} ${where}, ${TAKES[plan.redop]}`;
    }
  }
  if (ops.length === 2) return `${describeOp(plan, first)}; ${describeOp(plan, ops[1] as Op)}`;
  return `${describeOp(plan, first)}, and ${ops.length - 1} more transfers`;
}

/**
 * The caption of plan.steps[index] (0-based): "step 3 of 6: reduce-scatter, each of the 4
 * ranks sends one chunk to its right neighbour, which adds it".
 */
export function describeStep(plan: Plan, index: number): string {
  const step = plan.steps[index];
  if (!step) {
    throw new RangeError(`step index ${index} is not in 0..${plan.steps.length - 1}`);
  }
  return `step ${index + 1} of ${plan.steps.length}: ${step.phase}, ${summary(plan, step.ops)}`;
}

/**
 * Every op of plan.steps[index] in words, at most `limit` of them, then "and k more": the
 * detail under the caption when the step is small enough to read op by op (the 4-rank ring).
 */
export function stepDetails(plan: Plan, index: number, limit = 8): string[] {
  const ops = plan.steps[index]?.ops ?? [];
  const lines = ops.slice(0, limit).map((o) => describeOp(plan, o));
  if (ops.length > limit) lines.push(`and ${ops.length - limit} more`);
  return lines;
}
