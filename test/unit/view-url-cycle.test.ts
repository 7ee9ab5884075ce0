// The URL-state cycle every page's shell runs (src/view/common/url-cycle.ts), on each page's
// own codec: what a hash reads as, what is written back, one alert for a link's junk, and the
// guard that tells the page's own writes from the user's hash changes.
import { describe, expect, it } from 'vitest';
import type { ViewState } from '../../src/view/collectives/state.ts';
import { parseState, serializeState } from '../../src/view/collectives/url-state.ts';
import { type HashPlace, type UrlCodec, UrlCycle } from '../../src/view/common/url-cycle.ts';
import { parseKvState, serializeKvState } from '../../src/view/kv-cache/state.ts';
import {
  parseTpState,
  serializeTpState,
  type TpState,
} from '../../src/view/tensor-parallel/state.ts';

/** A hash held in a string, as location.hash holds it; `seen` records the cycle's guard at
 * each write (a hashchange fired by the write would be asked while it runs). */
function place(hash: string): HashPlace & { hash: string; foreignDuringWrite: boolean[] } {
  const p = {
    hash,
    foreignDuringWrite: [] as boolean[],
    cycle: undefined as UrlCycle<unknown> | undefined,
    read: () => p.hash,
    replace: (h: string) => {
      p.hash = h;
      if (p.cycle) p.foreignDuringWrite.push(p.cycle.isForeign());
    },
  };
  return p;
}

const alertOf = (errors: readonly string[]) => `bad link:\n${errors.join('\n')}`;

const CODECS: [string, UrlCodec<never>, string][] = [
  [
    'collectives',
    {
      parse: parseState,
      serialize: (s: ViewState) => serializeState(s),
    } as unknown as UrlCodec<never>,
    '#preset=latency-bound&step=2',
  ],
  [
    'tensor-parallel',
    {
      parse: parseTpState,
      serialize: (s: TpState) => serializeTpState(s),
    } as unknown as UrlCodec<never>,
    '#preset=row-parallel-4&step=1&speed=2',
  ],
  [
    'kv-cache',
    { parse: parseKvState, serialize: serializeKvState } as unknown as UrlCodec<never>,
    '#preset=continuous-cv1&step=2',
  ],
];

describe.each(CODECS)('the URL cycle on the %s page', (_, codec, link) => {
  it('reads a good link without an alert and writes the same link back', () => {
    const where = place(link);
    const cycle = new UrlCycle(codec, where, alertOf);
    const read = cycle.read();
    expect(read.alert).toBeUndefined();
    cycle.write(read.state);
    expect(where.hash).toBe(link);
  });

  it('junk gives one alert naming every bad value, and the state keeps a usable value', () => {
    const where = place(`${link}&nonsense=1&speed=fast`);
    const cycle = new UrlCycle(codec, where, alertOf);
    const read = cycle.read();
    expect(read.alert?.split('\n')[0]).toBe('bad link:');
    expect(read.alert).toMatch(/nonsense/);
    expect(read.alert).toMatch(/speed 'fast'/);
    // What is written back is a good link: it reads without an alert.
    cycle.write(read.state);
    expect(new UrlCycle(codec, where, alertOf).read().alert).toBeUndefined();
  });

  it('the empty hash is the default state, written back as a hash', () => {
    const where = place('');
    const cycle = new UrlCycle(codec, where, alertOf);
    const read = cycle.read();
    expect(read.alert).toBeUndefined();
    cycle.write(read.state);
    expect(where.hash.startsWith('#')).toBe(true);
    expect(codec.parse(where.hash).state).toEqual(read.state);
  });
});

describe('the write guard', () => {
  it("a change during the cycle's own write is not foreign; any other is", () => {
    const [, codec, link] = CODECS[0] as (typeof CODECS)[0];
    const where = place(link);
    const cycle = new UrlCycle(codec, where, alertOf);
    (where as unknown as { cycle: UrlCycle<never> }).cycle = cycle;
    expect(cycle.isForeign()).toBe(true);
    cycle.write(cycle.read().state);
    expect(where.foreignDuringWrite).toEqual([false]);
    expect(cycle.isForeign()).toBe(true);
  });

  it('a failing write leaves the guard open', () => {
    const codec: UrlCodec<number> = {
      parse: () => ({ state: 1, errors: [] }),
      serialize: () => {
        throw new Error('no');
      },
    };
    const cycle = new UrlCycle(codec, place(''), alertOf);
    expect(() => cycle.write(1)).toThrow('no');
    expect(cycle.isForeign()).toBe(true);
  });

  it("a serializer's '' (the default state) is written as '#'", () => {
    const where = place('#x=1');
    const codec: UrlCodec<number> = {
      parse: () => ({ state: 0, errors: [] }),
      serialize: () => '',
    };
    new UrlCycle(codec, where, alertOf).write(0);
    expect(where.hash).toBe('#');
  });
});
