// Point to point (Hockney's alpha-beta) and the message sizes where one regime or algorithm
// gives way to another.
import { ceilLog2, checkAlpha, checkBeta, checkBytes, checkRanks } from '../fabric/checks.ts';
import type { AlphaBeta, CostTerms } from './closed-forms.ts';

/** T(n) = alpha + n/beta: one message of n bytes over one link. */
export function pointToPoint(bytes: number, { alpha, beta }: AlphaBeta): CostTerms {
  checkBytes(bytes);
  checkAlpha(alpha);
  checkBeta(beta);
  return {
    time: alpha + bytes / beta,
    latency_term: alpha,
    bandwidth_term: bytes / beta,
    steps: 1,
  };
}

/** n* = alpha beta: below it a message is latency-bound (fuse small ones), above bandwidth-bound. */
export function p2pCrossover({ alpha, beta }: AlphaBeta): number {
  checkAlpha(alpha);
  checkBeta(beta);
  return alpha * beta;
}

export interface RingTreeCrossover {
  /** The book's approximation, N alpha beta / log2(N) (large N, log2 N not rounded). */
  readonly approx_bytes: number;
  /**
   * Where this module's ring and tree AllReduce forms are equal, solving 2(N-1) alpha +
   * 2((N-1)/N) M/beta = 2L (alpha + M/beta) with L = ceil(log2 N):
   * M = (N-1-L) alpha beta / (L - (N-1)/N). Below it the tree is faster. 0 when the tree
   * never is (N = 2, 3: as many tree levels as ring steps per phase).
   */
  readonly exact_bytes: number;
}

/** Ring vs tree AllReduce: the tree wins small messages (fewer alphas), the ring large ones. */
export function ringTreeCrossover(ranks: number, { alpha, beta }: AlphaBeta): RingTreeCrossover {
  checkRanks(ranks);
  checkAlpha(alpha);
  checkBeta(beta);
  if (ranks < 2) throw new RangeError(`ranks ${ranks} must be >= 2 for a ring vs tree crossover`);
  const levels = ceilLog2(ranks);
  return {
    approx_bytes: (ranks * alpha * beta) / Math.log2(ranks),
    exact_bytes: Math.max(
      0,
      ((ranks - 1 - levels) * alpha * beta) / (levels - (ranks - 1) / ranks),
    ),
  };
}
