// Everything the collectives page shows follows from this state; it lives in the URL hash so a
// link reproduces the scene (TensorFlow Playground's rule). url-state.ts reads and writes it.
import type { Dtype, RedOp } from '../../plans/dtype.ts';
import type { Collective } from '../../plans/plan.ts';

export interface ViewState {
  /** A named preset (presets.ts) the other fields came from, or '' when edited by hand. */
  readonly preset: string;
  readonly collective: Collective;
  readonly algorithm: string;
  readonly ranks: number;
  /** Message size in bytes, as nccl-tests counts it for the collective. */
  readonly bytes: number;
  readonly dtype: Dtype;
  readonly redop: RedOp;
  /** A fabric preset name (src/fabric/fabric-presets.ts) for the emulated and analytic times. */
  readonly fabric: string;
  /** Overrides of the fabric's link alpha (s) and beta (B/s); undefined: the preset's own. */
  readonly alpha?: number;
  readonly beta?: number;
  /** The step shown: 0 = before the first step, plan.steps.length = after the last. */
  readonly step: number;
  /** Playback speed in steps per second. */
  readonly speed: number;
  readonly hide: readonly Control[];
}

/**
 * The fields that say what runs, and on what fabric. A preset sets these; a state whose scene
 * differs from its preset's is no longer that preset (presets.ts markPreset). step, speed and
 * hide only say how the scene is shown, so a lecture link may set them and keep its preset.
 */
export const SCENE_FIELDS = [
  'collective',
  'algorithm',
  'ranks',
  'bytes',
  'dtype',
  'redop',
  'fabric',
  'alpha',
  'beta',
] as const;
export type SceneField = (typeof SCENE_FIELDS)[number];

/** The controls a URL may hide, e.g. #...&hide=fabric,alpha for a lecture. */
export const CONTROLS = ['preset', ...SCENE_FIELDS, 'speed'] as const;
export type Control = (typeof CONTROLS)[number];

/**
 * What the page accepts. 64 ranks is where a scene stays readable (common/layout.ts). The
 * step-by-step view reads every rank's buffer back after each step, so a message stays at 1 MiB
 * (64 ranks: 64 MiB a read-back); the sweep measures larger ones. Speed is in steps per second:
 * 60 plays a 64-rank ring's 126 steps in about 2 s. A link's alpha stays at most 1 s and its
 * beta from 1 kB/s to 1 PB/s: far past any real link either way, and finite, so every time the
 * pricer gives is a number and the URL writes it back as typed.
 */
export const VIEW_LIMITS = {
  minRanks: 1,
  maxRanks: 64,
  maxBytes: 2 ** 20,
  minSpeed: 0.1,
  maxSpeed: 60,
  /** seconds */
  maxAlpha: 1,
  /** bytes per second */
  minBeta: 1e3,
  maxBeta: 1e15,
} as const;

export const DEFAULT_STATE: ViewState = {
  preset: 'textbook-ring',
  collective: 'allreduce',
  algorithm: 'ring',
  ranks: 4,
  bytes: 16,
  dtype: 'float',
  redop: 'sum',
  // The textbook's ring: NVLink links rank to rank, drawn as the ring the book draws (on a
  // switch it was a star, and the packets crossed the middle).
  fabric: 'nvlink-ring',
  step: 0,
  speed: 1,
  hide: [],
};
