// The collectives page's presets: the scenes a lecture is built on (issue 4). Each sets the
// scene fields of the state; the URL's preset=NAME applies one before its other keys. Sizes
// and fabrics were chosen with the closed forms (test/unit/view-presets.test.ts checks the
// claims the descriptions make), and kept small enough to run in seconds on SwiftShader.
import { TEXTBOOK_RING } from '../../plans/presets.ts';
import { DEFAULT_STATE, SCENE_FIELDS, type SceneField, type ViewState } from './state.ts';

export interface ViewPreset {
  readonly name: string;
  /** A short heading for the preset menu. */
  readonly title: string;
  /** One or two sentences a lecturer can read aloud: what to watch for. */
  readonly description: string;
  /** The fields the preset sets: scene fields and perhaps a playback speed. */
  readonly sets: Partial<Pick<ViewState, SceneField | 'speed'>>;
  /** The whole state it gives: DEFAULT_STATE, then `sets`, its own name, step 0, none hidden. */
  readonly state: ViewState;
  /** Each rank's input, in rank order; absent: the page fills the buffers itself. */
  readonly inputs?: readonly (readonly number[])[];
}

type Spec = Omit<ViewPreset, 'state'>;

function preset(spec: Spec): ViewPreset {
  return {
    ...spec,
    state: { ...DEFAULT_STATE, ...spec.sets, preset: spec.name, step: 0, hide: [] },
  };
}

const SPECS: readonly Spec[] = [
  {
    name: 'textbook-ring',
    title: 'The textbook ring AllReduce, 4 ranks',
    description:
      'Four ranks hold [1,5,3,7], [2,6,4,8], [3,7,5,9] and [4,8,6,10]. Three reduce-scatter ' +
      'steps leave each rank one finished chunk; three all-gather steps pass them round, ' +
      'until every rank holds [10,26,18,34].',
    sets: {
      collective: TEXTBOOK_RING.collective,
      algorithm: TEXTBOOK_RING.algorithm,
      ranks: TEXTBOOK_RING.spec.ranks,
      bytes: TEXTBOOK_RING.spec.count * 4,
      dtype: TEXTBOOK_RING.spec.dtype,
      redop: TEXTBOOK_RING.spec.redop,
      fabric: 'nvlink-ring',
      speed: 1,
    },
    inputs: TEXTBOOK_RING.inputs,
  },
  {
    // Crossover on 100 GbE at 64 ranks: (N-1-L) alpha beta / (L - (N-1)/N) = 710 kB.
    name: 'ring-vs-tree-64',
    title: 'Ring vs tree, 64 ranks near the crossover',
    description:
      'On 100 GbE the ring pays 126 latencies and the tree 12, but the tree sends the whole ' +
      'message on each of its hops; they break even near 700 kB, the crossover marked on the ' +
      'sweep plot. At this 512 KiB the tree is ahead: switch to ring and compare the totals.',
    sets: {
      collective: 'allreduce',
      algorithm: 'tree',
      ranks: 64,
      bytes: 512 * 2 ** 10,
      fabric: '100gbe',
      speed: 4,
    },
  },
  {
    // 'hierarchical' is registered in ALGORITHMS.allreduce by src/plans/hierarchical.ts.
    name: 'hierarchical-8x8',
    title: 'Hierarchical AllReduce, 8 nodes x 8 ranks',
    description:
      'Inside each DGX node the ranks reduce-scatter over NVLink; only one shard in eight ' +
      'crosses InfiniBand, in a ring of the 8 nodes, before the all-gather inside the node: ' +
      '28 steps where a flat ring of 64 would take 126, all of them waiting on the slow link.',
    sets: {
      collective: 'allreduce',
      algorithm: 'hierarchical',
      ranks: 64,
      bytes: 2 ** 20,
      fabric: 'dgx-h100',
      speed: 2,
    },
  },
  {
    name: 'latency-bound',
    title: 'A tiny message: latency-bound',
    description:
      '64 bytes on 8 ranks over 100 GbE: each of the 14 ring steps pays the 5 us alpha while ' +
      'its bytes take nanoseconds, so the time is all latency and an algorithm with fewer ' +
      'steps (tree, rhd) wins.',
    sets: {
      collective: 'allreduce',
      algorithm: 'ring',
      ranks: 8,
      bytes: 64,
      fabric: '100gbe',
      speed: 2,
    },
  },
  {
    name: 'bandwidth-bound',
    title: 'A large message: bandwidth-bound',
    description:
      '1 MiB on the same 8 ranks over 100 GbE: each ring step now sends 128 KiB, twice alpha ' +
      'times beta, so the bytes take twice as long as the 14 alphas; double the size and ' +
      'busbw climbs toward the 12.5 GB/s of the link.',
    sets: {
      collective: 'allreduce',
      algorithm: 'ring',
      ranks: 8,
      bytes: 2 ** 20,
      fabric: '100gbe',
      speed: 2,
    },
  },
];

export const VIEW_PRESETS: readonly ViewPreset[] = SPECS.map(preset);

/** The preset called `name`, or undefined. */
export function findViewPreset(name: string): ViewPreset | undefined {
  return VIEW_PRESETS.find((p) => p.name === name);
}

/** The preset called `name`, or a RangeError listing those there are (as fabricPreset). */
export function viewPreset(name: string): ViewPreset {
  const found = findViewPreset(name);
  if (!found) {
    const names = VIEW_PRESETS.map((p) => p.name).join(', ');
    throw new RangeError(`no preset '${name}' (presets: ${names})`);
  }
  return found;
}

/** Whether a and b show the same scene (alpha and beta undefined = the fabric's own). */
export function sameScene(a: ViewState, b: ViewState): boolean {
  return SCENE_FIELDS.every((f) => a[f] === b[f]);
}

/**
 * The state with preset '' when its scene is not its preset's any more (an edited control, a
 * URL key): the preset's inputs and description no longer apply. Call it after every edit.
 */
export function markPreset(state: ViewState): ViewState {
  if (state.preset === '') return state;
  const preset = findViewPreset(state.preset);
  return preset && sameScene(state, preset.state) ? state : { ...state, preset: '' };
}
