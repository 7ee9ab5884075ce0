// What the GPU executor does in each step of a plan, as plain numbers: how many dispatches, op
// table rows, workgroups and bytes of each kind. The grouping rules live here and the executor
// uses them, so the features the cost model is fitted on are the executor's very dispatches.
//
// A step is one compute pass; its ops are grouped by (kind, source arena, destination arena),
// one dispatch a group. A group is an op table, one row an op; its grid is x workgroups along
// each op (enough for the group's largest op; smaller ops' extra workgroups return at once),
// y = rows, z spills x past the device's per-dimension limit. Lanes are vec4 where every op of
// the group is 4-element aligned, else scalar.
import { DTYPE_INFO } from '../../plans/dtype.ts';
import type { Op, Plan } from '../../plans/plan.ts';
import { type ArenaLayout, arenaLayout } from './arena.ts';
import { DEFAULT_KERNEL_CONFIG, type KernelConfig } from './kernel-config.ts';

/** Arenas of a quarter GiB unless one rank's buffer needs more. */
const ARENA_TARGET_BYTES = 256 * 2 ** 20;

/** The device limits the executor's layout and grids depend on. */
export interface ExecutorLimits {
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
  readonly maxComputeWorkgroupsPerDimension: number;
}

/** WebGPU's guaranteed limits: what features are computed for when no device is at hand. */
export const DEFAULT_EXECUTOR_LIMITS: ExecutorLimits = {
  maxStorageBufferBindingSize: 128 * 2 ** 20,
  maxBufferSize: 256 * 2 ** 20,
  maxComputeWorkgroupsPerDimension: 65535,
};

/**
 * The arena layout the executor uses for `plan`: arenas of a quarter GiB unless a rank's buffer
 * needs more, never past the binding limit (one allocation as large as the binding limit can
 * fail where several smaller ones succeed: SwiftShader refused 1 GiB).
 */
export function executorLayout(plan: Plan, limits: ExecutorLimits): ArenaLayout {
  const limit = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const largest = Math.max(...plan.sizes.send, ...plan.sizes.recv) * DTYPE_INFO[plan.dtype].bytes;
  return arenaLayout(plan, Math.min(limit, Math.max(ARENA_TARGET_BYTES, largest + 256)));
}

/** One dispatch of a step: ops of one kind from arena `src` to arena `dst`. */
export interface OpGroup {
  readonly src: number;
  readonly dst: number;
  readonly kind: Op['kind'];
  /** Rows in arena lanes (elements / width). */
  readonly rows: readonly { readonly src: number; readonly dst: number; readonly count: number }[];
  readonly width: 1 | 4;
  /** Lanes of the largest op: what sizes the grid's x. */
  readonly maxLanes: number;
}

/** Splits a step's ops by (kind, source arena, destination arena), in first-seen order. */
export function groupOps(
  ops: readonly Op[],
  layout: ArenaLayout,
  config: KernelConfig = DEFAULT_KERNEL_CONFIG,
): OpGroup[] {
  const { places } = layout;
  const byPair = new Map<
    string,
    {
      src: number;
      dst: number;
      kind: Op['kind'];
      rows: { src: number; dst: number; count: number }[];
    }
  >();
  for (const op of ops) {
    const s = (places[op.src.rank] as ArenaLayout['places'][number])[op.src.buffer];
    const d = (places[op.dst.rank] as ArenaLayout['places'][number])[op.dst.buffer];
    const key = `${op.kind}:${s.arena}:${d.arena}`;
    const group = byPair.get(key) ?? { src: s.arena, dst: d.arena, kind: op.kind, rows: [] };
    group.rows.push({
      src: s.offset + op.src.offset,
      dst: d.offset + op.dst.offset,
      count: op.count,
    });
    byPair.set(key, group);
  }
  return [...byPair.values()].map(({ src, dst, kind, rows }) => {
    const width: 1 | 4 =
      config.vectorize && rows.every((o) => o.src % 4 === 0 && o.dst % 4 === 0 && o.count % 4 === 0)
        ? 4
        : 1;
    const lanes = rows.map((o) => ({
      src: o.src / width,
      dst: o.dst / width,
      count: o.count / width,
    }));
    const maxLanes = lanes.reduce((m, o) => Math.max(m, o.count), 0);
    return { src, dst, kind, rows: lanes, width, maxLanes };
  });
}

/** The dispatch grid of a group of `rows` ops, the largest `maxLanes` long: [x, rows, z]. */
export function groupGrid(
  maxLanes: number,
  rows: number,
  config: KernelConfig,
  maxWorkgroupsPerDimension: number,
): [number, number, number] {
  const parts = Math.ceil(maxLanes / (config.workgroupSize * config.lanesPerInvocation));
  const x = Math.max(1, Math.min(parts, maxWorkgroupsPerDimension));
  return [x, rows, Math.max(1, Math.ceil(parts / x))];
}

/** What one step costs the executor, in counts and bytes (message bytes: each op's count x element size). */
export interface StepFeatures {
  /** Move dispatches (op tables) in the step's pass. */
  readonly dispatches: number;
  /** Op table rows (moves) over all dispatches. */
  readonly rows: number;
  /** Workgroups launched over all dispatches (x * y * z of each grid). */
  readonly workgroups: number;
  /**
   * Of those, the ones past their op's end that return at once: a grid is sized by its group's
   * largest op, so shorter ops in the group leave workgroups idle. Unlike `workgroups` (close to
   * bytes / 8 KiB), this varies apart from the bytes, so a fit can price it.
   */
  readonly idle_workgroups: number;
  /** Bytes copied by copy ops. */
  readonly copy_bytes: number;
  /** Bytes reduced into their destinations by reduce ops. */
  readonly reduce_bytes: number;
  /** Of copy_bytes + reduce_bytes, those moved on scalar (not vec4) lanes. */
  readonly scalar_bytes: number;
  /** Kernel ops (tensor-parallel plans), one dispatch each; the model does not price them. */
  readonly kernels: number;
  /**
   * 1 for a plan's first step, else 0: the executor submits a whole run at once, and its first
   * pass pays for waking the device (SwiftShader: its worker threads) on top of its own work.
   */
  readonly submits: number;
}

export interface FeatureOptions {
  readonly config?: KernelConfig;
  readonly limits?: ExecutorLimits;
}

/** The features of every step of `plan`, as the executor would run it. */
export function stepFeatures(plan: Plan, options: FeatureOptions = {}): StepFeatures[] {
  const config = options.config ?? DEFAULT_KERNEL_CONFIG;
  const limits = options.limits ?? DEFAULT_EXECUTOR_LIMITS;
  const layout = executorLayout(plan, limits);
  const elem = DTYPE_INFO[plan.dtype].bytes;
  return plan.steps.map((step, k) => {
    const groups = groupOps(step.ops, layout, config);
    let [rows, workgroups, idle_workgroups, copy_bytes, reduce_bytes, scalar_bytes] = [
      0, 0, 0, 0, 0, 0,
    ];
    const lanesPerWorkgroup = config.workgroupSize * config.lanesPerInvocation;
    for (const g of groups) {
      const [x, y, z] = groupGrid(
        g.maxLanes,
        g.rows.length,
        config,
        limits.maxComputeWorkgroupsPerDimension,
      );
      rows += g.rows.length;
      workgroups += x * y * z;
      for (const o of g.rows) idle_workgroups += x * z - Math.ceil(o.count / lanesPerWorkgroup);
      const bytes = g.rows.reduce((s, o) => s + o.count * g.width * elem, 0);
      if (g.kind === 'copy') copy_bytes += bytes;
      else reduce_bytes += bytes;
      if (g.width === 1) scalar_bytes += bytes;
    }
    return {
      dispatches: groups.length,
      rows,
      workgroups,
      idle_workgroups,
      copy_bytes,
      reduce_bytes,
      scalar_bytes,
      kernels: step.kernels?.length ?? 0,
      submits: k === 0 ? 1 : 0,
    };
  });
}
