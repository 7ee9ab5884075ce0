// The rules every plan obeys, checked on the plan alone: ranks and places in range, and no
// hazard inside a step (no op reads or writes what another op of the same step writes). With
// no hazards, running a step's ops one after another equals running them concurrently, which
// is what lets the CPU interpreter be the exact oracle of the GPU executor.
import type { BufferName, Op, Plan } from './plan.ts';

export class PlanError extends Error {
  override name = 'PlanError';
}

interface Range {
  readonly key: string; // rank:buffer
  readonly start: number;
  readonly end: number;
  readonly write: boolean;
  readonly op: number;
}

function checkPlace(
  plan: Plan,
  where: string,
  rank: number,
  buffer: BufferName,
  offset: number,
  count: number,
): void {
  if (!Number.isInteger(rank) || rank < 0 || rank >= plan.ranks) {
    throw new PlanError(`${where}: rank ${rank} is outside 0..${plan.ranks - 1}`);
  }
  if (!Number.isInteger(count) || count < 0) {
    throw new PlanError(`${where}: count ${count} must be a whole number >= 0`);
  }
  const size = plan.sizes[buffer][rank] ?? 0;
  if (!Number.isInteger(offset) || offset < 0 || offset + count > size) {
    throw new PlanError(
      `${where}: ${buffer}[${offset}..${offset + count}) of rank ${rank} is outside its ${size} elements`,
    );
  }
}

function rangesOf(ops: readonly Op[]): Range[] {
  const ranges: Range[] = [];
  ops.forEach((op, i) => {
    if (op.count === 0) return;
    const r = (p: Op['src'], write: boolean): Range => ({
      key: `${p.rank}:${p.buffer}`,
      start: p.offset,
      end: p.offset + op.count,
      write,
      op: i,
    });
    ranges.push(r(op.src, false), r(op.dst, true));
  });
  return ranges;
}

export function validatePlan(plan: Plan): void {
  if (!Number.isInteger(plan.ranks) || plan.ranks < 1) {
    throw new PlanError(`ranks ${plan.ranks} must be a whole number >= 1`);
  }
  for (const buffer of ['send', 'recv'] as const) {
    if (plan.sizes[buffer].length !== plan.ranks) {
      throw new PlanError(
        `sizes.${buffer} lists ${plan.sizes[buffer].length} ranks, not ${plan.ranks}`,
      );
    }
    plan.sizes[buffer].forEach((size, r) => {
      if (!Number.isInteger(size) || size < 0) {
        throw new PlanError(`sizes.${buffer} of rank ${r} is ${size}, not a whole number >= 0`);
      }
    });
  }
  for (const side of ['input', 'output'] as const) {
    const regions = plan[side];
    if (regions.length !== plan.ranks) {
      throw new PlanError(`${side} lists ${regions.length} ranks, not ${plan.ranks}`);
    }
    regions.forEach((g, r) => {
      checkPlace(plan, `${side} of rank ${r}`, r, g.buffer, g.offset, g.count);
    });
  }
  plan.steps.forEach((step, s) => {
    step.ops.forEach((op, i) => {
      const where = `step ${s} op ${i}`;
      if (!Number.isInteger(op.count) || op.count < 0)
        throw new PlanError(`${where}: count ${op.count}`);
      checkPlace(plan, `${where} src`, op.src.rank, op.src.buffer, op.src.offset, op.count);
      checkPlace(plan, `${where} dst`, op.dst.rank, op.dst.buffer, op.dst.offset, op.count);
    });
    // Sort the step's ranges by buffer and start; any overlap that involves a write by one op
    // and any access by another is a hazard.
    const ranges = rangesOf(step.ops).sort((a, b) =>
      a.key < b.key ? -1 : a.key > b.key ? 1 : a.start - b.start,
    );
    for (let i = 0; i < ranges.length; i++) {
      const a = ranges[i] as Range;
      for (let j = i + 1; j < ranges.length; j++) {
        const b = ranges[j] as Range;
        if (b.key !== a.key || b.start >= a.end) break;
        if (a.op === b.op && a.write !== b.write) {
          throw new PlanError(
            `step ${s} op ${a.op}: reads and writes overlapping ranges of ${a.key}`,
          );
        }
        if (a.op !== b.op && (a.write || b.write)) {
          throw new PlanError(
            `step ${s}: ops ${Math.min(a.op, b.op)} and ${Math.max(a.op, b.op)} touch ${a.key}` +
              `[${Math.max(a.start, b.start)}..${Math.min(a.end, b.end)}) and one of them writes it`,
          );
        }
      }
    }
  });
}
