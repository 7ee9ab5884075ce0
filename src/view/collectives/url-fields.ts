// One entry per URL key: how its text becomes a value, what the rest of the state allows, and
// how the value is written back. url-state.ts walks these in order; a value that fails says
// why in words naming what is allowed, and the parser keeps an earlier value for that key.

import { FABRIC_PRESETS } from '../../fabric/fabric-presets.ts';
import { parseBandwidth, parseByteSize, parseTime } from '../../model/units-parse.ts';
import { DTYPE_INFO, DTYPES, REDOPS } from '../../plans/dtype.ts';
import { COLLECTIVES, type Collective } from '../../plans/plan.ts';
import { ALGORITHMS } from '../../plans/registry.ts';
import { bandwidthText, sizeText, timeText } from '../common/url-format.ts';
import { decimalNumber, fabricMisfit } from '../common/url-hash.ts';
import { CONTROLS, type Control, VIEW_LIMITS, type ViewState } from './state.ts';

/** The keys after preset, in the order they are read and written (ViewState's names). */
export const FIELD_KEYS = [
  'collective',
  'algorithm',
  'ranks',
  'fabric',
  'dtype',
  'bytes',
  'redop',
  'alpha',
  'beta',
  'step',
  'speed',
  'hide',
] as const satisfies readonly (keyof ViewState)[];
export type FieldKey = (typeof FIELD_KEYS)[number];

/** A value read from text, and what was wrong with the text (whole sentences). */
export interface Read<V> {
  readonly value?: V;
  readonly errors: readonly string[];
}

export interface Field<K extends FieldKey> {
  /** Text to value, on its own (key 'ranks', text '100': not a rank count). */
  readonly read: (text: string) => Read<ViewState[K]>;
  /**
   * Why `value` does not fit the state read so far (an algorithm of another collective), as
   * the end of a sentence that starts with the key and the text: "is not an algorithm of ...".
   */
  readonly misfit?: (value: ViewState[K], state: ViewState) => string | undefined;
  /** A value that always fits `state`: the last resort when nothing else does. */
  readonly first?: (state: ViewState) => ViewState[K];
  /** The text the URL carries; '' reads back as the value (alpha: the fabric's own). */
  readonly write: (value: ViewState[K]) => string;
}

const ok = <V>(value: V): Read<V> => ({ value, errors: [] });
const fail = <V>(error: string): Read<V> => ({ errors: [error] });

/** A name from a list, which the error gives as what is allowed. */
function oneOf<V extends string>(key: string, names: readonly V[]): (text: string) => Read<V> {
  return (text) =>
    (names as readonly string[]).includes(text)
      ? ok(text as V)
      : fail(`${key} '${text}' is not one of ${names.join(', ')}`);
}

/** A units parser's value; its RangeError already names the key, the text and the units. */
function units(
  key: string,
  text: string,
  parse: (key: string, text: string) => number,
): Read<number> {
  try {
    return ok(parse(key, text));
  } catch (e) {
    return fail((e as Error).message);
  }
}

function wholeNumber(key: string, text: string, min: number, max: number): Read<number> {
  const value = Number(text);
  return /^\d+$/.test(text.trim()) && value >= min && value <= max
    ? ok(value)
    : fail(`${key} '${text}' must be a whole number from ${min} to ${max}`);
}

const { minRanks, maxRanks, maxBytes, minSpeed, maxSpeed, maxAlpha, minBeta, maxBeta } =
  VIEW_LIMITS;

export const FIELDS: { readonly [K in FieldKey]: Field<K> } = {
  collective: { read: oneOf('collective', COLLECTIVES), write: String },
  algorithm: {
    read: ok,
    misfit: (name, s) =>
      Object.hasOwn(ALGORITHMS[s.collective], name)
        ? undefined
        : `is not an algorithm of ${s.collective} (have: ${algorithmsOf(s.collective).join(', ')})`,
    first: (s) => algorithmsOf(s.collective)[0] as string,
    write: String,
  },
  ranks: {
    read: (t) => wholeNumber('ranks', t, minRanks, maxRanks),
    write: String,
  },
  fabric: {
    read: oneOf(
      'fabric',
      FABRIC_PRESETS.map((p) => p.name),
    ),
    misfit: (name, s) => fabricMisfit(name, s.ranks),
    // A switch holds any number of ranks.
    first: () => 'nvswitch',
    write: String,
  },
  dtype: { read: oneOf('dtype', DTYPES), write: String },
  bytes: {
    read: (t) => units('bytes', t, parseByteSize),
    misfit: (bytes, s) => {
      const size = DTYPE_INFO[s.dtype].bytes;
      if (bytes < size || bytes > maxBytes) {
        return `must be from ${size} B to ${sizeText(maxBytes)} (${maxBytes} B)`;
      }
      return bytes % size === 0
        ? undefined
        : `must be a multiple of ${size} B, a whole number of ${s.dtype} elements`;
    },
    first: (s) => DTYPE_INFO[s.dtype].bytes,
    write: sizeText,
  },
  redop: { read: oneOf('redop', REDOPS), write: String },
  alpha: {
    read: (t) => {
      if (t === '') return ok(undefined);
      if (t.trim().startsWith('-')) {
        return fail(`alpha '${t}' must be a time >= 0: 500ns, 1.5us, 2ms or seconds (5e-6)`);
      }
      const read = units('alpha', t, parseTime);
      return read.value !== undefined && read.value > maxAlpha
        ? fail(`alpha '${t}' must be at most ${maxAlpha} s (a link's latency)`)
        : read;
    },
    write: (v) => (v === undefined ? '' : timeText(v)),
  },
  beta: {
    read: (t) => {
      if (t === '') return ok(undefined);
      const read = units('beta', t, parseBandwidth);
      return read.value !== undefined && (read.value < minBeta || read.value > maxBeta)
        ? fail(`beta '${t}' must be from 1kB/s to 1e3TB/s (${minBeta} to ${maxBeta} B/s)`)
        : read;
    },
    write: (v) => (v === undefined ? '' : bandwidthText(v)),
  },
  step: {
    read: (t) => {
      const value = Number(t);
      return /^\d+$/.test(t.trim()) && Number.isSafeInteger(value)
        ? ok(value)
        : fail(`step '${t}' must be a whole number >= 0 (0: before the first step)`);
    },
    write: String,
  },
  speed: {
    read: (t) => {
      const value = decimalNumber(t);
      return value !== undefined && value >= minSpeed && value <= maxSpeed
        ? ok(value)
        : fail(`speed '${t}' must be a number of steps per second from ${minSpeed} to ${maxSpeed}`);
    },
    write: String,
  },
  hide: {
    // Unknown names are dropped one by one, so a typo hides all the other controls it names.
    read: (t) => {
      const names = t
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n !== '');
      const known = names.filter((n): n is Control => (CONTROLS as readonly string[]).includes(n));
      return {
        value: [...new Set(known)],
        errors: names
          .filter((n) => !known.includes(n as Control))
          .map((n) => `hide '${n}' is not a control (controls: ${CONTROLS.join(', ')}); ignored`),
      };
    },
    write: (v) => v.join(','),
  },
};

function algorithmsOf(collective: Collective): string[] {
  return Object.keys(ALGORITHMS[collective]);
}
