// Every page's URL state under random and hostile hashes (issue 11, item 5), property-based
// with fast-check so a failure shrinks to the smallest hash that shows it. For each page:
//
// - whatever the hash (garbage, huge numbers, unicode, bad percent-encoding, repeated keys),
//   the parser returns a state and error lines; it never throws, and never loops;
// - the state it returns is valid: written out (short and with every key) and read back it is
//   the same state, with no error;
// - nothing is silently reinterpreted: when the parser reports no error, every key the hash
//   gave holds exactly what its text says (as a reference reading here, independent of the
//   page's own fields, says it): no clamping, no hex, no '4.0' taken for a whole number;
// - a repeated key, an unknown key and a value out of range each give an error naming it.
//
// The shell's own key (present=1, common/url-cycle.ts) is fuzzed through UrlCycle.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FABRIC_PRESETS } from '../../src/fabric/fabric-presets.ts';
import { parseBandwidth, parseByteSize, parseTime } from '../../src/model/units-parse.ts';
import { DTYPES, REDOPS } from '../../src/plans/dtype.ts';
import { COLLECTIVES, LAYOUTS } from '../../src/plans/plan.ts';
import { ALGORITHMS } from '../../src/plans/registry.ts';
import { SCHEDULES } from '../../src/plans/training/schedules.ts';
import { VIEW_PRESETS } from '../../src/view/collectives/presets.ts';
import { CONTROLS, VIEW_LIMITS, type ViewState } from '../../src/view/collectives/state.ts';
import { parseState, serializeState, URL_KEYS } from '../../src/view/collectives/url-state.ts';
import { UrlCycle } from '../../src/view/common/url-cycle.ts';
import {
  EXPERTS_LIMITS,
  EXPERTS_PRESETS,
  EXPERTS_STATE,
  type ExpertsState,
  parseExpertsState,
  serializeExpertsState,
} from '../../src/view/experts/state.ts';
import {
  KV_LIMITS,
  KV_PRESETS,
  KV_URL_KEYS,
  type KvState,
  parseKvState,
  serializeKvState,
} from '../../src/view/kv-cache/state.ts';
import {
  parseTpState,
  serializeTpState,
  TP_LIMITS,
  TP_PRESETS,
  TP_URL_KEYS,
  type TpState,
} from '../../src/view/tensor-parallel/state.ts';
import {
  parseTrainingState,
  serializeTrainingState,
  TRAINING_LIMITS,
  TRAINING_PRESETS,
  TRAINING_URL_KEYS,
  type TrainingState,
} from '../../src/view/training/state.ts';

const RUNS = 400;

/** Texts that have broken parsers before: edges of number syntax, unicode, huge values. */
const NASTY = [
  '',
  ' ',
  '0',
  '-0',
  '-1',
  '+4',
  '4.0',
  '4.',
  '.5',
  '1e1',
  '1e400',
  '1e-400',
  '-1e-9',
  '0x10',
  '0b1',
  '0o7',
  '1_000',
  '1,5',
  'Infinity',
  '-Infinity',
  'NaN',
  'null',
  'undefined',
  'true',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '9'.repeat(40),
  '9'.repeat(400),
  String(Number.MAX_SAFE_INTEGER + 2),
  String(2 ** 32),
  '\u0664', // Arabic-Indic four
  '\uff14', // fullwidth four
  '4\u200b', // with a zero-width space
  '\u00a04',
  '🙂',
  'é',
  '\u0000',
  '%',
  '%zz',
  '&',
  '=',
  '#',
  '1us',
  '1µs',
  '1e308TB/s',
  '1e300',
  '1e20s',
  '5e-324',
  'ring',
  'nvswitch',
];

const hostile = fc.oneof(
  fc.constantFrom(...NASTY),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.integer().map(String),
  fc.double().map(String),
  fc.bigInt().map(String),
  fc.nat(1000).map(String),
);

/** A page's URL keys and, per key, texts a user would write (valid or near it). */
interface Page<S> {
  readonly name: string;
  readonly keys: readonly string[];
  readonly samples: Readonly<Record<string, readonly string[]>>;
  parse(hash: string, previous?: S): { readonly state: S; readonly errors: readonly string[] };
  /** Every way the page writes a state (short, and with every key where it can). */
  serialize(state: S): readonly string[];
  /** What `text` for `key` means, read independently of the page; undefined: not valid. */
  meaning(key: string, text: string): unknown;
  /** The state's value for `key`, compared with meaning(). */
  value(state: S, key: string): unknown;
}

const WHOLE = /^\s*\d+\s*$/;
const DECIMAL = /^\s*\+?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i;
const whole = (text: string) => (WHOLE.test(text) ? Number(text) : undefined);
const decimal = (text: string) => (DECIMAL.test(text) ? Number(text) : undefined);
const tryRead = (read: () => unknown) => {
  try {
    return read();
  } catch {
    return undefined;
  }
};
const names = (list: readonly string[]) => (text: string) =>
  list.includes(text) ? text : undefined;
const FABRICS = FABRIC_PRESETS.map((f) => f.name);
const range = ([min, max]: readonly [number, number]) => [
  String(min),
  String(max),
  String(min - 1),
  String(max + 1),
  String((min + max) / 2),
];

const collectives: Page<ViewState> = {
  name: 'collectives',
  keys: URL_KEYS,
  samples: {
    preset: VIEW_PRESETS.map((p) => p.name),
    collective: COLLECTIVES,
    algorithm: [...new Set(Object.values(ALGORITHMS).flatMap((a) => Object.keys(a)))],
    ranks: range([VIEW_LIMITS.minRanks, VIEW_LIMITS.maxRanks]),
    fabric: FABRICS,
    dtype: DTYPES,
    bytes: ['4', '16', '64K', '1M', '1MiB', '2M', '3', '1kB', '1.5K'],
    redop: REDOPS,
    alpha: ['', '500ns', '1.5us', '2ms', '5e-6', '0', '2s'],
    beta: ['', '50GB/s', '400Gbps', '1e9', '0', '12.5GBps'],
    step: ['0', '1', '3', '100', '99999'],
    speed: range([VIEW_LIMITS.minSpeed, VIEW_LIMITS.maxSpeed]),
    hide: [...CONTROLS, 'fabric,alpha', 'preset,speed', ',', 'nonsense', 'alpha,alpha'],
  },
  parse: parseState,
  serialize: (s) => [serializeState(s), serializeState(s, { all: true })],
  meaning: (key, text) => {
    switch (key) {
      case 'preset':
        return text;
      case 'collective':
        return names(COLLECTIVES)(text);
      case 'fabric':
        return names(FABRICS)(text);
      case 'dtype':
        return names(DTYPES)(text);
      case 'redop':
        return names(REDOPS)(text);
      case 'algorithm':
        return text;
      case 'ranks':
      case 'step':
        return whole(text);
      case 'speed':
        return decimal(text);
      case 'bytes':
        return tryRead(() => parseByteSize('bytes', text));
      case 'alpha':
        return text === '' ? undefined : tryRead(() => parseTime('alpha', text));
      case 'beta':
        return text === '' ? undefined : tryRead(() => parseBandwidth('beta', text));
      case 'hide':
        return [
          ...new Set(
            text
              .split(',')
              .map((n) => n.trim())
              .filter((n) => n !== ''),
          ),
        ]
          .sort()
          .join(',');
      default:
        throw new Error(`no key ${key}`);
    }
  },
  value: (s, key) => (key === 'hide' ? [...s.hide].sort().join(',') : s[key as keyof ViewState]),
};

const tensorParallel: Page<TpState> = {
  name: 'tensor-parallel',
  keys: TP_URL_KEYS,
  samples: {
    preset: TP_PRESETS.map((p) => p.name),
    layout: LAYOUTS,
    m: range([TP_LIMITS.minDim, TP_LIMITS.maxDim]),
    k: ['64', '32', '8', '7', '128', ...range([TP_LIMITS.minDim, TP_LIMITS.maxDim])],
    n: ['128', '64', '8', '12', ...range([TP_LIMITS.minDim, TP_LIMITS.maxDim])],
    comm: ['none', 'allreduce', 'reducescatter', 'allgather'],
    algorithm: ['ring', 'tree', 'rhd', 'direct', 'dbtree'],
    ranks: ['1', '2', '4', '8', ...range([TP_LIMITS.minRanks, TP_LIMITS.maxRanks])],
    fabric: FABRICS,
    step: ['0', '1', '5', '1000'],
    speed: range([TP_LIMITS.minSpeed, TP_LIMITS.maxSpeed]),
  },
  parse: parseTpState,
  serialize: (s) => [serializeTpState(s), serializeTpState(s, { all: true })],
  meaning: (key, text) => {
    switch (key) {
      case 'preset':
      case 'comm':
      case 'algorithm':
        return text;
      case 'layout':
        return names(LAYOUTS)(text);
      case 'fabric':
        return names(FABRICS)(text);
      case 'm':
      case 'k':
      case 'n':
      case 'ranks':
      case 'step':
        return whole(text);
      case 'speed':
        return decimal(text);
      default:
        throw new Error(`no key ${key}`);
    }
  },
  value: (s, key) => s[key as keyof TpState],
};

const kvCache: Page<KvState> = {
  name: 'kv-cache',
  keys: KV_URL_KEYS,
  samples: {
    preset: KV_PRESETS.map((p) => p.name),
    scheduler: ['static', 'continuous'],
    ...Object.fromEntries(
      Object.entries(KV_LIMITS).map(([key, limits]) => [key, range(limits)] as const),
    ),
  },
  parse: (hash) => parseKvState(hash),
  serialize: (s) => [serializeKvState(s)],
  meaning: (key, text) => {
    if (key === 'preset' || key === 'scheduler') return text;
    return key === 'rate' || key === 'cv' || key === 'speed' ? decimal(text) : whole(text);
  },
  value: (s, key) => s[key as keyof KvState],
};

const training: Page<TrainingState> = {
  name: 'training',
  keys: TRAINING_URL_KEYS,
  samples: {
    preset: TRAINING_PRESETS.map((p) => p.name),
    mode: ['dp', 'pp'],
    schedule: SCHEDULES,
    fabric: FABRICS,
    ...Object.fromEntries(
      Object.entries(TRAINING_LIMITS).map(([key, limits]) => [key, range(limits)] as const),
    ),
  },
  parse: (hash) => parseTrainingState(hash),
  serialize: (s) => [serializeTrainingState(s)],
  meaning: (key, text) => {
    if (['preset', 'mode', 'schedule', 'fabric'].includes(key)) return text;
    return key === 'speed' ? decimal(text) : whole(text);
  },
  value: (s, key) => s[key as keyof TrainingState],
};

const experts: Page<ExpertsState> = {
  name: 'experts',
  keys: EXPERTS_STATE.keys,
  samples: {
    preset: EXPERTS_PRESETS.map((p) => p.name),
    fabric: FABRICS,
    algo: ['pairwise', 'direct'],
    ...Object.fromEntries(
      Object.entries(EXPERTS_LIMITS).map(([key, limits]) => [key, range(limits)] as const),
    ),
  },
  parse: (hash) => parseExpertsState(hash),
  serialize: (s) => [serializeExpertsState(s)],
  meaning: (key, text) => {
    if (['preset', 'fabric', 'algo'].includes(key)) return text;
    return ['capacity', 'skew', 'speed'].includes(key) ? decimal(text) : whole(text);
  },
  value: (s, key) => s[key],
};

/** A key=value pair as decoded text: a page's key (or not) with a sample or hostile value. */
function pairs(page: Page<unknown>) {
  const known = fc.constantFrom(...page.keys);
  const pair = fc.oneof(
    { weight: 4, arbitrary: known.chain((k) => fc.tuple(fc.constant(k), value(page, k))) },
    { weight: 1, arbitrary: fc.tuple(fc.oneof(hostile, fc.constant('present')), hostile) },
  );
  return fc.array(pair, { maxLength: 8 });
}

function value(page: Page<unknown>, key: string) {
  const samples = page.samples[key] ?? [];
  return samples.length > 0
    ? fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...samples) },
        { weight: 1, arbitrary: hostile },
      )
    : hostile;
}

/** The hash a browser would hold for these pairs: each part percent-encoded one way or another. */
const encoded = (list: readonly (readonly [string, string])[], hashSign: boolean) =>
  `${hashSign ? '#' : ''}${list.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`;

/** Raw text as a hash: unbalanced '%', stray '&' and '=', whatever a pasted link holds. */
const rawHash = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc
    .array(
      fc.oneof(hostile, fc.constantFrom('&', '=', '%', '%2', '%E0%A4%A', '%F0%9F', '#', '?')),
      {
        maxLength: 12,
      },
    )
    .map((parts) => parts.join('')),
);

function expectValid<S>(page: Page<S>, state: S): void {
  for (const hash of page.serialize(state)) {
    const again = page.parse(hash);
    expect(again.errors, `${page.name}: ${hash}`).toEqual([]);
    expect(again.state, `${page.name}: ${hash}`).toEqual(state);
  }
}

describe.each([collectives, tensorParallel, kvCache, training, experts] as Page<unknown>[])(
  '$name URL state',
  (page) => {
    it('never throws on raw junk, and what it returns is a valid state', () => {
      fc.assert(
        fc.property(rawHash, (hash) => {
          const { state, errors } = page.parse(hash);
          expect(Array.isArray(errors)).toBe(true);
          for (const e of errors) expect(typeof e === 'string' && e.length > 0).toBe(true);
          expectValid(page, state);
        }),
        { numRuns: RUNS },
      );
    });

    it('keys and values, sane and hostile: a valid state, and no error means every key holds what it says', () => {
      fc.assert(
        fc.property(pairs(page), fc.boolean(), (list, hashSign) => {
          const { state, errors } = page.parse(encoded(list, hashSign));
          expectValid(page, state);
          const given = new Map<string, string[]>();
          for (const [k, v] of list) given.set(k, [...(given.get(k) ?? []), v]);
          for (const [key, texts] of given) {
            if (!page.keys.includes(key)) {
              expect(
                errors.some((e) => e.includes(`'${key}'`)),
                `unknown ${key}`,
              ).toBe(true);
            } else if (texts.length > 1) {
              expect(
                errors.some((e) => e.includes(`${key} `)),
                `repeated ${key}`,
              ).toBe(true);
            }
          }
          if (errors.length > 0) return;
          for (const [key, [text]] of given) {
            const meant = page.meaning(key, text as string);
            const held = page.value(state, key);
            if (key === 'preset') {
              // An edited scene drops the preset's name (documented); it never becomes another.
              expect([text, ''], `preset '${text}'`).toContain(held);
            } else {
              expect(held, `${key} '${text}' read without an error`).toEqual(meant);
            }
          }
        }),
        { numRuns: RUNS },
      );
    });

    it('a state read from one hash is kept by a parse given it as previous', () => {
      fc.assert(
        fc.property(pairs(page), pairs(page), (a, b) => {
          const previous = page.parse(encoded(a, true)).state;
          const { state } = page.parse(encoded(b, true), previous);
          expectValid(page, state);
        }),
        { numRuns: RUNS / 4 },
      );
    });

    it('a hash of 100 000 characters is read in one pass, with its errors', () => {
      const long = `#${'ranks=4&'.repeat(6000)}${'%zz&'.repeat(6000)}x=${'9'.repeat(20_000)}`;
      const { state, errors } = page.parse(long);
      expectValid(page, state);
      expect(errors.length).toBeGreaterThan(0);
    });
  },
);

describe('out of range is reported, never clamped', () => {
  it.each([
    [
      'collectives',
      () => parseState('#ranks=65').errors,
      /ranks '65' must be a whole number from 1 to 64/,
    ],
    ['collectives', () => parseState('#speed=0x10').errors, /speed '0x10'/],
    ['collectives', () => parseState('#beta=1e308TB/s').errors, /beta '1e308TB\/s'/],
    ['collectives', () => parseState('#alpha=1e20s').errors, /alpha '1e20s'/],
    [
      'tensor-parallel',
      () => parseTpState('#m=513').errors,
      /m '513' must be a whole number from 1 to 512/,
    ],
    ['tensor-parallel', () => parseTpState('#speed=0x5').errors, /speed '0x5'/],
    ['kv-cache', () => parseKvState('#rate=0x10').errors, /rate '0x10'/],
    [
      'kv-cache',
      () => parseKvState('#blocks=513').errors,
      /blocks '513' must be a whole number from 4 to 512/,
    ],
  ] as const)('%s: %s', (_page, errorsOf, pattern) => {
    const errors = errorsOf();
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toMatch(pattern);
  });

  it('a key given twice is named, with the value used', () => {
    expect(parseState('#ranks=4&ranks=8').errors).toEqual([
      "ranks is given 2 times ('4', '8'); using the last, '8'",
    ]);
    expect(parseKvState('#seed=1&seed=2').errors.join()).toMatch(/seed is given 2 times/);
    expect(parseTpState('#m=8&m=16').errors.join()).toMatch(/m is given 2 times/);
  });
});

describe('UrlCycle and the shell key present', () => {
  const cycle = (hash: string) => {
    const where = {
      hash,
      read: () => where.hash,
      replace: (h: string) => {
        where.hash = h;
      },
    };
    return {
      where,
      cycle: new UrlCycle({ parse: parseKvState, serialize: serializeKvState }, where, (e) =>
        e.join('\n'),
      ),
    };
  };

  it('present=1 and present=0 are read, written back, and never reach the page', () => {
    const { where, cycle: c } = cycle('#preset=static-cv1&present=1');
    const read = c.read();
    expect(read.alert).toBeUndefined();
    expect(read.present).toBe(true);
    expect(read.state.preset).toBe('static-cv1');
    c.write(read.state);
    expect(where.hash).toBe('#preset=static-cv1&present=1');
    c.present = false;
    c.write(read.state);
    expect(where.hash).toBe('#preset=static-cv1');
    expect(cycle('#present=0').cycle.read().present).toBe(false);
    expect(cycle('#seed=2').cycle.read().present).toBeUndefined();
  });

  it('any other present value, or present twice, is an alert, never a silent mode', () => {
    fc.assert(
      fc.property(hostile, fc.nat(2), (text, extra) => {
        const hash = `#present=${encodeURIComponent(text)}${'&present=1'.repeat(extra)}`;
        const read = cycle(hash).cycle.read();
        if (extra === 0 && (text === '1' || text === '0')) {
          expect(read.alert).toBeUndefined();
          expect(read.present).toBe(text === '1');
        } else {
          expect(read.alert, hash).toMatch(/present/);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
