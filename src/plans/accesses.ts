// What a task reads and writes, as element ranges of numbered buffers: the one description of
// a task's memory that building dependencies and validating hazards share.

import type { BufferSpec, GraphKernel, GraphPlace, Task } from './graph.ts';
import { kernelOperands } from './validate.ts';

/** Numbers the buffers of a graph: index(rank, name) is the spec's position, or -1. */
export class BufferIndex {
  private readonly byName = new Map<string, Int32Array>();
  private readonly list: BufferSpec[] = [];

  constructor(
    readonly ranks: number,
    specs: readonly BufferSpec[],
  ) {
    for (const b of specs) this.add(b);
  }

  get specs(): readonly BufferSpec[] {
    return this.list;
  }

  /** Numbers one more buffer (the next position); a repeat of (rank, name) takes its place. */
  add(b: BufferSpec): void {
    let row = this.byName.get(b.name);
    if (!row) {
      row = new Int32Array(this.ranks).fill(-1);
      this.byName.set(b.name, row);
    }
    const i = this.list.length;
    this.list.push(b);
    if (b.rank >= 0 && b.rank < this.ranks) row[b.rank] = i;
  }

  /** Replaces buffer i's spec (a buffer grown in place keeps its number). */
  set(i: number, b: BufferSpec): void {
    this.list[i] = b;
  }

  index(rank: number, name: string): number {
    const row = this.byName.get(name);
    return row && rank >= 0 && rank < this.ranks ? (row[rank] as number) : -1;
  }

  /** Elements of rank's buffer `name`, or -1 where it has none. */
  size(rank: number, name: string): number {
    const i = this.index(rank, name);
    return i < 0 ? -1 : (this.specs[i] as BufferSpec).count;
  }
}

/**
 * The ranges a task touches, reads first, refilled task after task without allocating (plans
 * of millions of moves pass through here). A reduce reads and writes its destination; a kernel
 * reads its inputs and writes its outputs (an in-place bias-gelu reads and writes one range,
 * which is its own affair).
 */
export class Accesses {
  length = 0;
  readonly buffer: number[] = [];
  readonly start: number[] = [];
  readonly end: number[] = [];
  readonly write: boolean[] = [];

  constructor(private readonly index: BufferIndex) {}

  private push(buffer: number, start: number, count: number, write: boolean): void {
    const i = this.length++;
    this.buffer[i] = buffer;
    this.start[i] = start;
    this.end[i] = start + count;
    this.write[i] = write;
  }

  of(task: Task): this {
    if (task.kind === 'move') {
      return this.move(task.src, task.dst, task.count, task.op === 'reduce');
    }
    return this.kernel(task.rank, task.kernel);
  }

  /** A move's ranges: its source read, its destination read (a reduce) and written. */
  move(src: GraphPlace, dst: GraphPlace, count: number, reduce: boolean): this {
    this.length = 0;
    const { index } = this;
    const s = index.index(src.rank, src.buffer);
    const d = index.index(dst.rank, dst.buffer);
    this.push(s, src.offset, count, false);
    if (reduce) this.push(d, dst.offset, count, false);
    this.push(d, dst.offset, count, true);
    return this;
  }

  kernel(rank: number, op: GraphKernel): this {
    this.length = 0;
    const operands = kernelOperands(op);
    for (const write of [false, true]) {
      for (const o of operands) {
        if (o.write !== write) continue;
        const b = this.index.index(rank, o.region.buffer);
        this.push(b, o.region.offset, o.region.count, write);
      }
    }
    return this;
  }
}
