// The KV-cache page's state, its presets and the URL hash that carries both, by the other
// pages' rules: preset=NAME first, the other keys override it; a link writes only what differs
// from its preset; a bad value is one error line naming the key, the text and what is allowed,
// and the key keeps its earlier value.
//
//   #preset=continuous-cv1&scheduler=static&cv=2
import { decimalNumber, readHashPairs } from '../common/url-hash.ts';

export type Scheduler = 'static' | 'continuous';

export interface KvState {
  readonly preset: string;
  readonly scheduler: Scheduler;
  readonly requests: number;
  /** Poisson arrivals, requests per second; 0: every request at t = 0. */
  readonly rate: number;
  readonly cv: number;
  readonly promptMean: number;
  readonly outputMean: number;
  readonly blocks: number;
  readonly blockTokens: number;
  readonly maxBatch: number;
  readonly ranks: number;
  readonly seed: number;
  readonly step: number;
  readonly speed: number;
}

/** Caps that keep a run on a CPU-emulated GPU to seconds; the alert names them. */
export const KV_LIMITS = {
  requests: [1, 64],
  rate: [0, 1000],
  cv: [0, 4],
  promptMean: [1, 64],
  outputMean: [1, 64],
  blocks: [4, 512],
  blockTokens: [1, 64],
  maxBatch: [1, 16],
  ranks: [1, 2],
  seed: [0, 2 ** 32 - 1],
  step: [0, 100_000],
  speed: [0.1, 30],
} as const satisfies Record<string, readonly [number, number]>;

type NumberKey = keyof typeof KV_LIMITS;
const WHOLE: readonly NumberKey[] = [
  'requests',
  'promptMean',
  'outputMean',
  'blocks',
  'blockTokens',
  'maxBatch',
  'ranks',
  'seed',
  'step',
];
export const KV_URL_KEYS = ['preset', 'scheduler', ...(Object.keys(KV_LIMITS) as NumberKey[])];

export interface KvPreset {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly state: KvState;
}

const base: KvState = {
  preset: '',
  scheduler: 'continuous',
  requests: 16,
  rate: 0,
  cv: 1,
  promptMean: 12,
  outputMean: 16,
  blocks: 48,
  blockTokens: 16,
  maxBatch: 8,
  ranks: 1,
  seed: 1,
  step: 0,
  speed: 4,
};

const preset = (name: string, title: string, description: string, sets: Partial<KvState>) => ({
  name,
  title,
  description,
  state: { ...base, ...sets, preset: name },
});

export const KV_PRESETS: readonly KvPreset[] = [
  preset(
    'continuous-cv1',
    'Continuous batching, output lengths with CV 1',
    'Each iteration admits waiting requests as soon as a batch slot and KV blocks are free: ' +
      'short requests leave early and new ones take their place at once.',
    {},
  ),
  preset(
    'static-cv1',
    'Static batching on the same workload',
    'A batch runs until its longest request finishes: the slots of the short ones sit idle. ' +
      'Compare tokens/s and TTFT with continuous-cv1 in the table below.',
    { scheduler: 'static' },
  ),
  preset(
    'high-cv-preemption',
    'A small pool and long tails: preemption by recompute',
    'Output lengths with CV 2 in a pool of 12 blocks: when a running request cannot grow, the ' +
      'newest one is preempted, its blocks freed, and it is prefilled again later.',
    { cv: 2, blocks: 12, blockTokens: 8, outputMean: 20 },
  ),
  preset(
    'lecture-small',
    'Eight requests arriving over time, two ranks',
    'A small Poisson workload served by the decoder split over 2 tensor-parallel ranks: each ' +
      'rank keeps its own KV heads in its own pool, with the same block table.',
    { requests: 8, rate: 20, ranks: 2, blocks: 24 },
  ),
];

export const DEFAULT_KV_STATE: KvState = (KV_PRESETS[0] as KvPreset).state;

export function findKvPreset(name: string): KvPreset | undefined {
  return KV_PRESETS.find((p) => p.name === name);
}

/** The fields that make a different run (everything but preset, step and speed). */
export const KV_RUN_FIELDS = [
  'scheduler',
  'requests',
  'rate',
  'cv',
  'promptMean',
  'outputMean',
  'blocks',
  'blockTokens',
  'maxBatch',
  'ranks',
  'seed',
] as const satisfies readonly (keyof KvState)[];

export function sameKvRun(
  a: KvState,
  b: KvState,
  ignore: readonly (keyof KvState)[] = [],
): boolean {
  return KV_RUN_FIELDS.every((f) => ignore.includes(f) || a[f] === b[f]);
}

export interface ParsedKvState {
  readonly state: KvState;
  readonly errors: readonly string[];
}

function readNumber(key: NumberKey, text: string): number | string {
  const [min, max] = KV_LIMITS[key];
  const whole = WHOLE.includes(key);
  const v = whole ? (/^\s*\d+\s*$/.test(text) ? Number(text) : undefined) : decimalNumber(text);
  if (v !== undefined && v >= min && v <= max) return v;
  const what = whole ? 'a whole number' : 'a number';
  const cap = key === 'requests' || key.endsWith('Mean') || key === 'blocks' || key === 'maxBatch';
  return `${key} '${text}' must be ${what} from ${min} to ${max}${cap ? ' (capped so a CPU-emulated GPU finishes in seconds)' : ''}`;
}

export function parseKvState(hash: string): ParsedKvState {
  const errors: string[] = [];
  const pairs = readHashPairs(hash, KV_URL_KEYS, errors);
  let state = DEFAULT_KV_STATE;
  const presetText = pairs.get('preset');
  if (presetText !== undefined) {
    const found = presetText === '' ? undefined : findKvPreset(presetText);
    if (found) state = found.state;
    else if (presetText === '') state = { ...DEFAULT_KV_STATE, preset: '' };
    else {
      errors.push(
        `preset '${presetText}' is not one of ${KV_PRESETS.map((p) => p.name).join(', ')}; keeping ${state.preset}`,
      );
    }
  }
  const scheduler = pairs.get('scheduler');
  if (scheduler !== undefined) {
    if (scheduler === 'static' || scheduler === 'continuous') state = { ...state, scheduler };
    else
      errors.push(
        `scheduler '${scheduler}' must be static or continuous; keeping ${state.scheduler}`,
      );
  }
  for (const key of Object.keys(KV_LIMITS) as NumberKey[]) {
    const text = pairs.get(key);
    if (text === undefined) continue;
    const v = readNumber(key, text);
    if (typeof v === 'number') state = { ...state, [key]: v };
    else errors.push(`${v}; keeping ${state[key]}`);
  }
  // A state that differs from its preset in what is run is no longer that preset.
  const p = findKvPreset(state.preset);
  if (p && !sameKvRun(p.state, state)) state = { ...state, preset: '' };
  return { state, errors };
}

/** The hash of `state`: its preset, then only the keys that differ from the preset's. */
export function serializeKvState(state: KvState): string {
  const from = findKvPreset(state.preset)?.state ?? { ...DEFAULT_KV_STATE, preset: '' };
  const parts = [`preset=${encodeURIComponent(state.preset)}`];
  for (const key of KV_URL_KEYS.slice(1) as (keyof KvState)[]) {
    if (state[key] !== from[key]) parts.push(`${key}=${encodeURIComponent(String(state[key]))}`);
  }
  return `#${parts.join('&')}`;
}
