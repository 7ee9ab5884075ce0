// The numbers behind the sweep plot (no DOM): a collective's algorithms measured on this GPU
// over a range of message sizes, the model's curves for the same plans on a fabric, and the
// message size where ring and tree cross. sweep-plot.ts draws them.
//
// Every curve is the plan's face from the runner's faces (src/run/faces.ts): the event-driven
// pricer on a fabric, or this GPU's executor model on the plan's step features, so the model
// and the measurement read the same plan; the textbook's closed form can be drawn beside it. The crossover is given
// twice: where the book's ring and tree AllReduce forms meet on one link (ringTreeCrossover),
// and where the priced curves on the chosen fabric meet, which is what the plot shows.

import type { KernelConfig } from '../../exec/executor/kernel-config.ts';
import { benchPlan } from '../../exec/measure/collective-bench.ts';
import type { Fabric } from '../../fabric/fabric.ts';
import type { LinkSpec } from '../../fabric/topologies.ts';
import type { GpuContext } from '../../gpu/device.ts';
import { PipelineCache } from '../../gpu/pipelines.ts';
import type { ShaderLibrary } from '../../gpu/shader-library.ts';
import { busBwFactor } from '../../model/busbw.ts';
import { CLOSED_FORMS } from '../../model/closed-forms.ts';
import type { ExecutorModel } from '../../model/executor-model.ts';
import { ringTreeCrossover } from '../../model/p2p.ts';
import { DTYPE_INFO, type Dtype, type RedOp } from '../../plans/dtype.ts';
import type { Collective, CollectiveSpec, Plan } from '../../plans/plan.ts';
import { builderFor } from '../../plans/registry.ts';
import { analyticSeconds, emulatedFace, modelFace } from '../../run/faces.ts';

/** What a sweep runs: nccl-tests' parameters, with a list of sizes and of algorithms. */
export interface SweepSpec {
  readonly collective: Collective;
  readonly algorithms: readonly string[];
  readonly ranks: number;
  /** Message sizes in bytes (nccl-tests' size); each is rounded down to whole elements. */
  readonly sizes: readonly number[];
  readonly dtype: Dtype;
  readonly redop: RedOp;
  /** Broadcast and Reduce: the root (default 0). */
  readonly root?: number;
  /** Hierarchical AllReduce: ranks per node (default: the builder's choice). */
  readonly ranksPerNode?: number;
  /** In place (default false: out of place, nccl-tests' first column). */
  readonly inPlace?: boolean;
}

export interface MeasureOptions extends SweepSpec {
  /** Timed iterations per point (nccl-tests -n). 1-3 keep SwiftShader responsive. */
  readonly iters: number;
  /** Untimed iterations before them (default 0: the #wrong check already ran the plan once). */
  readonly warmup?: number;
  /** Compare with the CPU interpreter (default true). */
  readonly check?: boolean;
  readonly config?: KernelConfig;
  /** Pipelines to reuse across sweeps (a page keeps one per device); default a new one. */
  readonly cache?: PipelineCache;
  /** Stops the sweep between two points (with the signal's reason). */
  readonly signal?: AbortSignal;
}

/** One algorithm at one size, as measured on the GPU. */
export interface MeasuredPoint {
  readonly algorithm: string;
  /** Bytes of the message as run: whole elements of the size asked for. */
  readonly bytes: number;
  /** Mean GPU seconds of one call over the timed iterations (nccl-tests' time). */
  readonly time_s: number;
  readonly median_s: number;
  /** nccl-tests' busbw; NaN when the clock read 0 (a coarse timestamp grid). */
  readonly busbw_Bps: number;
  /** Output elements whose bits differ from the CPU interpreter's; -1 when not checked. */
  readonly wrong: number;
}

/** One point of a model curve. */
export interface ModelPoint {
  readonly bytes: number;
  readonly time_s: number;
  readonly busbw_Bps: number;
}

export interface ModelCurve {
  readonly algorithm: string;
  /** 'priced': the plan's face from the runner (src/run/faces.ts); 'closed-form': the textbook's formula. */
  readonly kind: 'priced' | 'closed-form';
  /** By increasing size. */
  readonly points: readonly ModelPoint[];
  /** The legend's name for it; absent: 'model <algorithm>' or 'closed form <algorithm>'. */
  readonly label?: string;
}

export interface ModelSpec {
  readonly collective: Collective;
  readonly algorithms: readonly string[];
  readonly ranks: number;
  readonly sizes: readonly number[];
  /** The fabric the plans are priced on (a preset's); or give `executor`. */
  readonly fabric?: Fabric;
  /**
   * This GPU's executor model (model/executor-model.ts): given, the priced curve is what the
   * executor would take, step features by step features, instead of the fabric's price; where
   * the model is unavailable its times are NaN (the plot leaves them out).
   */
  readonly executor?: ExecutorModel;
  /** Default 'float'; only the element size matters to the price. */
  readonly dtype?: Dtype;
  readonly root?: number;
  readonly ranksPerNode?: number;
  readonly inPlace?: boolean;
  /** Also the closed form of each algorithm that has one, on this link (a preset's `link`). */
  readonly closedFormLink?: LinkSpec & { readonly gamma_s_per_B?: number };
}

/** Elements of `bytes` rounded down to whole elements; a RangeError below one element. */
function countOf(bytes: number, dtype: Dtype): number {
  const size = DTYPE_INFO[dtype].bytes;
  const count = Math.floor(bytes / size);
  if (!Number.isFinite(bytes) || count < 1) {
    throw new RangeError(`size ${bytes} B must hold at least one ${dtype} element (${size} B)`);
  }
  return count;
}

function specOf(s: SweepSpec | ModelSpec, count: number, dtype: Dtype, redop: RedOp) {
  const spec: CollectiveSpec = {
    ranks: s.ranks,
    count,
    dtype,
    redop,
    inPlace: s.inPlace ?? false,
    root: s.root ?? 0,
    ...(s.ranksPerNode === undefined ? {} : { ranksPerNode: s.ranksPerNode }),
  };
  return spec;
}

function busbwOf(collective: Collective, ranks: number, bytes: number, seconds: number): number {
  return seconds > 0 && Number.isFinite(seconds)
    ? (bytes / seconds) * busBwFactor(collective, ranks)
    : Number.NaN;
}

/** Sizes from `min` to `max` bytes, `perDoubling` a factor of 2 (whole elements, deduplicated). */
export function logSizes(min: number, max: number, perDoubling = 4, elementBytes = 4): number[] {
  if (!(min > 0 && max >= min && perDoubling >= 1)) {
    throw new RangeError(`sizes from ${min} to ${max} B, ${perDoubling} a doubling: not a range`);
  }
  const n = Math.round(Math.log2(max / min) * perDoubling);
  const out: number[] = [];
  for (let i = 0; i <= n; i++) {
    const b = Math.max(elementBytes, Math.round((min * 2 ** (i / perDoubling)) / elementBytes));
    const bytes = i === n ? Math.floor(max / elementBytes) * elementBytes : b * elementBytes;
    if (out[out.length - 1] !== bytes) out.push(bytes);
  }
  return out;
}

/**
 * Runs every algorithm at every size on the GPU (sizes outer, so each size shows all algorithms
 * early) and returns the points in that order; `onPoint` sees each as it comes.
 */
export async function measureSweep(
  ctx: GpuContext,
  shaders: ShaderLibrary,
  options: MeasureOptions,
  onPoint?: (point: MeasuredPoint, index: number, total: number) => void,
): Promise<MeasuredPoint[]> {
  const { collective, ranks, dtype, redop } = options;
  const builders = options.algorithms.map((a) => [a, builderFor(collective, a)] as const);
  const cache = options.cache ?? new PipelineCache(ctx);
  const total = options.sizes.length * builders.length;
  const points: MeasuredPoint[] = [];
  for (const size of options.sizes) {
    const count = countOf(size, dtype);
    const bytes = count * DTYPE_INFO[dtype].bytes;
    for (const [algorithm, build] of builders) {
      options.signal?.throwIfAborted();
      const plan = build(specOf(options, count, dtype, redop));
      const row = await benchPlan(
        ctx,
        shaders,
        cache,
        plan,
        {
          iters: options.iters,
          warmup: options.warmup ?? 0,
          check: options.check ?? true,
          ...(options.config ? { config: options.config } : {}),
        },
        bytes + points.length,
      );
      const point: MeasuredPoint = {
        algorithm,
        bytes,
        time_s: row.time_s,
        median_s: row.median_s,
        busbw_Bps: busbwOf(collective, ranks, bytes, row.time_s),
        wrong: row.wrong,
      };
      points.push(point);
      onPoint?.(point, points.length - 1, total);
    }
  }
  return points;
}

/** The plan `algorithm` makes for one size of a model spec. */
function planAt(spec: ModelSpec, algorithm: string, count: number): Plan {
  const dtype = spec.dtype ?? 'float';
  return builderFor(spec.collective, algorithm)(specOf(spec, count, dtype, 'sum'));
}

/** Seconds the model gives `algorithm` for `bytes`: the executor model's, or the fabric's price. */
function pricedTime(spec: ModelSpec, algorithm: string, bytes: number): number {
  const plan = planAt(spec, algorithm, countOf(bytes, spec.dtype ?? 'float'));
  if (spec.executor) return modelFace(plan, spec.executor).time_s;
  if (!spec.fabric) throw new RangeError('a model spec needs a fabric or an executor model');
  return emulatedFace(plan, spec.fabric).time_s;
}

/** Whether the textbook has a closed form for this collective's algorithm. */
export function hasClosedForm(collective: Collective, algorithm: string): boolean {
  return Object.hasOwn(CLOSED_FORMS[collective], algorithm);
}

/**
 * Per algorithm, the priced curve (and, given `closedFormLink`, the closed form's where one
 * exists), at the spec's sizes rounded down to whole elements, in the algorithms' order.
 */
export function modelCurves(spec: ModelSpec): ModelCurve[] {
  const { collective, ranks } = spec;
  const elem = DTYPE_INFO[spec.dtype ?? 'float'].bytes;
  const sizes = [...new Set(spec.sizes.map((s) => countOf(s, spec.dtype ?? 'float') * elem))].sort(
    (a, b) => a - b,
  );
  const point = (bytes: number, time_s: number): ModelPoint => ({
    bytes,
    time_s,
    busbw_Bps: busbwOf(collective, ranks, bytes, time_s),
  });
  const curves: ModelCurve[] = [];
  for (const algorithm of spec.algorithms) {
    curves.push({
      algorithm,
      kind: 'priced',
      points: sizes.map((b) => point(b, pricedTime(spec, algorithm, b))),
    });
    const link = spec.closedFormLink;
    if (link && hasClosedForm(collective, algorithm)) {
      const at = {
        ...link,
        ...(spec.ranksPerNode === undefined ? {} : { ranksPerNode: spec.ranksPerNode }),
      };
      curves.push({
        algorithm,
        kind: 'closed-form',
        points: sizes.map((b) =>
          point(b, analyticSeconds(collective, algorithm, ranks, b, at) as number),
        ),
      });
    }
  }
  return curves;
}

/** Where two curves cross: between points `below` and `above`, the nearest where they differ. */
export interface CurveCrossing {
  readonly bytes: number;
  readonly below: number;
  readonly above: number;
  /** True when the curves are equal at a sampled point (`bytes` is that point's size). */
  readonly atPoint: boolean;
}

/**
 * Where curve a stops being faster than b, or b than a: the first place where the sign of
 * (time a - time b) changes, interpolated linearly in log size and log time between the two
 * points around it (exact for power laws), or the point itself where they are equal there and
 * differ on both sides. Both must be sampled at the same sizes. Null when they do not cross
 * (touching without crossing is not a crossing).
 */
export function curveCrossing(
  a: readonly ModelPoint[],
  b: readonly ModelPoint[],
): CurveCrossing | null {
  const n = Math.min(a.length, b.length);
  const at = (p: readonly ModelPoint[], i: number) => p[i] as ModelPoint;
  let last: { i: number; d: number } | undefined; // the last point where they differ
  let touch: number | undefined; // a point after it where they are equal
  for (let i = 0; i < n; i++) {
    const d = Math.log(at(a, i).time_s) - Math.log(at(b, i).time_s);
    if (!Number.isFinite(d)) continue;
    if (d === 0) {
      if (last && touch === undefined) touch = i;
      continue;
    }
    if (last && Math.sign(d) !== Math.sign(last.d)) {
      if (touch !== undefined) {
        return { bytes: at(a, touch).bytes, below: last.i, above: i, atPoint: true };
      }
      const x0 = Math.log(at(a, last.i).bytes);
      const x1 = Math.log(at(a, i).bytes);
      const t = last.d / (last.d - d);
      return { bytes: Math.exp(x0 + t * (x1 - x0)), below: last.i, above: i, atPoint: false };
    }
    last = { i, d };
    touch = undefined;
  }
  return null;
}

export interface CrossoverSpec {
  readonly collective: Collective;
  readonly ranks: number;
  /** The link of the book's forms: a fabric preset's `link`, or the calibrated memory link. */
  readonly link?: LinkSpec;
  /** modelCurves' output: the priced curves of the pair are searched for a crossing. */
  readonly curves?: readonly ModelCurve[];
  /**
   * The spec the curves were priced from: given, the crossing found between two sizes is
   * refined by pricing the plans at sizes in between (to 1%), not interpolated.
   */
  readonly model?: ModelSpec;
  /** The two algorithms compared (default ring and tree). */
  readonly pair?: readonly [string, string];
}

export interface Crossover {
  readonly collective: Collective;
  readonly ranks: number;
  readonly pair: readonly [string, string];
  /**
   * AllReduce: where the book's ring and tree forms meet on `link` (ringTreeCrossover's exact
   * figure); below it the tree is faster. Null for other collectives, without a link, or when
   * the tree never wins (N <= 3).
   */
  readonly book_bytes: number | null;
  /** The book's large-N approximation N alpha beta / log2 N (AllReduce with a link). */
  readonly book_approx_bytes: number | null;
  /** Where the priced curves of the pair cross; null when they do not within the sizes. */
  readonly model_bytes: number | null;
  /** Which of the pair the model finds faster below model_bytes. */
  readonly faster_below: string | null;
}

/** Refines a crossing of the priced times of a and b between two sizes by bisection. */
function refineCrossing(spec: ModelSpec, a: string, b: string, lo: number, hi: number): number {
  const elem = DTYPE_INFO[spec.dtype ?? 'float'].bytes;
  const d = (bytes: number) =>
    Math.sign(pricedTime(spec, a, bytes) - pricedTime(spec, b, bytes)) || 0;
  const dLo = d(lo);
  // Geometric bisection to 1%, or to one element.
  for (let k = 0; k < 40 && hi / lo > 1.01 && hi - lo > elem; k++) {
    const mid = Math.max(elem, Math.round(Math.sqrt(lo * hi) / elem) * elem);
    if (mid <= lo || mid >= hi) break;
    if (d(mid) === dLo) lo = mid;
    else hi = mid;
  }
  return Math.sqrt(lo * hi);
}

/** The ring/tree crossover of a sweep, from the book and from the model's curves. */
export function crossover(spec: CrossoverSpec): Crossover {
  const pair = spec.pair ?? (['ring', 'tree'] as const);
  const [a, b] = pair;
  let book_bytes: number | null = null;
  let book_approx_bytes: number | null = null;
  if (spec.collective === 'allreduce' && spec.link && spec.ranks >= 2) {
    const c = ringTreeCrossover(spec.ranks, { alpha: spec.link.alpha_s, beta: spec.link.beta_Bps });
    book_bytes = c.exact_bytes > 0 ? c.exact_bytes : null;
    book_approx_bytes = c.approx_bytes;
  }
  let model_bytes: number | null = null;
  let faster_below: string | null = null;
  const priced = (alg: string) =>
    spec.curves?.find((c) => c.kind === 'priced' && c.algorithm === alg)?.points;
  const pa = priced(a);
  const pb = priced(b);
  const hit = pa && pb ? curveCrossing(pa, pb) : null;
  if (pa && pb && hit) {
    const lo = pa[hit.below] as ModelPoint;
    const hi = pa[hit.above] as ModelPoint;
    faster_below = lo.time_s < (pb[hit.below] as ModelPoint).time_s ? a : b;
    model_bytes =
      spec.model && !hit.atPoint ? refineCrossing(spec.model, a, b, lo.bytes, hi.bytes) : hit.bytes;
  }
  return {
    collective: spec.collective,
    ranks: spec.ranks,
    pair: [a, b],
    book_bytes,
    book_approx_bytes,
    model_bytes,
    faster_below,
  };
}
