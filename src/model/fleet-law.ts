// The Fleet Law (MLSysBook vol. 2, distributed training): a step on N devices takes
//
//     T_step(N) = T_compute / N + T_comm(N) + T_sync(N) - T_overlap
//
// and the fleet's scaling efficiency is eta = T_1 / (N T_N), its communication tax 1 - eta.
// Here T_compute is the unsharded layer's kernel time measured on this GPU, T_comm(N) the
// textbook's closed form of the layer's collective on the fabric's bottleneck link (the
// payload is the layer's output: batch x sequence x hidden x 4 B), T_sync and T_overlap are 0
// (the plans neither wait on stragglers nor overlap compute with communication).

import type { Collective } from '../plans/plan.ts';
import { closedForm } from './closed-forms.ts';

/** eta = T_1 / (N T_N): 1 is perfect strong scaling. */
export function scalingEfficiency(t1_s: number, ranks: number, tN_s: number): number {
  if (!(t1_s > 0) || !(tN_s > 0) || !(ranks >= 1)) {
    throw new RangeError(
      `efficiency needs T_1 > 0, T_N > 0, N >= 1 (got ${t1_s}, ${tN_s}, ${ranks})`,
    );
  }
  return t1_s / (ranks * tN_s);
}

export interface LawPoint {
  readonly ranks: number;
  readonly compute_s: number;
  readonly comm_s: number;
  /** compute_s + comm_s. */
  readonly step_s: number;
  readonly eta: number;
  /** 1 - eta. */
  readonly tax: number;
}

export interface LayerComm {
  readonly collective: Collective;
  readonly algorithm: string;
  /** The closed form's M (AllReduce: each rank's buffer; AllGather: the gathered result;
   * ReduceScatter: each rank's input): the layer's output in bytes. */
  readonly bytes: number;
}

/**
 * The analytic Fleet Law at each N: T_compute_1 / N + the closed form of `comm` (none: 0) on
 * a link of alpha, beta. eta is against N = 1, which has no communication.
 */
export function fleetLaw(
  compute1_s: number,
  comm: LayerComm | null,
  ranks: readonly number[],
  link: { readonly alpha: number; readonly beta: number },
): LawPoint[] {
  return ranks.map((n) => {
    const compute_s = compute1_s / n;
    const comm_s =
      comm && n > 1 ? closedForm(comm.collective, comm.algorithm, n, comm.bytes, link).time : 0;
    const step_s = compute_s + comm_s;
    const eta = scalingEfficiency(compute1_s, n, step_s);
    return { ranks: n, compute_s, comm_s, step_s, eta, tax: 1 - eta };
  });
}
