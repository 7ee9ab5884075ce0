// The tensor-parallel page's URL state: round trips, short links, presets that build, and one
// error line (with a kept value) for each junk value.
import { describe, expect, it } from 'vitest';
import { fabricPreset } from '../../src/fabric/fabric-presets.ts';
import { tensorParallel } from '../../src/plans/tensor-parallel.ts';
import {
  DEFAULT_TP_STATE,
  parseTpState,
  serializeTpState,
  TP_PRESETS,
  type TpPreset,
  type TpState,
} from '../../src/view/tensor-parallel/state.ts';

const EVERYTHING: TpState = {
  preset: '',
  layout: 'row',
  m: 16,
  k: 48,
  n: 40,
  comm: 'reducescatter',
  algorithm: 'rhd',
  ranks: 2,
  fabric: 'ib-ndr',
  step: 3,
  speed: 2.5,
};

describe('parseTpState and serializeTpState', () => {
  it('round-trip a state with every field set, short and with { all: true }', () => {
    const hash = serializeTpState(EVERYTHING);
    expect(hash).toBe(
      '#layout=row&m=16&k=48&n=40&comm=reducescatter&algorithm=rhd&ranks=2&fabric=ib-ndr&step=3&speed=2.5',
    );
    expect(parseTpState(hash)).toEqual({ state: EVERYTHING, errors: [] });
    const all = serializeTpState(EVERYTHING, { all: true });
    expect(all.startsWith('#preset=&')).toBe(true);
    expect(parseTpState(all)).toEqual({ state: EVERYTHING, errors: [] });
    expect(serializeTpState(parseTpState(all).state, { all: true })).toBe(all);
  });

  it('the default state is the empty hash', () => {
    expect(serializeTpState(DEFAULT_TP_STATE)).toBe('');
    expect(parseTpState('')).toEqual({ state: DEFAULT_TP_STATE, errors: [] });
    expect(parseTpState('#')).toEqual({ state: DEFAULT_TP_STATE, errors: [] });
  });

  it.each(TP_PRESETS.map((p) => [p.name, p] as const))(
    'preset %s: short link, round trip',
    (name, p) => {
      const shown = { ...p.state, step: 2 };
      const hash = serializeTpState(shown);
      expect(hash).toBe(name === DEFAULT_TP_STATE.preset ? '#step=2' : `#preset=${name}&step=2`);
      expect(parseTpState(hash)).toEqual({ state: shown, errors: [] });
      expect(parseTpState(serializeTpState(shown, { all: true }))).toEqual({
        state: shown,
        errors: [],
      });
    },
  );

  it('an edited preset writes only what differs from the default, and drops the name', () => {
    const edited = { ...(TP_PRESETS[2] as TpPreset).state, ranks: 2 };
    const { state } = parseTpState(serializeTpState(edited));
    expect(state).toEqual({ ...edited, preset: '' });
    expect(parseTpState('#preset=row-parallel-4&ranks=2').state.preset).toBe('');
  });

  it('a scene equal to the default but marked as none keeps preset=', () => {
    const none = { ...DEFAULT_TP_STATE, preset: '' };
    expect(serializeTpState(none)).toBe('#preset=');
    expect(parseTpState('#preset=').state).toEqual(none);
  });

  it.each([
    [
      '#layout=diagonal',
      /layout 'diagonal' is not one of column, row, mlp, attention; keeping mlp/,
    ],
    ['#m=4096', /m '4096' must be a whole number from 1 to 512 .*cap.*; keeping 32/],
    ['#k=-3', /k '-3' must be a whole number from 1 to 512/],
    ['#n=lots', /n 'lots' must be a whole number/],
    [
      '#comm=allgather',
      /comm 'allgather' is not how a mlp layer ends \(allreduce or reducescatter\); keeping allreduce/,
    ],
    [
      '#algorithm=teleport',
      /algorithm 'teleport' is not an algorithm of allreduce .*; keeping ring/,
    ],
    ['#ranks=3', /ranks '3' does not fit: .*n must be a multiple of 3.*; keeping 4/],
    ['#ranks=99', /ranks '99' must be a whole number from 1 to 16; keeping 4/],
    ['#fabric=warp', /fabric 'warp' is not one of .*; keeping nvswitch/],
    ['#step=-1', /step '-1' must be a whole number/],
    ['#speed=fast', /speed 'fast' must be steps per second/],
    ['#preset=nope', /preset 'nope' is not one of .*; keeping megatron-mlp-4/],
    ['#colour=red', /unknown key 'colour'/],
  ])('junk %s: one error, the default kept', (hash, message) => {
    const { state, errors } = parseTpState(hash);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
    expect(() => tensorParallel(state)).not.toThrow();
    expect({ ...state, preset: DEFAULT_TP_STATE.preset }).toEqual(DEFAULT_TP_STATE);
  });

  it('several junk values give one line each and keep the rest', () => {
    const { state, errors } = parseTpState('#layout=row&m=0&ranks=lots&fabric=warp&n=64');
    expect(errors).toHaveLength(3);
    expect(state).toMatchObject({ layout: 'row', m: 32, ranks: 4, n: 64, fabric: 'nvswitch' });
  });

  it('a layout brings its own collective without a word; a shape the preset ranks cannot split says so', () => {
    expect(parseTpState('#layout=column')).toEqual({
      state: { ...DEFAULT_TP_STATE, preset: '', layout: 'column', comm: 'none' },
      errors: [],
    });
    const { state, errors } = parseTpState('#n=6');
    expect(errors).toEqual([expect.stringMatching(/^ranks 4 does not fit: .*; using 3$/)]);
    expect(state.ranks).toBe(3);
  });

  it('a bad value keeps the page previous value where it fits', () => {
    const previous = { ...DEFAULT_TP_STATE, ranks: 8 };
    expect(parseTpState('#ranks=5', previous).state.ranks).toBe(8);
  });
});

describe('presets', () => {
  it('have distinct names, build their layer and fit their fabric', () => {
    expect(new Set(TP_PRESETS.map((p) => p.name)).size).toBe(TP_PRESETS.length);
    expect(TP_PRESETS.length).toBeGreaterThanOrEqual(4);
    for (const p of TP_PRESETS) {
      expect(p.state.preset).toBe(p.name);
      expect(() => tensorParallel(p.state)).not.toThrow();
      expect(() => fabricPreset(p.state.fabric).build(p.state.ranks)).not.toThrow();
      expect(p.description.length).toBeGreaterThan(40);
    }
    const names = TP_PRESETS.map((p) => p.name);
    for (const want of ['megatron-mlp-8', 'row-parallel-4', 'column-no-comm']) {
      expect(names).toContain(want);
    }
    expect(TP_PRESETS.some((p) => p.state.fabric === '100gbe')).toBe(true);
  });
});
