// The experts page's state and presets (URL rules: common/hash-state.ts).
//
//   #preset=hot-experts&skew=3
import { FABRIC_PRESETS } from '../../fabric/fabric-presets.ts';
import { ALLTOALLV_ALGORITHMS } from '../../plans/experts/alltoallv.ts';
import { type HashPreset, hashState } from '../common/hash-state.ts';

export interface ExpertsState {
  readonly [key: string]: string | number;
  readonly preset: string;
  readonly fabric: string;
  readonly algo: string;
  readonly ranks: number;
  readonly experts: number;
  readonly topk: number;
  readonly tokens: number;
  readonly d: number;
  readonly capacity: number;
  readonly skew: number;
  readonly seed: number;
  readonly step: number;
  readonly speed: number;
}

/** Caps that keep a layer on a CPU-emulated GPU to a second or so; the alert names them. */
export const EXPERTS_LIMITS = {
  ranks: [1, 8],
  experts: [1, 32],
  topk: [1, 2],
  tokens: [1, 256],
  d: [1, 64],
  capacity: [0.05, 64],
  skew: [0, 8],
  seed: [0, 100_000],
  step: [0, 100_000],
  speed: [0.1, 30],
} as const satisfies Record<string, readonly [number, number]>;

const base: ExpertsState = {
  preset: '',
  fabric: 'nvswitch',
  algo: 'pairwise',
  ranks: 4,
  experts: 8,
  topk: 2,
  tokens: 64,
  d: 16,
  capacity: 2,
  skew: 0,
  seed: 1,
  step: 0,
  speed: 4,
};

const preset = (
  name: string,
  title: string,
  description: string,
  state: Partial<ExpertsState>,
): HashPreset<ExpertsState> => ({
  name,
  title,
  description,
  state: { ...base, ...state, preset: name },
});

export const EXPERTS_PRESETS: readonly HashPreset<ExpertsState>[] = [
  preset(
    'balanced-top2',
    'Top-2 routing, no prior',
    '64 tokens on 4 ranks, 8 experts (2 a rank), each token to its 2 best experts. With no prior the load is nearly even: every bar near the mean, nothing dropped, and the step close to the balanced formula.',
    {},
  ),
  preset(
    'hot-experts',
    'Hot experts overflow their capacity',
    'The same layer with a router prior that favours the first experts (skew 2) and capacity factor 1.25: experts 0 and 1 are asked for far more copies than they may keep, the rest are dropped (red), and the rank that holds them sets the pace of the step.',
    { skew: 2, capacity: 1.25 },
  ),
  preset(
    'switch-top1',
    'Switch-style top-1, capacity 1',
    'Top-1 routing as in the Switch Transformer with capacity factor 1: an expert keeps T / E copies, so any imbalance at all drops tokens.',
    { topk: 1, capacity: 1, skew: 0.5 },
  ),
];

export const EXPERTS_STATE = hashState<ExpertsState>({
  presets: EXPERTS_PRESETS,
  choices: { fabric: FABRIC_PRESETS.map((f) => f.name), algo: ALLTOALLV_ALGORITHMS },
  limits: EXPERTS_LIMITS,
  decimal: ['capacity', 'skew', 'speed'],
  view: ['step', 'speed'],
});

export const DEFAULT_EXPERTS_STATE = EXPERTS_STATE.defaults;
export const parseExpertsState = (hash: string) => EXPERTS_STATE.parse(hash);
export const serializeExpertsState = (s: ExpertsState) => EXPERTS_STATE.serialize(s);
