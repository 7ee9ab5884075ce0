// A seeded serving workload: requests arriving as a Poisson process at rate lambda, each with a
// prompt length and an output length drawn with a chosen mean and coefficient of variation.
//
// Lengths are gamma distributed (rounded to whole tokens, at least 1). Why gamma: one shape
// parameter k = 1 / CV^2 reaches any CV with the mean held fixed (scale = mean CV^2); CV = 1 is
// the exponential, the case behind the textbook's 1 + CV^2 / 2 continuous-batching estimate;
// and its tail is lighter than a lognormal's of the same CV, so p99 latencies are not set by a
// handful of freak requests. CV = 0 is a constant. Rounding and the floor of 1 move the sample
// mean a little for small means with large CV; optional caps (a model's longest sequence) cut
// the tail, and clamp rather than redraw, so the request count and order stay fixed.
import { exponential, gamma, mulberry32 } from '../exec/random/rng.ts';

export interface Request {
  readonly id: number;
  readonly arrival_s: number;
  readonly prompt_tokens: number;
  readonly output_tokens: number;
}

export interface WorkloadOptions {
  readonly requests: number;
  /** lambda, requests per second; Infinity puts every arrival at 0 (an offline batch). */
  readonly rate_per_s: number;
  readonly promptMean: number;
  readonly promptCv: number;
  readonly outputMean: number;
  readonly outputCv: number;
  readonly seed: number;
  /** Caps on the drawn lengths (default: none). */
  readonly maxPromptTokens?: number;
  readonly maxOutputTokens?: number;
}

export const DEFAULT_WORKLOAD: WorkloadOptions = {
  requests: 64,
  rate_per_s: 8,
  promptMean: 32,
  promptCv: 0.5,
  outputMean: 64,
  outputCv: 1,
  seed: 1,
};

function check(o: WorkloadOptions): void {
  if (!Number.isInteger(o.requests) || o.requests < 1 || o.requests > 1e6) {
    throw new RangeError(`requests ${o.requests} must be a whole number from 1 to 1000000`);
  }
  if (!(o.rate_per_s > 0)) {
    throw new RangeError(`rate ${o.rate_per_s} requests/s must be > 0 (Infinity: all at once)`);
  }
  for (const [name, mean, cv, cap] of [
    ['prompt', o.promptMean, o.promptCv, o.maxPromptTokens],
    ['output', o.outputMean, o.outputCv, o.maxOutputTokens],
  ] as const) {
    if (!(Number.isFinite(mean) && mean >= 1)) {
      throw new RangeError(`${name} mean ${mean} tokens must be a number >= 1`);
    }
    if (!(Number.isFinite(cv) && cv >= 0 && cv <= 10)) {
      throw new RangeError(`${name} CV ${cv} must be a number from 0 to 10`);
    }
    if (cap !== undefined && !(Number.isInteger(cap) && cap >= 1)) {
      throw new RangeError(`${name} cap ${cap} tokens must be a whole number >= 1`);
    }
  }
  if (!Number.isInteger(o.seed)) throw new RangeError(`seed ${o.seed} must be a whole number`);
}

/** A whole-token length with this mean and CV: gamma(1 / CV^2, mean CV^2), rounded, >= 1. */
function length(u: () => number, mean: number, cv: number, cap: number): number {
  const x = cv === 0 ? mean : gamma(u, 1 / (cv * cv)) * mean * cv * cv;
  return Math.min(cap, Math.max(1, Math.round(x)));
}

/** The same options (seed included) give the same requests, in arrival order. */
export function generateWorkload(o: WorkloadOptions): Request[] {
  check(o);
  // Arrivals and lengths draw from separate streams, so that changing lambda keeps each
  // request's lengths, and changing a CV keeps the arrival times.
  const arrivals = mulberry32(o.seed);
  const prompts = mulberry32(o.seed ^ 0x5bd1e995);
  const outputs = mulberry32(o.seed ^ 0x27d4eb2f);
  const out: Request[] = [];
  let t = 0;
  for (let id = 0; id < o.requests; id++) {
    if (Number.isFinite(o.rate_per_s)) t += exponential(arrivals, o.rate_per_s);
    out.push({
      id,
      arrival_s: t,
      prompt_tokens: length(prompts, o.promptMean, o.promptCv, o.maxPromptTokens ?? Infinity),
      output_tokens: length(outputs, o.outputMean, o.outputCv, o.maxOutputTokens ?? Infinity),
    });
  }
  return out;
}
