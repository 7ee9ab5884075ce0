// The step-level pricer: any lock-step plan on any fabric, a step after the whole of the one
// before. fleetlab prices with the event-driven pricer (event-pricer.ts) now; this one stays
// as its independent reference: the tests check that the graph of every lock-step plan prices
// at or below its steps, and exactly as them on a uniform switch. The ops of a step run
// concurrently; what shares a link serializes on it. Per step:
//
//   busy(link) = alpha_link + (bytes of the step's ops routed over the link) / beta_link
//   transfer   = max over links of busy(link)            (the step's bottleneck link)
//   reduce     = gamma x max over ranks of bytes the rank reduces (after its data arrives)
//   step time  = transfer + reduce
//
// Choices, and why:
// - alpha is paid once per link per step, not once per op: the ops a step puts on one link go
//   as one message (a plan may split one message into several ops at buffer boundaries), and
//   on the local GPU a step is one dispatch whose fixed cost is paid once. A plan that sends k
//   separate messages over one link in one step is thus charged 1 alpha, not k.
// - A multi-hop route is cut-through: the busiest link on it bounds the op, hop latencies are
//   not added (alpha is mostly software at the ends, not wire).
// - Reduction follows the transfer and does not overlap it. On the local fabric all ranks
//   reduce on the one GPU, so their reduced bytes add up instead of taking the largest.
// - A rank-local op (src rank = dst rank) costs bytes / fabric.memory_Bps on that rank's own
//   memory, concurrent with the network, or nothing when memory_Bps is absent. On the local
//   fabric it goes through the shared memory link like every other op.
// - An op of 0 elements still pays its link's alpha: the plan says a message is sent.
// - Kernel ops (tensor-parallel plans) cost what `kernelSeconds` says (measured per rank, or a
//   roofline model): each rank runs its own kernels one after another, ranks in parallel, so
//   compute = the slowest rank's sum; on the local fabric all ranks share the one GPU and their
//   kernels add up. Compute does not overlap the step's transfers (no plan mixes them yet).
import { type Fabric, type LinkId, route } from '../fabric/fabric.ts';
import { DTYPE_INFO } from '../plans/dtype.ts';
import type { KernelOp, Plan, Step } from '../plans/plan.ts';

/** Seconds one kernel op takes on its rank's device; `step` is the step's index. */
export type KernelSeconds = (op: KernelOp, step: number) => number;

export interface StepPrice {
  /** transfer_s + reduce_s + compute_s. */
  readonly time_s: number;
  /** The link whose busy time set transfer_s ('<rank>.memory' for rank-local copies). */
  readonly bottleneck_link: LinkId | null;
  readonly transfer_s: number;
  readonly reduce_s: number;
  /** Kernel time: the slowest rank's (the sum over ranks on the local fabric). */
  readonly compute_s: number;
}

export interface PlanPrice {
  readonly steps: readonly StepPrice[];
  readonly total_s: number;
}

interface Load {
  alpha_s: number;
  beta_Bps: number;
  bytes: number;
}

/**
 * A function pricing steps whose ops move `bytesPerElement`-byte elements over `fabric`; it
 * keeps the fabric's links and the routes it has seen, so a long plan routes each pair once.
 */
export function stepPricer(
  fabric: Fabric,
  bytesPerElement: number,
  kernelSeconds?: KernelSeconds,
): (step: Step, index: number) => StepPrice {
  const links = new Map(fabric.links.map((l) => [l.id, l]));
  const routes = new Map<number, readonly LinkId[]>();
  const routeOf = (src: number, dst: number) => {
    const key = src * fabric.ranks + dst;
    const known = routes.get(key);
    if (known) return known;
    const path = route(fabric, src, dst);
    routes.set(key, path);
    return path;
  };
  return (step, index) => {
    const loads = new Map<LinkId, Load>();
    const reduced = new Map<number | 'gpu', number>();
    const load = (id: LinkId, alpha_s: number, beta_Bps: number, bytes: number) => {
      const l = loads.get(id) ?? { alpha_s, beta_Bps, bytes: 0 };
      l.bytes += bytes;
      loads.set(id, l);
    };
    for (const op of step.ops) {
      const bytes = op.count * bytesPerElement;
      const path = routeOf(op.src.rank, op.dst.rank);
      if (path.length === 0 && fabric.memory_Bps !== undefined) {
        load(`${op.src.rank}.memory`, 0, fabric.memory_Bps, bytes);
      }
      for (const id of path) {
        const link = links.get(id);
        if (!link) throw new Error(`route of ${fabric.name} names unknown link '${id}'`);
        load(id, link.alpha_s, link.beta_Bps, bytes);
      }
      if (op.kind === 'reduce') {
        const who = fabric.topology.kind === 'local' ? 'gpu' : op.dst.rank;
        reduced.set(who, (reduced.get(who) ?? 0) + bytes);
      }
    }
    let transfer_s = 0;
    let bottleneck_link: LinkId | null = null;
    for (const [id, l] of loads) {
      const busy = l.alpha_s + l.bytes / l.beta_Bps;
      if (bottleneck_link === null || busy > transfer_s) [transfer_s, bottleneck_link] = [busy, id];
    }
    const reduce_s = (fabric.gamma_s_per_B ?? 0) * Math.max(0, ...reduced.values());
    const compute_s = computeSeconds(fabric, step, index, kernelSeconds);
    return {
      time_s: transfer_s + reduce_s + compute_s,
      bottleneck_link,
      transfer_s,
      reduce_s,
      compute_s,
    };
  };
}

function computeSeconds(
  fabric: Fabric,
  step: Step,
  index: number,
  kernelSeconds: KernelSeconds | undefined,
): number {
  const kernels = step.kernels ?? [];
  if (kernels.length === 0) return 0;
  if (!kernelSeconds) {
    throw new RangeError(
      `step ${index} runs kernels: pricing it needs their times (kernelSeconds)`,
    );
  }
  const perRank = new Map<number | 'gpu', number>();
  for (const op of kernels) {
    const who = fabric.topology.kind === 'local' ? 'gpu' : op.rank;
    perRank.set(who, (perRank.get(who) ?? 0) + kernelSeconds(op, index));
  }
  return Math.max(...perRank.values());
}

/**
 * Prices every step of `plan` on `fabric`; the plan's ranks must be the fabric's. A plan with
 * kernel ops needs `kernelSeconds`.
 */
export function pricePlan(plan: Plan, fabric: Fabric, kernelSeconds?: KernelSeconds): PlanPrice {
  if (plan.ranks !== fabric.ranks) {
    throw new RangeError(`plan of ${plan.ranks} ranks cannot run on ${fabric.name}`);
  }
  const price = stepPricer(fabric, DTYPE_INFO[plan.dtype].bytes, kernelSeconds);
  const steps = plan.steps.map(price);
  return { steps, total_s: steps.reduce((sum, s) => sum + s.time_s, 0) };
}
