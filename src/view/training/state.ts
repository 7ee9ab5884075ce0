// The training page's state, its presets and the URL hash that carries both, by the other pages'
// rules: preset=NAME first, the other keys override it; a link writes only what differs from its
// preset; a bad value is one error line naming the key, the text and what is allowed, and the key
// keeps its earlier value. Whether the values fit together (layers a multiple of stages x V, a
// micro-batch per row at least) is the plan builders' to say: the load shows their error.
//
//   #preset=bubble-gpipe-p8-m16&microbatches=4
import { FABRIC_PRESETS } from '../../fabric/fabric-presets.ts';
import { SCHEDULES } from '../../plans/training/schedules.ts';
import { decimalNumber, readHashPairs } from '../common/url-hash.ts';

export type TrainingMode = 'dp' | 'pp';

export interface TrainingState {
  readonly preset: string;
  readonly mode: TrainingMode;
  /** The pipeline schedule (pp). */
  readonly schedule: string;
  readonly fabric: string;
  /** Data-parallel ranks (dp). */
  readonly ranks: number;
  readonly zero: number;
  /** Bytes a gradient bucket holds at least before its collective starts (dp). */
  readonly bucket: number;
  /** 1: buckets start under the backward pass; 0: after it (dp). */
  readonly overlap: number;
  readonly stages: number;
  readonly microbatches: number;
  readonly virtual: number;
  readonly layers: number;
  readonly d: number;
  readonly batch: number;
  readonly step: number;
  readonly speed: number;
}

/** Caps that keep a step on a CPU-emulated GPU to seconds; the alert names them. */
export const TRAINING_LIMITS = {
  ranks: [1, 8],
  zero: [0, 3],
  bucket: [1, 1 << 24],
  overlap: [0, 1],
  stages: [1, 8],
  microbatches: [1, 32],
  virtual: [1, 4],
  layers: [1, 32],
  d: [1, 64],
  batch: [1, 256],
  step: [0, 100_000],
  speed: [0.1, 30],
} as const satisfies Record<string, readonly [number, number]>;

type NumberKey = keyof typeof TRAINING_LIMITS;
const CHOICES = {
  mode: ['dp', 'pp'],
  schedule: SCHEDULES,
  fabric: FABRIC_PRESETS.map((f) => f.name),
} as const;
type ChoiceKey = keyof typeof CHOICES;
export const TRAINING_URL_KEYS = [
  'preset',
  ...(Object.keys(CHOICES) as ChoiceKey[]),
  ...(Object.keys(TRAINING_LIMITS) as NumberKey[]),
];

export interface TrainingPreset {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly state: TrainingState;
}

const base: TrainingState = {
  preset: '',
  mode: 'pp',
  schedule: 'gpipe',
  fabric: 'nvswitch',
  ranks: 4,
  zero: 0,
  bucket: 1088,
  overlap: 1,
  stages: 8,
  microbatches: 16,
  virtual: 1,
  layers: 8,
  d: 8,
  batch: 16,
  step: 0,
  speed: 8,
};

const preset = (
  name: string,
  title: string,
  description: string,
  state: Partial<TrainingState>,
): TrainingPreset => ({ name, title, description, state: { ...base, ...state, preset: name } });

export const TRAINING_PRESETS: readonly TrainingPreset[] = [
  preset(
    'bubble-gpipe-p8-m16',
    'GPipe bubble, p = 8, m = 16',
    'GPipe on 8 stages with 16 micro-batches: every forward, then every backward. The grey at the start and end of each stage is the bubble, (p - 1) / (p - 1 + m) = 7 / 23 of the step by the formula; all 16 micro-batches are in flight at once.',
    {},
  ),
  preset(
    'bubble-1f1b-p8-m16',
    '1F1B, p = 8, m = 16',
    '1F1B on the same 8 stages: after a warm-up each stage alternates one forward and one backward. The bubble is the same 7 / 23, but at most p micro-batches are in flight, not m: the memory, not the time, is what 1F1B saves.',
    { schedule: '1f1b' },
  ),
  preset(
    'interleaved-v4',
    'Interleaved 1F1B, V = 4',
    'Each of 4 stages holds 4 chunks of the model (V = 4): the bubble shrinks to (p - 1) / (p - 1 + m V) = 3 / 35, paid for in 4x the stage-to-stage sends.',
    { schedule: 'interleaved', stages: 4, microbatches: 8, virtual: 4, layers: 16 },
  ),
  preset(
    'dp-overlap',
    'Data parallel, buckets under the backward',
    'Data parallel on 4 ranks, one bucket a layer: each bucket\u2019s AllReduce starts on the comm lane as soon as the backward kernel that completes it is done, hidden under the backward of the layers before it. Only the last bucket is exposed.',
    { mode: 'dp', ranks: 4, layers: 4, d: 16, batch: 16 },
  ),
  preset(
    'dp-no-overlap',
    'Data parallel, no overlap',
    'The same step with every bucket after the whole backward pass: the communication adds to the step instead of hiding under it. Compare the step time with the overlapped preset.',
    { mode: 'dp', ranks: 4, layers: 4, d: 16, batch: 16, overlap: 0 },
  ),
  preset(
    'zero-3',
    'ZeRO-3: parameters gathered per layer',
    'ZeRO stage 3 on 4 ranks: each rank keeps a quarter of the parameters, gradients and optimizer state, so every layer\u2019s parameters are all-gathered before its forward and again before its backward, and gradients are reduce-scattered. Memory per rank falls by 4x; the AllGathers are the price.',
    { mode: 'dp', ranks: 4, layers: 4, d: 16, batch: 16, zero: 3 },
  ),
];

export const DEFAULT_TRAINING_STATE: TrainingState = (TRAINING_PRESETS[0] as TrainingPreset).state;

export function findTrainingPreset(name: string): TrainingPreset | undefined {
  return TRAINING_PRESETS.find((p) => p.name === name);
}

/** The fields that make a different run (everything but preset, step and speed). */
const RUN_FIELDS = [
  ...(Object.keys(CHOICES) as ChoiceKey[]),
  ...(Object.keys(TRAINING_LIMITS) as NumberKey[]).filter((k) => k !== 'step' && k !== 'speed'),
] as const;

export function sameTrainingRun(a: TrainingState, b: TrainingState): boolean {
  return RUN_FIELDS.every((f) => a[f] === b[f]);
}

function readNumber(key: NumberKey, text: string): number | string {
  const [min, max] = TRAINING_LIMITS[key];
  const whole = key !== 'speed';
  const v = whole ? (/^\s*\d+\s*$/.test(text) ? Number(text) : undefined) : decimalNumber(text);
  if (v !== undefined && v >= min && v <= max) return v;
  const unit = key === 'bucket' ? ' bytes' : '';
  return `${key} '${text}' must be ${whole ? 'a whole number' : 'a number'} from ${min} to ${max}${unit}`;
}

export function parseTrainingState(hash: string): {
  readonly state: TrainingState;
  readonly errors: readonly string[];
} {
  const errors: string[] = [];
  const pairs = readHashPairs(hash, TRAINING_URL_KEYS, errors);
  let state = DEFAULT_TRAINING_STATE;
  const presetText = pairs.get('preset');
  if (presetText !== undefined) {
    const found = findTrainingPreset(presetText);
    if (found) state = found.state;
    else if (presetText === '') state = { ...DEFAULT_TRAINING_STATE, preset: '' };
    else {
      errors.push(
        `preset '${presetText}' is not one of ${TRAINING_PRESETS.map((p) => p.name).join(', ')}; keeping ${state.preset}`,
      );
    }
  }
  for (const key of Object.keys(CHOICES) as ChoiceKey[]) {
    const text = pairs.get(key);
    if (text === undefined) continue;
    const allowed: readonly string[] = CHOICES[key];
    if (allowed.includes(text)) state = { ...state, [key]: text };
    else
      errors.push(`${key} '${text}' must be one of ${allowed.join(', ')}; keeping ${state[key]}`);
  }
  for (const key of Object.keys(TRAINING_LIMITS) as NumberKey[]) {
    const text = pairs.get(key);
    if (text === undefined) continue;
    const v = readNumber(key, text);
    if (typeof v === 'number') state = { ...state, [key]: v };
    else errors.push(`${v}; keeping ${state[key]}`);
  }
  // A state that differs from its preset in what is run is no longer that preset.
  const p = findTrainingPreset(state.preset);
  if (p && !sameTrainingRun(p.state, state)) state = { ...state, preset: '' };
  return { state, errors };
}

/** The hash of `state`: its preset, then only the keys that differ from the preset's. */
export function serializeTrainingState(state: TrainingState): string {
  const from = findTrainingPreset(state.preset)?.state ?? { ...DEFAULT_TRAINING_STATE, preset: '' };
  const parts = [`preset=${encodeURIComponent(state.preset)}`];
  for (const key of TRAINING_URL_KEYS.slice(1) as (keyof TrainingState)[]) {
    if (state[key] !== from[key]) parts.push(`${key}=${encodeURIComponent(String(state[key]))}`);
  }
  return `#${parts.join('&')}`;
}
