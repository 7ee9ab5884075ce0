// A page's URL state from a table: its presets, its choice keys and its number keys with their
// ranges. The rules are the other pages': preset=NAME first, the other keys override it; a link
// writes only what differs from its preset; a bad value is one error naming the key, the text
// and what is allowed, and the key keeps its earlier value; a state that runs differently from
// its preset is no longer that preset. (The training page writes the same rules out by hand;
// new pages use this.)
import { decimalNumber, readHashPairs } from './url-hash.ts';

export interface HashPreset<S> {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly state: S;
}

export interface HashStateSpec<S> {
  readonly presets: readonly HashPreset<S>[];
  readonly choices: Readonly<Record<string, readonly string[]>>;
  /** [min, max] of each number key. */
  readonly limits: Readonly<Record<string, readonly [number, number]>>;
  /** Number keys that take fractions (the others are whole numbers). */
  readonly decimal: readonly string[];
  /** Keys that do not change what is run (step, speed): a preset keeps its name when they move. */
  readonly view: readonly string[];
}

export interface HashState<S> {
  readonly keys: readonly string[];
  readonly defaults: S;
  parse(hash: string): { readonly state: S; readonly errors: readonly string[] };
  serialize(state: S): string;
  sameRun(a: S, b: S): boolean;
  preset(name: string): HashPreset<S> | undefined;
}

type Fields = Readonly<Record<string, string | number>>;

export function hashState<S extends Fields & { readonly preset: string }>(
  spec: HashStateSpec<S>,
): HashState<S> {
  const first = spec.presets[0];
  if (!first) throw new RangeError('a page needs a preset');
  const defaults = first.state;
  const keys = ['preset', ...Object.keys(spec.choices), ...Object.keys(spec.limits)];
  const runKeys = keys.slice(1).filter((k) => !spec.view.includes(k));
  const find = (name: string) => spec.presets.find((p) => p.name === name);
  const sameRun = (a: S, b: S) => runKeys.every((k) => a[k] === b[k]);
  const readNumber = (key: string, text: string): number | string => {
    const [min, max] = spec.limits[key] as readonly [number, number];
    const whole = !spec.decimal.includes(key);
    const v = whole ? (/^\s*\d+\s*$/.test(text) ? Number(text) : undefined) : decimalNumber(text);
    if (v !== undefined && v >= min && v <= max) return v;
    return `${key} '${text}' must be ${whole ? 'a whole number' : 'a number'} from ${min} to ${max}`;
  };
  return {
    keys,
    defaults,
    sameRun,
    preset: find,
    parse(hash) {
      const errors: string[] = [];
      const pairs = readHashPairs(hash, keys, errors);
      let state = defaults;
      const named = pairs.get('preset');
      if (named !== undefined) {
        const found = find(named);
        if (found) state = found.state;
        else if (named === '') state = { ...defaults, preset: '' };
        else {
          errors.push(
            `preset '${named}' is not one of ${spec.presets.map((p) => p.name).join(', ')}; keeping ${state.preset}`,
          );
        }
      }
      for (const [key, allowed] of Object.entries(spec.choices)) {
        const text = pairs.get(key);
        if (text === undefined) continue;
        if (allowed.includes(text)) state = { ...state, [key]: text };
        else
          errors.push(
            `${key} '${text}' must be one of ${allowed.join(', ')}; keeping ${state[key]}`,
          );
      }
      for (const key of Object.keys(spec.limits)) {
        const text = pairs.get(key);
        if (text === undefined) continue;
        const v = readNumber(key, text);
        if (typeof v === 'number') state = { ...state, [key]: v };
        else errors.push(`${v}; keeping ${state[key]}`);
      }
      const p = find(state.preset);
      if (p && !sameRun(p.state, state)) state = { ...state, preset: '' };
      return { state, errors };
    },
    serialize(state) {
      const from = find(state.preset)?.state ?? { ...defaults, preset: '' };
      const parts = [`preset=${encodeURIComponent(state.preset)}`];
      for (const key of keys.slice(1)) {
        if (state[key] !== from[key])
          parts.push(`${key}=${encodeURIComponent(String(state[key]))}`);
      }
      return `#${parts.join('&')}`;
    },
  };
}
