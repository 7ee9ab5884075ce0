// The collectives page's state in the URL hash: round trips, defaults, presets, and one error
// (naming key, value and what is allowed) with a kept value for each kind of junk.
import { describe, expect, it } from 'vitest';
import { parseBandwidth, parseByteSize, parseTime } from '../../src/model/units-parse.ts';
import { VIEW_PRESETS } from '../../src/view/collectives/presets.ts';
import { CONTROLS, DEFAULT_STATE, type ViewState } from '../../src/view/collectives/state.ts';
import { parseState, serializeState } from '../../src/view/collectives/url-state.ts';
import { bandwidthText, sizeText, timeText } from '../../src/view/common/url-format.ts';

/** Every field away from its default. */
const EVERYTHING: ViewState = {
  preset: '',
  collective: 'reducescatter',
  algorithm: 'rhd',
  ranks: 16,
  bytes: 64 * 2 ** 10,
  dtype: 'int32',
  redop: 'max',
  fabric: 'torus-ib',
  alpha: 1.5e-6,
  beta: 50e9,
  step: 7,
  speed: 2.5,
  hide: ['fabric', 'alpha', 'beta'],
};

describe('parseState and serializeState round-trip', () => {
  it('a state with every field set, short and with { all: true }', () => {
    const hash = serializeState(EVERYTHING);
    expect(hash).toBe(
      '#collective=reducescatter&algorithm=rhd&ranks=16&fabric=torus-ib&dtype=int32&bytes=64K' +
        '&redop=max&alpha=1.5us&beta=50GB/s&step=7&speed=2.5&hide=fabric,alpha,beta',
    );
    expect(parseState(hash)).toEqual({ state: EVERYTHING, errors: [] });
    const all = serializeState(EVERYTHING, { all: true });
    expect(parseState(all)).toEqual({ state: EVERYTHING, errors: [] });
    // Canonical: writing what was read gives the same text.
    expect(serializeState(parseState(all).state, { all: true })).toBe(all);
  });

  it('the default state is the empty hash, and every key when asked', () => {
    expect(serializeState(DEFAULT_STATE)).toBe('');
    expect(parseState('')).toEqual({ state: DEFAULT_STATE, errors: [] });
    expect(parseState('#')).toEqual({ state: DEFAULT_STATE, errors: [] });
    const all = serializeState(DEFAULT_STATE, { all: true });
    expect(all).toBe(
      '#preset=textbook-ring&collective=allreduce&algorithm=ring&ranks=4&fabric=nvlink-ring' +
        '&dtype=float&bytes=16&redop=sum&step=0&speed=1',
    );
    expect(parseState(all)).toEqual({ state: DEFAULT_STATE, errors: [] });
  });

  it.each(VIEW_PRESETS.map((p) => [p.name, p] as const))('preset %s', (name, preset) => {
    const shown = { ...preset.state, step: 3, hide: ['alpha' as const] };
    const hash = serializeState(shown);
    expect(hash.startsWith(name === DEFAULT_STATE.preset ? '#step=3' : `#preset=${name}&`)).toBe(
      true,
    );
    expect(parseState(hash)).toEqual({ state: shown, errors: [] });
    expect(parseState(serializeState(shown, { all: true }))).toEqual({ state: shown, errors: [] });
  });

  it('preset none with the default scene says so, and reads back as none', () => {
    const none = { ...DEFAULT_STATE, preset: '' };
    expect(serializeState(none)).toBe('#preset=');
    expect(parseState('#preset=')).toEqual({ state: none, errors: [] });
  });

  it('percent-encodes what needs it and leaves / and , readable', () => {
    const hash = serializeState({ ...DEFAULT_STATE, beta: 12.5e9, hide: ['alpha', 'beta'] });
    expect(hash).toBe('#beta=12.5GB/s&hide=alpha,beta');
    expect(parseState('#beta=12.5GB%2Fs&hide=alpha%2Cbeta').state.beta).toBe(12.5e9);
  });
});

describe('parseState reads sizes, times and bandwidths as people write them', () => {
  it.each([
    ['16', 16],
    ['4K', 4096],
    ['1M', 2 ** 20],
    ['1MB', 1e6],
    ['1MiB', 2 ** 20],
    ['512KiB', 2 ** 19],
  ])('bytes=%s is %i B', (text, bytes) => {
    expect(parseState(`#bytes=${text}`)).toMatchObject({ state: { bytes }, errors: [] });
  });

  it.each([
    ['500ns', 500e-9],
    ['1.5us', 1.5e-6],
    ['2ms', 2e-3],
    ['5e-6', 5e-6],
    ['0', 0],
  ])('alpha=%s is %d s', (text, alpha) => {
    expect(parseState(`#alpha=${text}`)).toMatchObject({ state: { alpha }, errors: [] });
  });

  it.each([
    ['50GB/s', 50e9],
    ['400Gbps', 50e9],
    ['140e9', 140e9],
  ])('beta=%s is %d B/s', (text, beta) => {
    expect(parseState(`#beta=${text}`)).toMatchObject({ state: { beta }, errors: [] });
  });

  it('an empty alpha or beta is the fabric’s own', () => {
    const { state, errors } = parseState('#alpha=&beta=');
    expect(errors).toEqual([]);
    expect(state.alpha).toBeUndefined();
    expect(state.beta).toBeUndefined();
  });
});

describe('presets in the URL', () => {
  it('applies the preset, then the keys; a scene key that differs clears the preset', () => {
    const { state, errors } = parseState('#preset=ring-vs-tree-64&algorithm=ring');
    expect(errors).toEqual([]);
    expect(state).toMatchObject({ preset: '', algorithm: 'ring', ranks: 64, fabric: '100gbe' });
  });

  it('keeps the preset for step, speed and hide, and for keys equal to its own', () => {
    const { state } = parseState('#preset=ring-vs-tree-64&ranks=64&step=4&speed=8&hide=ranks');
    expect(state).toMatchObject({ preset: 'ring-vs-tree-64', step: 4, speed: 8, hide: ['ranks'] });
  });

  it('without a preset key starts from the default one; any scene change clears it', () => {
    expect(parseState('#step=2').state.preset).toBe('textbook-ring');
    expect(parseState('#ranks=8').state.preset).toBe('');
    expect(serializeState(parseState('#ranks=8').state)).toBe('#ranks=8');
  });

  it('a collective alone takes its first algorithm without an error', () => {
    expect(parseState('#collective=alltoall')).toMatchObject({
      state: { collective: 'alltoall', algorithm: 'pairwise' },
      errors: [],
    });
  });
});

describe('junk in the URL: one error each, naming key, value and what is allowed', () => {
  /** [hash, the one error, the field and the value it keeps] */
  const cases: [string, string, keyof ViewState, unknown][] = [
    [
      '#collective=allredux',
      "collective 'allredux' is not one of allreduce, reducescatter, allgather, broadcast, reduce, alltoall; keeping allreduce",
      'collective',
      'allreduce',
    ],
    [
      '#algorithm=pairwise',
      "algorithm 'pairwise' is not an algorithm of allreduce (have: ring, tree,",
      'algorithm',
      'ring',
    ],
    ['#ranks=100', "ranks '100' must be a whole number from 1 to 64; keeping 4", 'ranks', 4],
    ['#ranks=0', "ranks '0' must be a whole number from 1 to 64; keeping 4", 'ranks', 4],
    ['#ranks=4.5', "ranks '4.5' must be a whole number from 1 to 64; keeping 4", 'ranks', 4],
    ['#bytes=lots', "bytes 'lots' is not a size: use B, kB/MB/GB/TB", 'bytes', 16],
    ['#bytes=-4', "bytes '-4' is not a size", 'bytes', 16],
    [
      '#bytes=10',
      "bytes '10' must be a multiple of 4 B, a whole number of float elements; keeping 16",
      'bytes',
      16,
    ],
    ['#bytes=2M', "bytes '2M' must be from 4 B to 1M (1048576 B); keeping 16", 'bytes', 16],
    [
      '#alpha=-1us',
      "alpha '-1us' must be a time >= 0: 500ns, 1.5us, 2ms or seconds (5e-6); keeping the fabric's own",
      'alpha',
      undefined,
    ],
    ['#alpha=soon', "alpha 'soon' is not a time: use s, ms, us, ns or ps", 'alpha', undefined],
    ['#beta=0', "beta '0' must be more than 0 B/s; keeping the fabric's own", 'beta', undefined],
    ['#beta=-5GB/s', "beta '-5GB/s' is not a bandwidth", 'beta', undefined],
    [
      '#fabric=token-ring',
      "fabric 'token-ring' is not one of nvswitch, nvlink-ring, pcie4, ib-ndr, 100gbe, torus-ib, dgx-h100; keeping nvlink-ring",
      'fabric',
      'nvlink-ring',
    ],
    [
      '#ranks=12&fabric=dgx-h100',
      "fabric 'dgx-h100' cannot hold 12 ranks (dgx-h100 needs ranks <= 8 or a multiple of 8, not 12); keeping nvlink-ring",
      'fabric',
      'nvlink-ring',
    ],
    ['#dtype=half', "dtype 'half' is not one of float, int32; keeping float", 'dtype', 'float'],
    ['#redop=avg', "redop 'avg' is not one of sum, prod, max, min; keeping sum", 'redop', 'sum'],
    [
      '#step=-1',
      "step '-1' must be a whole number >= 0 (0: before the first step); keeping 0",
      'step',
      0,
    ],
    ['#step=2.5', "step '2.5' must be a whole number >= 0", 'step', 0],
    [
      '#speed=0',
      "speed '0' must be a number of steps per second from 0.1 to 60; keeping 1",
      'speed',
      1,
    ],
    ['#speed=fast', "speed 'fast' must be a number of steps per second", 'speed', 1],
    [
      '#preset=lecture-9',
      "preset 'lecture-9' is not one of textbook-ring, ring-vs-tree-64, hierarchical-8x8, latency-bound, bandwidth-bound; keeping textbook-ring",
      'preset',
      'textbook-ring',
    ],
    [
      '#hide=fabric,bogus',
      `hide 'bogus' is not a control (controls: ${CONTROLS.join(', ')}); ignored`,
      'hide',
      ['fabric'],
    ],
    [
      '#colour=red',
      "unknown key 'colour' (keys: preset, collective, algorithm, ranks, fabric, dtype, bytes, redop, alpha, beta, step, speed, hide); ignored",
      'ranks',
      4,
    ],
    [
      '#bytes=%E0%A4%A',
      "'bytes=%E0%A4%A' in the URL is not valid percent-encoding; ignored",
      'bytes',
      16,
    ],
  ];

  it.each(cases)('%s', (hash, error, field, kept) => {
    const { state, errors } = parseState(hash);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(error);
    expect(state[field]).toEqual(kept);
  });

  it('junk in every key at once: an error each, and the defaults kept', () => {
    const junk =
      '#preset=lecture-9&collective=allredux&algorithm=pairwise&ranks=100&fabric=token-ring' +
      '&dtype=half&bytes=lots&redop=avg&alpha=-1us&beta=0&step=-1&speed=0&hide=bogus&colour=red';
    const { state, errors } = parseState(junk);
    expect(errors).toHaveLength(14);
    expect(state).toEqual(DEFAULT_STATE);
  });

  it('the good keys of a URL still apply beside a bad one', () => {
    expect(parseState('#ranks=abc&speed=4')).toMatchObject({ state: { ranks: 4, speed: 4 } });
  });

  it('keeps the previous state’s value for a bad key when given one', () => {
    const previous = parseState('#ranks=8&bytes=1K').state;
    const { state, errors } = parseState('#ranks=800&bytes=1K', previous);
    expect(state.ranks).toBe(8);
    expect(errors).toEqual(["ranks '800' must be a whole number from 1 to 64; keeping 8"]);
  });

  it('a bad algorithm keeps one that fits the collective the URL asks for', () => {
    const previous = parseState('#algorithm=tree').state;
    const { state } = parseState('#collective=alltoall&algorithm=nope', previous);
    expect(state.algorithm).toBe('pairwise');
  });
});

describe('URL number texts parse back to the very same number', () => {
  it.each([16, 4096, 2 ** 20, 1e6, 1536, 3 * 2 ** 30, 1000])('size %i', (bytes) => {
    expect(parseByteSize('bytes', sizeText(bytes))).toBe(bytes);
  });
  it('sizes read as people write them', () => {
    expect([16, 4096, 2 ** 20, 1e6, 1536].map(sizeText)).toEqual(['16', '4K', '1M', '1MB', '1536']);
  });

  it.each([0, 1.9e-6, 1.9 / 1e6, 5e-6, 1.5e-6, 500e-9, 2e-3, 1, 1 / 3, 7.3e-12])(
    'time %d s',
    (s) => {
      expect(parseTime('alpha', timeText(s))).toBe(s);
    },
  );
  it('times read as people write them', () => {
    expect([1.9e-6, 500e-9, 2e-3, 3].map(timeText)).toEqual(['1.9us', '500ns', '2ms', '3s']);
    // One ulp off 1.9 us has no short form: the exact number, as short as JavaScript prints it.
    expect(timeText(1.9 / 1e6)).toBe('1.8999999999999998e-6');
  });

  it.each([450e9, 12.5e9, 31.5e9, 50e9, 1, 123456789, 2 ** 30, 1 / 3])('bandwidth %d B/s', (b) => {
    expect(parseBandwidth('beta', bandwidthText(b))).toBe(b);
  });
  it('bandwidths read as people write them', () => {
    expect([450e9, 12.5e9, 25e6].map(bandwidthText)).toEqual(['450GB/s', '12.5GB/s', '25MB/s']);
  });
});
