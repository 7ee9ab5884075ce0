// The KV-cache page's pure parts: URL state (round trip, junk, presets) and the frames recorded
// from a run (one an iteration, no block owned twice, every block of a running request shown).
import { describe, expect, it } from 'vitest';
import { DEFAULT_DECODER, decoderWeights, weightBytes } from '../../src/exec/decoder/model.ts';
import { modelEngine } from '../../src/serving/engine.ts';
import { simulate } from '../../src/serving/scheduler.ts';
import { gridShape, requestCss } from '../../src/view/kv-cache/draw.ts';
import { frameCaption, frameRecorder } from '../../src/view/kv-cache/frames.ts';
import { decoderOf, workloadOf } from '../../src/view/kv-cache/run.ts';
import {
  DEFAULT_KV_STATE,
  KV_PRESETS,
  type KvState,
  parseKvState,
  serializeKvState,
} from '../../src/view/kv-cache/state.ts';

describe('KV page URL state', () => {
  it('the default state is the first preset, written as its name alone', () => {
    expect(serializeKvState(DEFAULT_KV_STATE)).toBe('#preset=continuous-cv1');
    expect(parseKvState('').state).toEqual(DEFAULT_KV_STATE);
  });

  it('every preset round-trips, and a changed run is no longer the preset', () => {
    for (const p of KV_PRESETS) {
      const hash = serializeKvState(p.state);
      expect(hash).toBe(`#preset=${p.name}`);
      expect(parseKvState(hash)).toEqual({ state: p.state, errors: [] });
    }
    const changed = parseKvState('#preset=static-cv1&cv=2');
    expect(changed.state).toMatchObject({ preset: '', scheduler: 'static', cv: 2 });
    expect(parseKvState(serializeKvState(changed.state)).state).toEqual(changed.state);
    // Step and speed do not make a different run.
    expect(parseKvState('#preset=static-cv1&step=3&speed=2').state.preset).toBe('static-cv1');
  });

  it('a state with every field set round-trips', () => {
    const s: KvState = {
      preset: '',
      scheduler: 'static',
      requests: 6,
      rate: 15,
      cv: 0.5,
      promptMean: 8,
      outputMean: 10,
      blocks: 24,
      blockTokens: 8,
      maxBatch: 4,
      ranks: 2,
      seed: 9,
      step: 1,
      speed: 2,
    };
    expect(parseKvState(serializeKvState(s))).toEqual({ state: s, errors: [] });
  });

  it.each([
    ['#scheduler=lottery', /scheduler 'lottery' must be static or continuous; keeping continuous/],
    [
      '#requests=5000',
      /requests '5000' must be a whole number from 1 to 64 \(capped .*\); keeping 16/,
    ],
    ['#cv=x', /cv 'x' must be a number from 0 to 4; keeping 1/],
    ['#blocks=2.5', /blocks '2.5' must be a whole number from 4 to 512/],
    ['#ranks=3', /ranks '3' must be a whole number from 1 to 2/],
    ['#preset=nope', /preset 'nope' is not one of continuous-cv1, /],
    ['#warp=9', /unknown key 'warp'/],
  ])('junk %s: one error naming the value and the limit, the value kept', (hash, message) => {
    const { state, errors } = parseKvState(hash);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
    expect(state).toEqual(DEFAULT_KV_STATE);
  });
});

describe('KV page frames', () => {
  it.each(KV_PRESETS.map((p) => [p.name, p.state] as const))(
    '%s: one frame an iteration, each block owned once, running requests drawn whole',
    async (_, s) => {
      const requests = workloadOf(s);
      const weights = decoderWeights(decoderOf(s), 1);
      const engine = modelEngine({
        weight_bytes: weightBytes(weights),
        kv_bytes_per_token: 512,
        memory_Bps: 1e9,
        step_latency_s: 1e-3,
      });
      const recorder = frameRecorder();
      const run = await simulate(
        s.scheduler,
        requests,
        {
          blocks: s.blocks,
          blockTokens: s.blockTokens,
          maxBatch: s.maxBatch,
          onIteration: recorder.onIteration,
        },
        engine,
      );
      const frames = recorder.frames;
      expect(frames).toHaveLength(run.iterations.length);
      frames.forEach((f, i) => {
        expect(f.owners).toHaveLength(s.blocks);
        const used = f.owners.filter((o) => o >= 0).length;
        expect(used).toBe(f.blocks_used);
        if (i > 0) expect(f.t).toBeGreaterThanOrEqual((frames[i - 1] as typeof f).t);
        // A request's blocks hold its tokens: never more blocks than its longest length needs.
        const counts = new Map<number, number>();
        for (const o of f.owners) if (o >= 0) counts.set(o, (counts.get(o) ?? 0) + 1);
        for (const [id, n] of counts) {
          const r = requests.find((q) => q.id === id);
          expect(r).toBeDefined();
          expect(n).toBeLessThanOrEqual(
            Math.ceil(((r?.prompt_tokens ?? 0) + (r?.output_tokens ?? 0)) / s.blockTokens),
          );
        }
      });
      expect(run.requests).toHaveLength(requests.length);
      if (s.blocks === 12) expect(frames.some((f) => f.preempted.length > 0)).toBe(true);
      expect(frameCaption(frames, 0, s.blocks)).toMatch(
        /^iteration 1 of \d+, t = [\d.]+ s; admitted /,
      );
      expect(frameCaption(frames, -1, s.blocks)).toMatch(/before the first iteration/);
    },
  );

  it('grid and colours: every block has a cell; request colours are stable and never white', () => {
    for (const blocks of [4, 12, 48, 512]) {
      const { cols, rows } = gridShape(blocks, 16 / 9);
      expect(cols * rows).toBeGreaterThanOrEqual(blocks);
      expect(cols * (rows - 1)).toBeLessThan(blocks);
    }
    expect(requestCss(3)).toBe(requestCss(3));
    const colours = Array.from({ length: 40 }, (_, i) => requestCss(i));
    expect(colours.every((c) => c.toLowerCase() !== '#ffffff')).toBe(true);
    expect(DEFAULT_DECODER.kvHeads).toBe(2);
  });
});
