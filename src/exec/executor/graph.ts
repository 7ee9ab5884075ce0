// A Plan v2 graph on the GPU, in waves: each wave (tasks whose dependencies are done) is one
// timed pass of the step executor, its moves in one op-table dispatch and its kernels by rank.
// A graph with buffers other than send and recv runs packed (src/plans/pack.ts): each rank's
// named buffers as regions of one buffer, which also keeps a kernel's operands in one binding.
// Results equal the graph interpreter's bit for bit on moves (validateGraph: no hazard between
// tasks a wave runs together), and within the kernels' oracles' tolerances on kernels.
import type { GpuContext } from '../../gpu/device.ts';
import type { PipelineCache } from '../../gpu/pipelines.ts';
import type { ShaderLibrary } from '../../gpu/shader-library.ts';
import type { GpuTimer } from '../../gpu/timer.ts';
import { DTYPE_INFO } from '../../plans/dtype.ts';
import { type Graph, waves } from '../../plans/graph.ts';
import {
  type Packing,
  packBuffers,
  packGraph,
  packingOf,
  unpackBuffers,
} from '../../plans/pack.ts';
import type { Plan } from '../../plans/plan.ts';
import { planOf } from '../../plans/to-steps.ts';
import { validateGraph } from '../../plans/validate-graph.ts';
import type { GraphBuffers } from '../interpreter/graph.ts';
import type { KernelConfig } from './kernel-config.ts';
import { GpuExecutor } from './steps.ts';

const plain = (graph: Graph) => graph.buffers.every((b) => b.name === 'send' || b.name === 'recv');

export class GraphExecutor {
  /** The waves as the step executor runs them (packed where the graph names other buffers). */
  readonly plan: Plan;
  private readonly packing?: Packing;
  private readonly inner: GpuExecutor;

  constructor(
    ctx: GpuContext,
    shaders: ShaderLibrary,
    readonly graph: Graph,
    config?: KernelConfig,
    cache?: PipelineCache,
  ) {
    validateGraph(graph);
    if (plain(graph)) {
      this.plan = planOf(graph);
    } else {
      this.packing = packingOf(graph);
      this.plan = planOf(packGraph(graph, this.packing));
    }
    this.inner = new GpuExecutor(ctx, shaders, this.plan, config, cache);
  }

  /** How many waves the graph runs in. */
  get waves(): number {
    return this.plan.steps.length;
  }

  prepare(): Promise<void> {
    return this.inner.prepare();
  }

  /** Writes every rank's named buffers (as allocateGraphBuffers shapes them). */
  upload(buffers: GraphBuffers): void {
    const { create } = DTYPE_INFO[this.graph.dtype];
    if (!this.packing) {
      this.inner.upload(
        buffers.map((own) => ({ send: own.send ?? create(0), recv: own.recv ?? create(0) })),
      );
      return;
    }
    this.inner.upload(packBuffers(this.packing, buffers, create));
  }

  /** Runs every wave once, in one submission; each wave's GPU seconds. */
  run(timer?: GpuTimer): Promise<number[]> {
    return this.inner.run(timer);
  }

  /** Runs wave `k` alone, timed (the pages step wave by wave). */
  runWave(k: number, timer?: GpuTimer): Promise<number> {
    return this.inner.runStep(k, timer);
  }

  runUntimed(): Promise<void> {
    return this.inner.runUntimed();
  }

  /** Every rank's named buffers read back. */
  async download(): Promise<GraphBuffers> {
    const raw = await this.inner.download();
    if (!this.packing) return raw;
    return unpackBuffers(this.graph, this.packing, raw);
  }

  /** Each rank's kernels of each wave timed alone: seconds[wave][rank] (NaN: none). */
  timeKernels(timer?: GpuTimer): Promise<number[][]> {
    return this.inner.timeKernels(timer);
  }

  /**
   * Every kernel task timed alone on this GPU, by task id (NaN for moves): what a rank's
   * kernel takes on a device of its own, for the pricer's kernelSeconds.
   */
  async timeEachKernel(timer?: GpuTimer): Promise<Float64Array> {
    const perStep = await this.inner.timeEachKernel(timer);
    const out = new Float64Array(this.graph.tasks.length).fill(Number.NaN);
    // planOf lists a wave's kernel tasks in id order, and the step executor dispatches a
    // step's kernel ops in that order.
    waves(this.graph).forEach((ids, w) => {
      const kernels = ids.filter((id) => this.graph.tasks[id]?.kind === 'kernel');
      const times = perStep[w] ?? [];
      if (times.length !== kernels.length) {
        throw new Error(
          `wave ${w}: ${times.length} kernels timed, the graph has ${kernels.length}`,
        );
      }
      kernels.forEach((id, i) => {
        out[id] = times[i] as number;
      });
    });
    return out;
  }

  destroy(): void {
    this.inner.destroy();
  }
}
