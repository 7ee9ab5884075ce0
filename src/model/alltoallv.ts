// The closed forms of an AllToAllv (src/plans/experts/alltoallv.ts) with the book's transfer
// cost, alpha + bytes / beta, and its assumption that every pair of ranks has a link of its own
// (MODELS.md, expert parallel; `fleetlab model moe` is the balanced case):
//
//   pairwise   sum over steps k = 1 .. N-1 of max over r of t(r -> r + k mod N)
//              (a step is a permutation; it ends when its largest transfer does)
//   direct     max over pairs i != j of t(i -> j)     (every transfer at once, a link each)
//
// with t(i -> j) = alpha + counts[i][j] b / beta, and 0 where counts[i][j] = 0 (no message).
// Balanced counts (every entry c) give the book's serialized (N - 1) t and parallel t.
//
// Choices, and why: the rank's own block is a local copy and costs nothing here (the book's
// sizing counts N - 1 transfers); a fabric whose ports are shared (a switch) is the pricer's
// business, not the closed form's, so the two part where a rank's N - 1 transfers contend.

export const ALLTOALLV_FORMS = ['pairwise', 'direct'] as const;

export interface AllToAllvForm {
  readonly alpha_s: number;
  readonly beta_Bps: number;
  /** Bytes an element. */
  readonly elementBytes: number;
}

function transfer(count: number, f: AllToAllvForm): number {
  return count === 0 ? 0 : f.alpha_s + (count * f.elementBytes) / f.beta_Bps;
}

/** Seconds of an AllToAllv of `counts` by `algorithm`, or undefined for one with no form. */
export function allToAllvSeconds(
  algorithm: string,
  counts: readonly (readonly number[])[],
  f: AllToAllvForm,
): number | undefined {
  const n = counts.length;
  const at = (i: number, j: number) => ((counts[i] as readonly number[])[j] as number) ?? 0;
  if (algorithm === 'pairwise') {
    let total = 0;
    for (let k = 1; k < n; k++) {
      let step = 0;
      for (let r = 0; r < n; r++) step = Math.max(step, transfer(at(r, (r + k) % n), f));
      total += step;
    }
    return total;
  }
  if (algorithm === 'direct') {
    let most = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) if (i !== j) most = Math.max(most, transfer(at(i, j), f));
    }
    return most;
  }
  return undefined;
}

/** The same total traffic spread evenly: every off-diagonal entry the mean of the matrix's. */
export function balancedCounts(counts: readonly (readonly number[])[]): number[][] {
  const n = counts.length;
  let off = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) if (i !== j) off += (counts[i] as readonly number[])[j] as number;
  }
  const mean = n > 1 ? off / (n * (n - 1)) : 0;
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) =>
      i === j ? ((counts[i] as readonly number[])[j] as number) : mean,
    ),
  );
}
