// Seeded random numbers: mulberry32 for uniforms (small, fast, good enough for simulation and
// test data: workloads, layer inputs, decoder weights, and tests through test/prng.ts), and
// the few distributions a workload needs, each built on it so that one seed fixes everything.

/** A uniform source in [0, 1). */
export type Uniform = () => number;

export function mulberry32(seed: number): Uniform {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** In (0, 1): logs and powers below must never see 0. */
function open(u: Uniform): number {
  let x = u();
  while (x === 0) x = u();
  return x;
}

/** Exponential with the given rate (mean 1 / rate): Poisson inter-arrival times. */
export function exponential(u: Uniform, rate: number): number {
  return -Math.log(open(u)) / rate;
}

/** Standard normal by Box-Muller (one of the pair; simplicity over speed). */
export function normal(u: Uniform): number {
  return Math.sqrt(-2 * Math.log(open(u))) * Math.cos(2 * Math.PI * u());
}

/**
 * Gamma(shape k, scale 1) by Marsaglia and Tsang (2000); for k < 1, Gamma(k + 1) U^(1/k), their
 * boost. Multiply by the scale theta for Gamma(k, theta).
 */
export function gamma(u: Uniform, shape: number): number {
  if (shape < 1) return gamma(u, shape + 1) * open(u) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(u);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const w = open(u);
    if (Math.log(w) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}
