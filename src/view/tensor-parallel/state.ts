// The tensor-parallel page's state, its presets, and the URL hash that carries both (the
// collectives page's rules, collectives/url-state.ts): preset=NAME first, then the other keys
// override it; a link writes only what differs from its preset (or the default); a bad value is
// one error line naming the key, the text and what is allowed, and the key keeps its earlier value.
//
//   #preset=row-parallel-4&ranks=2&step=1
//
// Keys are read in the order the layer needs them: the shape and the collective before the
// rank count, which must split them (tensorParallel's own RangeError says why it does not).

import { FABRIC_PRESETS } from '../../fabric/fabric-presets.ts';
import { LAYOUTS, type Layout } from '../../plans/plan.ts';
import { ALGORITHMS } from '../../plans/registry.ts';
import { LAYOUT_COMMS, type TpComm, tensorParallel } from '../../plans/tensor-parallel.ts';
import { decimalNumber, fabricMisfit, readHashPairs } from '../common/url-hash.ts';

export interface TpState {
  /** A preset's name while the scene is still the preset's, else ''. */
  readonly preset: string;
  readonly layout: Layout;
  /** X is m x k; the weight k x n (mlp: W1 k x n, W2 n x k; attention: n heads of k/n). */
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly comm: TpComm;
  /** The collective's algorithm (ignored for comm none). */
  readonly algorithm: string;
  readonly ranks: number;
  /** Fabric preset (src/fabric/fabric-presets.ts) the emulated ranks talk over. */
  readonly fabric: string;
  /** Steps taken: 0 before the first, plan.steps.length after the last. */
  readonly step: number;
  /** Playback, steps per second. */
  readonly speed: number;
}

/** What the page accepts. Every side at most 512 keeps one run (and the sweep) to seconds on a
 * CPU-emulated GPU; `fleetlab tp` takes up to 65536. */
export const TP_LIMITS = {
  minDim: 1,
  maxDim: 512,
  minRanks: 1,
  maxRanks: 16,
  minSpeed: 0.1,
  maxSpeed: 10,
} as const;

/** The fields that say what runs and where; step and speed only say how it is shown. */
export const TP_SCENE_FIELDS = [
  'layout',
  'm',
  'k',
  'n',
  'comm',
  'algorithm',
  'ranks',
  'fabric',
] as const satisfies readonly (keyof TpState)[];

export interface TpPreset {
  readonly name: string;
  readonly title: string;
  /** What to watch for, read aloud in a lecture. */
  readonly description: string;
  readonly state: TpState;
}

const base = {
  preset: '',
  layout: 'mlp',
  m: 32,
  k: 64,
  n: 128,
  comm: 'allreduce',
  algorithm: 'ring',
  ranks: 4,
  fabric: 'nvswitch',
  step: 0,
  speed: 1,
} as const satisfies TpState;

const preset = (
  name: string,
  title: string,
  description: string,
  sets: Partial<TpState>,
): TpPreset => ({ name, title, description, state: { ...base, ...sets, preset: name } });

export const TP_PRESETS: readonly TpPreset[] = [
  preset(
    'megatron-mlp-4',
    'The Megatron MLP on 4 ranks',
    'W1 is split by columns and W2 by rows, so each rank computes its quarter of the hidden ' +
      'layer H without talking to anyone; the partial sums of Y meet in one ring AllReduce.',
    {},
  ),
  preset(
    'megatron-mlp-8',
    'The Megatron MLP on 8 ranks, NVSwitch',
    'Twice the ranks: each rank multiplies an eighth of the weights, and the AllReduce takes ' +
      '14 steps instead of 6. On NVSwitch the communication stays a small share of the step.',
    { ranks: 8 },
  ),
  preset(
    'row-parallel-4',
    'A row-parallel linear, 4 ranks',
    'X is split by columns and W by rows: every rank holds a partial sum of all of Y, and the ' +
      'AllReduce adds them. The communication is the price of splitting the inner dimension.',
    { layout: 'row', n: 64 },
  ),
  preset(
    'column-no-comm',
    'A column-parallel linear: no communication',
    'W is split by columns: each rank computes its own column block of Y from the whole X. ' +
      'Nothing moves between ranks; the result stays split until a later layer needs it.',
    { layout: 'column', comm: 'none' },
  ),
  preset(
    'mlp-100gbe-8',
    'The MLP on 8 nodes over 100 GbE: the communication tax',
    'The same MLP with one rank a node on 100 GbE: each of the 14 AllReduce steps pays about ' +
      '5 us of latency. On a fast GPU the matmuls take microseconds, so the tax eats the gain; ' +
      'run the scaling sweep and compare eta with the NVSwitch preset.',
    { ranks: 8, fabric: '100gbe' },
  ),
  preset(
    'attention-heads-4',
    'Attention heads split over 4 ranks',
    'Eight heads of 8, two a rank: Wq, Wk and Wv are split by columns (whole heads), so each ' +
      'rank projects and attends with its own heads alone; Wo is split by rows, and the ' +
      'partial outputs meet in one AllReduce, as after the MLP.',
    { layout: 'attention', n: 8 },
  ),
];

export const DEFAULT_TP_STATE: TpState = (TP_PRESETS[0] as TpPreset).state;

export function findTpPreset(name: string): TpPreset | undefined {
  return TP_PRESETS.find((p) => p.name === name);
}

export function sameTpScene(a: TpState, b: TpState): boolean {
  return TP_SCENE_FIELDS.every((f) => a[f] === b[f]);
}

/** The state with preset '' once its scene is not its preset's any more. */
export function markTpPreset(state: TpState): TpState {
  if (state.preset === '') return state;
  const p = findTpPreset(state.preset);
  return p && sameTpScene(state, p.state) ? state : { ...state, preset: '' };
}

/** The algorithms a collective may run with ([] for none). */
export function algorithmsOf(comm: TpComm): string[] {
  return comm === 'none' ? [] : Object.keys(ALGORITHMS[comm]);
}

/** Why tensorParallel cannot build the state's layer (its RangeError), or undefined. */
export function layerProblem(s: Omit<TpState, 'preset' | 'fabric' | 'step' | 'speed'>) {
  try {
    tensorParallel({
      layout: s.layout,
      ranks: s.ranks,
      m: s.m,
      k: s.k,
      n: s.n,
      comm: s.comm,
      algorithm: s.algorithm,
    });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

// ---------------------------------------------------------------------------------------------
// Fields

export const TP_FIELD_KEYS = [
  'layout',
  'm',
  'k',
  'n',
  'comm',
  'algorithm',
  'ranks',
  'fabric',
  'step',
  'speed',
] as const satisfies readonly (keyof TpState)[];
type Key = (typeof TP_FIELD_KEYS)[number];
export const TP_URL_KEYS = ['preset', ...TP_FIELD_KEYS] as const;

type Read<V> = { readonly value: V; readonly error?: undefined } | { readonly error: string };

interface Field<K extends Key> {
  readonly read: (text: string) => Read<TpState[K]>;
  /** Why the value does not fit the state read so far (the end of a sentence), or undefined. */
  readonly misfit?: (value: TpState[K], s: TpState) => string | undefined;
  /** A value that always fits: the last resort. */
  readonly first?: (s: TpState) => TpState[K];
}

const oneOf =
  <V extends string>(key: string, names: readonly V[]) =>
  (text: string): Read<V> =>
    (names as readonly string[]).includes(text)
      ? { value: text as V }
      : { error: `${key} '${text}' is not one of ${names.join(', ')}` };

const whole =
  (key: string, min: number, max: number, why = '') =>
  (text: string): Read<number> => {
    const v = Number(text);
    return /^\d+$/.test(text.trim()) && v >= min && v <= max
      ? { value: v }
      : { error: `${key} '${text}' must be a whole number from ${min} to ${max}${why}` };
  };

const DIM_WHY = ' (the page caps each side so a CPU-emulated GPU stays quick)';
const { minDim, maxDim, minRanks, maxRanks, minSpeed, maxSpeed } = TP_LIMITS;
const ALL_COMMS = [...new Set(Object.values(LAYOUT_COMMS).flat())];

const FIELDS: { readonly [K in Key]: Field<K> } = {
  layout: { read: oneOf('layout', LAYOUTS) },
  m: { read: whole('m', minDim, maxDim, DIM_WHY) },
  k: { read: whole('k', minDim, maxDim, DIM_WHY) },
  n: { read: whole('n', minDim, maxDim, DIM_WHY) },
  comm: {
    read: oneOf('comm', ALL_COMMS),
    misfit: (c, s) =>
      LAYOUT_COMMS[s.layout].includes(c)
        ? undefined
        : `is not how a ${s.layout} layer ends (${LAYOUT_COMMS[s.layout].join(' or ')})`,
    first: (s) => LAYOUT_COMMS[s.layout][0] as TpComm,
  },
  algorithm: {
    read: (text) => (text === '' ? { error: `algorithm '' names no algorithm` } : { value: text }),
    misfit: (a, s) =>
      s.comm === 'none' || algorithmsOf(s.comm).includes(a)
        ? undefined
        : `is not an algorithm of ${s.comm} (have: ${algorithmsOf(s.comm).join(', ')})`,
    first: (s) => algorithmsOf(s.comm)[0] ?? 'ring',
  },
  ranks: {
    read: whole('ranks', minRanks, maxRanks),
    misfit: (ranks, s) => {
      const why = layerProblem({ ...s, ranks });
      return why === undefined ? undefined : `does not fit: ${why}`;
    },
    // The most ranks, up to the state's, that split the layer (1 always does).
    first: (s) => {
      for (let r = Math.min(s.ranks, maxRanks); r > 1; r--) {
        if (layerProblem({ ...s, ranks: r }) === undefined) return r;
      }
      return 1;
    },
  },
  fabric: {
    read: oneOf(
      'fabric',
      FABRIC_PRESETS.map((f) => f.name),
    ),
    misfit: (name, s) => fabricMisfit(name, s.ranks),
    first: () => 'nvswitch',
  },
  step: {
    read: (text) => {
      const v = Number(text);
      return /^\d+$/.test(text.trim()) && Number.isSafeInteger(v)
        ? { value: v }
        : { error: `step '${text}' must be a whole number >= 0 (0: before the first step)` };
    },
  },
  speed: {
    read: (text) => {
      const v = decimalNumber(text);
      return v !== undefined && v >= minSpeed && v <= maxSpeed
        ? { value: v }
        : { error: `speed '${text}' must be steps per second from ${minSpeed} to ${maxSpeed}` };
    },
  },
};

export interface ParsedTpState {
  readonly state: TpState;
  /** One line per bad key or value. */
  readonly errors: readonly string[];
}

function baseState(text: string | undefined, errors: string[]): TpState {
  if (text === undefined) return DEFAULT_TP_STATE;
  if (text === '') return { ...DEFAULT_TP_STATE, preset: '' };
  const p = findTpPreset(text);
  if (p) return p.state;
  errors.push(
    `preset '${text}' is not one of ${TP_PRESETS.map((q) => q.name).join(', ')}; keeping ${DEFAULT_TP_STATE.preset}`,
  );
  return DEFAULT_TP_STATE;
}

/** The value kept when the URL's will not do: the page's previous, the base's, else first. */
function fallback<K extends Key>(key: K, s: TpState, previous?: TpState): TpState[K] {
  const field = FIELDS[key] as Field<K>;
  const candidates = previous ? [previous[key], s[key]] : [s[key]];
  const fits = candidates.find((v) => field.misfit?.(v, s) === undefined);
  if (fits !== undefined || !field.first) return (fits ?? s[key]) as TpState[K];
  return field.first(s);
}

function resolve<K extends Key>(
  key: K,
  text: string | undefined,
  s: TpState,
  previous: TpState | undefined,
  errors: string[],
  quiet: boolean,
): TpState[K] {
  const field = FIELDS[key] as Field<K>;
  if (text === undefined) {
    const why = field.misfit?.(s[key], s);
    if (why === undefined) return s[key];
    const kept = fallback(key, s, previous);
    if (!quiet) errors.push(`${key} ${String(s[key])} ${why}; using ${String(kept)}`);
    return kept;
  }
  const read = field.read(text);
  if (read.error !== undefined) {
    const kept = fallback(key, s, previous);
    errors.push(`${read.error}; keeping ${String(kept)}`);
    return kept;
  }
  const why = field.misfit?.(read.value, s);
  if (why === undefined) return read.value;
  const kept = fallback(key, s, previous);
  errors.push(`${key} '${text}' ${why}; keeping ${String(kept)}`);
  return kept;
}

/**
 * The state a URL hash describes, with one error per bad key or value. `previous` (the page's
 * current state) gives the value a bad key keeps. The step is clamped by the page, not here.
 */
export function parseTpState(hash: string, previous?: TpState): ParsedTpState {
  const errors: string[] = [];
  const pairs = readHashPairs(hash, TP_URL_KEYS, errors);
  const first: string[] = [];
  const s = resolveAll(pairs, previous, first);
  const why = layerProblem(s);
  if (why === undefined) return { state: markTpPreset(s), errors: [...errors, ...first] };
  // No rank count builds the shape the URL gives (attention with more heads than k holds):
  // the shape goes as a whole, with one line saying why, and the other keys still apply.
  const shape = SHAPE_KEYS.filter((k) => pairs.has(k))
    .map((k) => `${k}=${pairs.get(k)}`)
    .join('&');
  for (const k of SHAPE_KEYS) pairs.delete(k);
  const rest: string[] = [];
  const t = resolveAll(pairs, previous, rest);
  const kept = SHAPE_KEYS.map((k) => `${k}=${t[k]}`).join('&');
  errors.push(
    ...first.filter((e) => SHAPE_KEYS.some((k) => e.startsWith(`${k} '`))),
    `the layer ${shape} builds on no rank count (${why}); keeping ${kept}`,
    ...rest,
  );
  return { state: markTpPreset(t), errors };
}

/** The keys that give the layer's shape: together they may build on no rank count at all. */
const SHAPE_KEYS = ['layout', 'm', 'k', 'n'] as const;

function resolveAll(
  pairs: ReadonlyMap<string, string>,
  previous: TpState | undefined,
  errors: string[],
): TpState {
  let s = baseState(pairs.get('preset'), errors);
  for (const key of TP_FIELD_KEYS) {
    // A layout named in the URL brings its own collective, and a collective its algorithm,
    // without a word when the URL does not name them.
    const quiet =
      (key === 'comm' && pairs.has('layout')) ||
      (key === 'algorithm' && (pairs.has('comm') || pairs.has('layout')));
    s = { ...s, [key]: resolve(key, pairs.get(key), s, previous, errors, quiet) };
  }
  return s;
}

const encode = (text: string) => encodeURIComponent(text);

/** '#key=value&...' with only what differs from the preset (or default); { all } writes all. */
export function serializeTpState(state: TpState, options: { all?: boolean } = {}): string {
  const s = markTpPreset(state);
  const all = options.all ?? false;
  const from = findTpPreset(s.preset)?.state ?? DEFAULT_TP_STATE;
  const parts: string[] = [];
  const none = s.preset === '';
  if (
    all ||
    (s.preset !== DEFAULT_TP_STATE.preset && (!none || sameTpScene(s, DEFAULT_TP_STATE)))
  ) {
    parts.push(`preset=${encode(s.preset)}`);
  }
  for (const key of TP_FIELD_KEYS) {
    if (all || s[key] !== from[key]) parts.push(`${key}=${encode(String(s[key]))}`);
  }
  return parts.length === 0 ? '' : `#${parts.join('&')}`;
}
