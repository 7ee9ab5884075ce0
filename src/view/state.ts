// Everything the collectives page shows follows from this state; it lives in the URL hash so a
// link reproduces the scene (TensorFlow Playground's rule). url-state.ts reads and writes it.
import type { Dtype, RedOp } from '../plans/dtype.ts';
import type { Collective } from '../plans/plan.ts';

/** The controls a URL may hide, e.g. #...&hide=fabric,alpha for a lecture. */
export const CONTROLS = [
  'preset',
  'collective',
  'algorithm',
  'ranks',
  'bytes',
  'dtype',
  'redop',
  'fabric',
  'alpha',
  'beta',
  'speed',
] as const;
export type Control = (typeof CONTROLS)[number];

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

export const DEFAULT_STATE: ViewState = {
  preset: 'textbook-ring',
  collective: 'allreduce',
  algorithm: 'ring',
  ranks: 4,
  bytes: 16,
  dtype: 'float',
  redop: 'sum',
  fabric: 'nvswitch',
  step: 0,
  speed: 1,
  hide: [],
};
