// What every page's URL state shares: the hash's key=value pairs, and whether a fabric preset
// can hold a rank count. Each page's own fields (collectives/url-fields.ts,
// tensor-parallel/state.ts, kv-cache/state.ts) build on these.
import { fabricPreset } from '../../fabric/fabric-presets.ts';

/**
 * The key=value pairs of a hash ('#a=1&b=2', with or without '#'); a repeated key's last wins.
 * Bad percent-encoding and keys not in `keys` add one sentence each to `errors`.
 */
export function readHashPairs(
  hash: string,
  keys: readonly string[],
  errors: string[],
): Map<string, string> {
  const pairs = new Map<string, string>();
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
    if (keys.includes(key)) pairs.set(key, value);
    else errors.push(`unknown key '${key}' (keys: ${keys.join(', ')}); ignored`);
  }
  return pairs;
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
