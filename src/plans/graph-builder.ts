// Builds a graph task by task, with the dependencies its data needs: each task added depends on
// the last writer of what it reads and on the last writer and readers of what it writes (a
// scoreboard, src/plans/scoreboard.ts), plus any dependencies the caller names. Builders then
// say what runs, not what waits for what, and composition cannot forget an ordering: a bucket's
// AllReduce embedded after the backward kernel that writes the bucket depends on that kernel
// and on nothing else, so it overlaps the kernels that follow (that is the whole point).
//
// Tasks get ids in the order they are added, so every graph built here lists its tasks in a
// topological order (validateGraph's first rule).
import { Accesses, BufferIndex } from './accesses.ts';
import type { Dtype, RedOp } from './dtype.ts';
import type {
  BufferSpec,
  Graph,
  GraphKernel,
  GraphPlace,
  GraphRegion,
  KernelTask,
  MoveTask,
  PlanInfo,
  Stream,
  Task,
} from './graph.ts';
import { Scoreboard } from './scoreboard.ts';

export interface MoveSpec {
  readonly src: GraphPlace;
  readonly dst: GraphPlace;
  readonly count: number;
  readonly op: 'copy' | 'reduce';
  readonly chunk?: number;
  readonly label: string;
  /** Default: the receiver's comm stream. */
  readonly rank?: number;
  readonly stream?: Stream;
}

export interface KernelSpec {
  readonly kernel: GraphKernel;
  readonly label: string;
  /** Default: compute. */
  readonly stream?: Stream;
}

export class GraphBuilder {
  private readonly tasks: Task[] = [];
  private readonly board = new Scoreboard();
  private readonly conflicts: number[] = [];
  private readonly index: BufferIndex;
  private readonly accesses: Accesses;

  constructor(
    readonly ranks: number,
    readonly dtype: Dtype,
    readonly redop: RedOp,
  ) {
    this.index = new BufferIndex(ranks, []);
    this.accesses = new Accesses(this.index);
  }

  task(id: number): Task {
    const t = this.tasks[id];
    if (!t) throw new RangeError(`task ${id} is not in 0..${this.tasks.length - 1}`);
    return t;
  }

  /**
   * Declares rank's buffer `name` of `count` elements (of the graph's type unless told), or
   * grows it to `count` if it exists and is smaller: embedding places a sub-graph's buffers
   * inside the host's, and the host's buffers are as large as what they hold.
   */
  buffer(rank: number, name: string, count: number, dtype: Dtype = this.dtype): void {
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.ranks) {
      throw new RangeError(`buffer '${name}': rank ${rank} is outside 0..${this.ranks - 1}`);
    }
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new RangeError(`buffer '${name}' of rank ${rank}: count ${count} must be >= 0`);
    }
    const at = this.index.index(rank, name);
    if (at >= 0) {
      const spec = this.index.specs[at] as BufferSpec;
      if (spec.dtype !== dtype) {
        throw new RangeError(`buffer '${name}' of rank ${rank} holds ${spec.dtype}, not ${dtype}`);
      }
      if (spec.count < count) this.index.set(at, { ...spec, count });
      return;
    }
    this.index.add({ name, rank, dtype, count });
  }

  /**
   * Adds a move; returns its id. `data` false: the caller's `after` already orders it after
   * everything its data needs (graphOf's program order does), so the scoreboard is skipped.
   */
  move(spec: MoveSpec, after: readonly number[] = [], data = true): number {
    const task: MoveTask = {
      kind: 'move',
      id: this.tasks.length,
      rank: spec.rank ?? spec.dst.rank,
      stream: spec.stream ?? 'comm',
      deps: data
        ? this.depsOf(
            this.accesses.move(spec.src, spec.dst, spec.count, spec.op === 'reduce'),
            after,
          )
        : this.checked(after),
      label: spec.label,
      src: spec.src,
      dst: spec.dst,
      count: spec.count,
      op: spec.op,
      chunk: spec.chunk ?? 0,
    };
    this.tasks.push(task);
    return task.id;
  }

  /** Adds a kernel on its rank's compute stream (unless told); returns its id. */
  kernel(spec: KernelSpec, after: readonly number[] = [], data = true): number {
    const task: KernelTask = {
      kind: 'kernel',
      id: this.tasks.length,
      rank: spec.kernel.rank,
      stream: spec.stream ?? 'compute',
      deps: data
        ? this.depsOf(this.accesses.kernel(spec.kernel.rank, spec.kernel), after)
        : this.checked(after),
      label: spec.label,
      kernel: spec.kernel,
    };
    this.tasks.push(task);
    return task.id;
  }

  /** `after` as the next task's dependencies: earlier tasks, sorted, without repeats. */
  private checked(after: readonly number[]): number[] {
    const id = this.tasks.length;
    let last = -1;
    for (const d of after) {
      if (!Number.isInteger(d) || d <= last || d >= id) return this.depsOf(undefined, after);
      last = d;
    }
    return after.slice();
  }

  /**
   * The dependencies of the task about to be added: its data conflicts and `after`, sorted, in
   * an array of their exact size (a 1024-rank ring has two million of them: growing each by
   * push would cost its GC time).
   */
  private depsOf(a: Accesses | undefined, after: readonly number[]): number[] {
    const id = this.tasks.length;
    const out = this.conflicts;
    out.length = 0;
    const accesses = a?.length ?? 0;
    for (let i = 0; i < accesses; i++) {
      const x = a as Accesses;
      const buffer = x.buffer[i] as number;
      if (buffer < 0) continue; // an unknown buffer: validateGraph names it
      this.board.access(
        buffer,
        x.start[i] as number,
        x.end[i] as number,
        id,
        x.write[i] as boolean,
        out,
      );
    }
    for (const d of after) {
      if (!Number.isInteger(d) || d < 0 || d >= id) {
        throw new RangeError(`task ${id} cannot depend on ${d}: not an earlier task`);
      }
      out.push(d);
    }
    if (out.length > 1) out.sort((x, y) => x - y);
    // Drop repeats in place, then copy out exactly that many.
    let kept = 0;
    for (let i = 0; i < out.length; i++) {
      const d = out[i] as number;
      if (kept === 0 || d !== out[kept - 1]) out[kept++] = d;
    }
    return out.slice(0, kept);
  }

  build(info: PlanInfo, input: readonly GraphRegion[], output: readonly GraphRegion[]): Graph {
    return {
      ranks: this.ranks,
      buffers: this.index.specs.slice(),
      tasks: this.tasks.slice(),
      dtype: this.dtype,
      redop: this.redop,
      input,
      output,
      info,
    };
  }
}
