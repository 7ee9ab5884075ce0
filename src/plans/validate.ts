// The rules every plan obeys, checked on the plan alone: ranks and places in range, and no
// hazard inside a step (no op reads or writes what another op of the same step writes). With
// no hazards, running a step's ops one after another equals running them concurrently, which
// is what lets the CPU interpreter be the exact oracle of the GPU executor.
import type { AnyKernel, KernelCall, Operand } from '../kernels/kernel.ts';
import { kernelFor } from '../kernels/registry.ts';
import type { BufferName, KernelOp, Op, Plan, Region } from './plan.ts';

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

/**
 * A kernel's operands from the registry, each with its region: its name, what the kernel does
 * to it (`write` for an output or scratch), the element count its params need, the input it may
 * be exactly (in place). The region is missing where the op gives none (validatePlan rejects
 * that op); a kernel the registry does not have is a PlanError naming the ones it has.
 */
export function kernelOperands<G extends RegionLike = Region>(
  op: KernelCall<G>,
): (Operand & { region: G; write: boolean })[] {
  return registered(op.kernel)
    .operands(op.params)
    .map((o) => ({ ...o, region: op.operands[o.name] as G, write: o.access !== 'read' }));
}

/** A region of a named buffer: a plan's (send or recv) or a graph's (any name). */
export interface RegionLike {
  readonly buffer: string;
  readonly offset: number;
  readonly count: number;
}

function registered(name: string): AnyKernel {
  try {
    return kernelFor(name);
  } catch (e) {
    throw new PlanError((e as Error).message);
  }
}

function sameRegion(a: Region, b: Region): boolean {
  return a.buffer === b.buffer && a.offset === b.offset && a.count === b.count;
}

/** Checks a kernel's params and operands and returns the ranges it reads and writes. */
function kernelRanges(plan: Plan, op: KernelOp, where: string, index: number): Range[] {
  if (plan.dtype !== 'float')
    throw new PlanError(`${where}: kernels run on float, not ${plan.dtype}`);
  let kernel: AnyKernel;
  try {
    kernel = registered(op.kernel);
  } catch (e) {
    throw new PlanError(`${where}: ${(e as Error).message}`);
  }
  if (!kernel.arena) throw new PlanError(`${where}: ${op.kernel} does not run inside a plan`);
  const dims = kernel.params.map((p) => op.params[p] as number);
  if (!dims.every((d) => Number.isSafeInteger(d) && d >= 1)) {
    throw new PlanError(`${where}: ${op.kernel} shape ${dims.join('x')} needs every size >= 1`);
  }
  const why = kernel.check?.(op.params);
  if (why) throw new PlanError(`${where}: ${op.kernel} ${why}`);
  const named = kernel.operands(op.params).map((o) => o.name);
  for (const name of Object.keys(op.operands)) {
    if (!named.includes(name)) {
      throw new PlanError(
        `${where}: ${op.kernel} has no operand ${name} (has ${named.join(', ')})`,
      );
    }
  }
  const operands = kernelOperands(op);
  for (const { name, region, count, dtype } of operands) {
    if (!region) throw new PlanError(`${where}: ${op.kernel} is given no ${name}`);
    if (dtype === 'u32') throw new PlanError(`${where}: ${op.kernel} ${name} is u32, not float`);
    if (region.count !== count) {
      throw new PlanError(
        `${where}: ${op.kernel} ${name} holds ${region.count} elements, its shape needs ${count}`,
      );
    }
    checkPlace(plan, `${where} ${name}`, op.rank, region.buffer, region.offset, region.count);
  }
  // No output may overlap an input or another output, except one that is exactly the input
  // the kernel says it may be (element-wise, in place).
  const writes = (o: (typeof operands)[number]) => o.write;
  const inPlace = (out: (typeof operands)[number], o: (typeof operands)[number]) =>
    out.inPlaceOf === o.name && sameRegion(o.region, out.region);
  operands.forEach((out, i) => {
    if (!writes(out)) return;
    operands.forEach((o, j) => {
      if (i === j || o.region.buffer !== out.region.buffer || (writes(o) && j < i)) return;
      const overlap =
        o.region.offset < out.region.offset + out.region.count &&
        out.region.offset < o.region.offset + o.region.count;
      if (overlap && !inPlace(out, o) && o.region.count > 0 && out.region.count > 0) {
        throw new PlanError(
          `${where}: ${op.kernel} writes ${out.name} over its ${writes(o) ? 'output' : 'input'} ${o.name}`,
        );
      }
    });
  });
  // Ranges for the step's hazard check; a kernel in place reads and writes one range, so its
  // read is left out (it is its own op and may touch what it writes).
  return operands
    .filter((o) => writes(o) || !operands.some((out) => writes(out) && inPlace(out, o)))
    .map((o) => ({
      key: `${op.rank}:${o.region.buffer}`,
      start: o.region.offset,
      end: o.region.offset + o.region.count,
      write: writes(o),
      op: index,
    }));
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
    // Kernels are numbered after the ops, so both share one hazard check.
    const kernelRangesOfStep = (step.kernels ?? []).flatMap((k, i) =>
      kernelRanges(plan, k, `step ${s} kernel ${i}`, step.ops.length + i),
    );
    // Sort the step's ranges by buffer and start; any overlap that involves a write by one op
    // and any access by another is a hazard.
    const ranges = [...rangesOf(step.ops), ...kernelRangesOfStep].sort((a, b) =>
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
