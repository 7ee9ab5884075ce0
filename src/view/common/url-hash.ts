// What every page's URL state shares: the hash's key=value pairs, and whether a fabric preset
// can hold a rank count. Each page's own fields (collectives/url-fields.ts,
// tensor-parallel/state.ts, kv-cache/state.ts) build on these.
import { fabricPreset } from '../../fabric/fabric-presets.ts';

/**
 * The key=value pairs of a hash ('#a=1&b=2', with or without '#'). Bad percent-encoding, keys
 * not in `keys` and a key given more than once add one sentence each to `errors` (a repeated
 * key's last value is used, and the sentence says so: a link is never read one way in silence).
 */
export function readHashPairs(
  hash: string,
  keys: readonly string[],
  errors: string[],
): Map<string, string> {
  const pairs = new Map<string, string>();
  const repeats = new Map<string, string[]>();
  for (const part of hash.replace(/^#/, '').split('&')) {
    if (part === '') continue;
    const at = part.indexOf('=');
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(at < 0 ? part : part.slice(0, at));
      value = at < 0 ? '' : decodeURIComponent(part.slice(at + 1));
    } catch {
      errors.push(`'${part}' in the URL is not valid percent-encoding; ignored`);
      continue;
    }
    if (!keys.includes(key)) {
      errors.push(`unknown key '${key}' (keys: ${keys.join(', ')}); ignored`);
      continue;
    }
    const before = pairs.get(key);
    if (before !== undefined) repeats.set(key, [...(repeats.get(key) ?? [before]), value]);
    pairs.set(key, value);
  }
  for (const [key, values] of repeats) {
    // A pasted link may repeat a key thousands of times: name the first few.
    const shown = values.slice(0, 4).map((v) => `'${v}'`);
    const texts = values.length > 4 ? `${shown.join(', ')}, ...` : shown.join(', ');
    errors.push(
      `${key} is given ${values.length} times (${texts}); using the last, '${values.at(-1)}'`,
    );
  }
  return pairs;
}

/**
 * A number written in decimal ('2', '0.5', '.5', '1e1'), or undefined. Number() alone would
 * also take '0x10', '0b1', 'Infinity' and '' (as 0): a link read that way means what its text
 * does not say.
 */
export function decimalNumber(text: string): number | undefined {
  if (!/^\s*\+?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?\s*$/i.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** Why fabric preset `name` cannot hold `ranks` (the end of a sentence), or undefined. */
export function fabricMisfit(name: string, ranks: number): string | undefined {
  try {
    fabricPreset(name).build(ranks);
    return undefined;
  } catch (e) {
    return `cannot hold ${ranks} ranks (${(e as Error).message})`;
  }
}
