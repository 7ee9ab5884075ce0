// The whole view state in the URL hash, so a link reproduces the scene (TensorFlow
// Playground's rule): '#preset=ring-vs-tree-64&algorithm=ring&step=5&hide=fabric,alpha'.
//
// - Keys are ViewState's field names, so hide= names controls as the URL names them.
// - preset=NAME is applied first and the other keys override it. The state keeps the preset's
//   name only while its scene (SCENE_FIELDS) is still the preset's: step, speed and hide may
//   differ, anything else makes it preset '' (an edited scene; the preset's inputs are gone).
//   Without a preset key the base is DEFAULT_STATE, itself the textbook-ring preset.
// - serializeState writes only the keys whose value differs from that base, in a fixed order,
//   so links stay short; { all: true } writes every key, for links that must not depend on
//   today's defaults. parseState(serializeState(s)) equals s for every marked state.
// - A bad value is one error string naming the key, the text and what is allowed; that key
//   keeps its value in `previous` (the page's last good state) if it fits, else the base's.

import { readHashPairs } from '../common/url-hash.ts';
import { findViewPreset, markPreset, sameScene, VIEW_PRESETS } from './presets.ts';
import { DEFAULT_STATE, type ViewState } from './state.ts';
import { FIELD_KEYS, FIELDS, type FieldKey } from './url-fields.ts';

export const URL_KEYS = ['preset', ...FIELD_KEYS] as const;

export interface ParsedState {
  readonly state: ViewState;
  /** One sentence per bad key or value, for the page's role="alert" element. */
  readonly errors: readonly string[];
}

/** The state preset=`text` starts from; DEFAULT_STATE without the key, none for ''. */
function baseState(text: string | undefined, previous: ViewState | undefined, errors: string[]) {
  if (text === undefined) return DEFAULT_STATE;
  if (text === '') return { ...DEFAULT_STATE, preset: '' };
  const preset = findViewPreset(text);
  if (preset) return preset.state;
  const last = previous && (previous.preset === '' || findViewPreset(previous.preset));
  const keep = last ? previous.preset : DEFAULT_STATE.preset;
  const names = VIEW_PRESETS.map((p) => p.name).join(', ');
  errors.push(`preset '${text}' is not one of ${names}; keeping ${keep || 'none'}`);
  return baseState(keep, undefined, errors);
}

/** How a value reads in an error: its URL text, or what '' stands for. */
function shown<K extends FieldKey>(key: K, value: ViewState[K]): string {
  const text = FIELDS[key].write(value);
  return text !== '' ? text : key === 'hide' ? 'none hidden' : "the fabric's own";
}

/** The value kept for `key` when the URL's will not do: previous, then the base, then first. */
function fallback<K extends FieldKey>(key: K, state: ViewState, previous?: ViewState) {
  const field = FIELDS[key];
  const candidates = previous ? [previous[key], state[key]] : [state[key]];
  const fits = candidates.find((v) => field.misfit?.(v, state) === undefined);
  if (fits !== undefined || !field.misfit) return fits as ViewState[K];
  return (field.first as (s: ViewState) => ViewState[K])(state);
}

/** The value of `key` given its URL text (undefined: not in the URL) and the state so far. */
function resolve<K extends FieldKey>(
  key: K,
  text: string | undefined,
  state: ViewState,
  previous: ViewState | undefined,
  errors: string[],
  quiet = false,
): ViewState[K] {
  const field = FIELDS[key];
  if (text === undefined) {
    // A value the URL did not give, from the preset or the default, may not fit a key the URL
    // did give. `quiet`: collective=alltoall takes its first algorithm without a word; other
    // misfits are errors (a preset's unregistered algorithm, a fabric that cannot hold 12).
    const why = field.misfit?.(state[key], state);
    if (why === undefined) return state[key];
    const kept = fallback(key, state, previous);
    if (!quiet) errors.push(`${key} '${shown(key, state[key])}' ${why}; using ${shown(key, kept)}`);
    return kept;
  }
  const read = field.read(text);
  if (!('value' in read)) {
    const kept = fallback(key, state, previous);
    for (const e of read.errors) errors.push(`${e}; keeping ${shown(key, kept)}`);
    return kept;
  }
  errors.push(...read.errors);
  const value = read.value as ViewState[K];
  const why = field.misfit?.(value, state);
  if (why === undefined) return value;
  const kept = fallback(key, state, previous);
  errors.push(`${key} '${text}' ${why}; keeping ${shown(key, kept)}`);
  return kept;
}

/**
 * The state a URL hash describes, and an error for each bad key or value. `previous`, the
 * page's current state, supplies the value a bad key keeps (else the preset's or default's).
 * The step is not checked against the plan here: the page clamps it to 0..steps.
 */
export function parseState(hash: string, previous?: ViewState): ParsedState {
  const errors: string[] = [];
  const pairs = readHashPairs(hash, URL_KEYS, errors);
  let state: ViewState = baseState(pairs.get('preset'), previous, errors);
  for (const key of FIELD_KEYS) {
    const quiet = key === 'algorithm' && pairs.has('collective');
    state = { ...state, [key]: resolve(key, pairs.get(key), state, previous, errors, quiet) };
  }
  return { state: markPreset(state), errors };
}

/** Percent-encodes a value, leaving the '/' of 50GB/s and the ',' of hide lists readable. */
function encode(text: string): string {
  return encodeURIComponent(text).replace(/%2F/g, '/').replace(/%2C/g, ',');
}

export interface SerializeOptions {
  /** Write every key, not only those that differ from the preset's (or default) state. */
  readonly all?: boolean;
}

/**
 * The hash for `state`: '#key=value&...' in URL_KEYS order, '' for the default state. The
 * state is marked first (markPreset), so a preset's name is written only while it holds.
 */
export function serializeState(state: ViewState, options: SerializeOptions = {}): string {
  const s = markPreset(state);
  const all = options.all ?? false;
  const base = findViewPreset(s.preset)?.state ?? DEFAULT_STATE;
  const parts: string[] = [];
  // preset '' needs saying only where the scene would otherwise read as the default preset.
  const none = s.preset === '';
  if (all || (s.preset !== DEFAULT_STATE.preset && (!none || sameScene(s, DEFAULT_STATE)))) {
    parts.push(`preset=${encode(s.preset)}`);
  }
  for (const key of FIELD_KEYS) {
    const write = FIELDS[key].write as (v: ViewState[FieldKey]) => string;
    const text = write(s[key]);
    if (text !== write(base[key]) || (all && text !== '')) parts.push(`${key}=${encode(text)}`);
  }
  return parts.length === 0 ? '' : `#${parts.join('&')}`;
}
