// Figures of ranks, bytes and links, checked once at the edge: a formula fed NaN or a negative
// bandwidth returns nonsense quietly, so a bad value is a RangeError naming it and its limit.
// The fabric (the lowest layer) holds them; the cost model checks its inputs with the same.

export function checkRanks(ranks: number, what = 'ranks'): void {
  if (!Number.isInteger(ranks) || ranks < 1) {
    throw new RangeError(`${what} ${ranks} must be a whole number >= 1`);
  }
}

export function checkBytes(bytes: number, what = 'bytes'): void {
  if (!Number.isFinite(bytes) || bytes < 0) {
    throw new RangeError(`${what} ${bytes} must be a finite number >= 0`);
  }
}

/** alpha: seconds per message. */
export function checkAlpha(alpha_s: number, what = 'alpha'): void {
  if (!Number.isFinite(alpha_s) || alpha_s < 0) {
    throw new RangeError(`${what} ${alpha_s} s must be a finite number >= 0`);
  }
}

/** beta: bytes per second. */
export function checkBeta(beta_Bps: number, what = 'beta'): void {
  if (!Number.isFinite(beta_Bps) || beta_Bps <= 0) {
    throw new RangeError(`${what} ${beta_Bps} B/s must be a finite number > 0`);
  }
}

/** gamma: seconds per byte reduced. */
export function checkGamma(gamma_s_per_B: number, what = 'gamma'): void {
  if (!Number.isFinite(gamma_s_per_B) || gamma_s_per_B < 0) {
    throw new RangeError(`${what} ${gamma_s_per_B} s/B must be a finite number >= 0`);
  }
}

/** Levels of a tree over n ranks: each round at most doubles the ranks reached. */
export function ceilLog2(n: number): number {
  let k = 0;
  while (2 ** k < n) k++;
  return k;
}

/** The largest k with 2^k <= n (n >= 1). */
export function floorLog2(n: number): number {
  let k = 0;
  while (2 ** (k + 1) <= n) k++;
  return k;
}
