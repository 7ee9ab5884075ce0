// The median of a list of timings: a leaf module (it imports nothing), so the executor, the
// kernels and the microbenchmarks can all use it without importing one another.

/** The median of the finite values (NaN when there are none); an even count averages the two. */
export function median(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = finite.length >> 1;
  return finite.length % 2
    ? (finite[mid] as number)
    : ((finite[mid - 1] as number) + (finite[mid] as number)) / 2;
}
