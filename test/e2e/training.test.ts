// The training page in a real Chromium on SwiftShader: every preset runs its step on the GPU,
// checked against the f64 reference, and draws the timeline; the numbers stand beside the
// formulas (the bubble, the overlap, ZeRO's memory); stepping moves the cursor and the pixels;
// URLs round-trip; junk shows one alert; without WebGPU the step is priced, not measured.
// FLEETLAB_DOCS=1 also writes docs/training.png (the index's card).
import { resolve } from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRAINING_PRESETS } from '../../src/view/training/state.ts';
import { type E2E, startE2E } from './browser.ts';
import {
  canvasStats,
  goHash,
  openPage,
  READY_TIMEOUT,
  stepTo,
  textOf,
  visibleAlerts,
  waitReady,
} from './page-checks.ts';

interface RunView {
  mode: string;
  ranks: number;
  measured: boolean;
  ok: boolean;
  total_s: number;
  no_overlap_s?: number;
  overlap: number;
  bubble?: { emulated: number; formula: number };
  peak_activations?: number[];
  memory_B: number[];
  memory_formula_B?: number;
  collective_tasks: number;
}
const run = (page: Page) =>
  page.evaluate(() =>
    (window as unknown as { fleetlabTraining: { run(): RunView } }).fleetlabTraining.run(),
  );

describe('training page', () => {
  let e2e: E2E;
  beforeAll(async () => {
    e2e = await startE2E();
  });
  afterAll(async () => {
    await e2e?.close();
  });

  const open = (hash: string) => openPage(e2e, `/training/${hash}`);

  it(
    'every preset runs on the GPU, checked; bubble, overlap and memory beside the formulas',
    async () => {
      const { page, errors } = await open('');
      const seen = new Map<string, RunView>();
      for (const p of TRAINING_PRESETS) {
        if (p.name !== TRAINING_PRESETS[0]?.name) await goHash(page, `#preset=${p.name}`);
        expect(await visibleAlerts(page), p.name).toEqual([]);
        const r = await run(page);
        expect(r, p.name).toMatchObject({ measured: true, ok: true, mode: p.state.mode });
        expect(r.total_s).toBeGreaterThan(0);
        expect(await textOf(page, '#status')).toMatch(/checked: every rank equals the f64/);
        expect(await textOf(page, '#preset-note')).toBe(p.description);
        seen.set(p.name, r);
      }
      const gpipe = seen.get('bubble-gpipe-p8-m16') as RunView;
      expect(gpipe.bubble?.formula).toBeCloseTo(7 / 23, 12);
      expect(gpipe.bubble?.emulated).toBeGreaterThan(0);
      expect(gpipe.bubble?.emulated).toBeLessThan(1);
      expect(gpipe.peak_activations).toEqual(Array(8).fill(16));
      const oneF = seen.get('bubble-1f1b-p8-m16') as RunView;
      expect(Math.max(...(oneF.peak_activations ?? []))).toBeLessThanOrEqual(8);
      expect(seen.get('interleaved-v4')?.bubble?.formula).toBeCloseTo(3 / 35, 12);
      const dp = seen.get('dp-overlap') as RunView;
      const serial = seen.get('dp-no-overlap') as RunView;
      expect(dp.overlap).toBeGreaterThan(0);
      expect(serial.overlap).toBe(0);
      expect(dp.no_overlap_s).toBeGreaterThanOrEqual(dp.total_s);
      const zero3 = seen.get('zero-3') as RunView;
      expect(zero3.collective_tasks).toBeGreaterThan(dp.collective_tasks);
      expect(Math.max(...zero3.memory_B)).toBeLessThan(Math.max(...dp.memory_B));
      expect(zero3.memory_formula_B).toBeLessThan(dp.memory_formula_B as number);
      expect(await textOf(page, '#results')).toMatch(/memory per rank.*formula/);
      expect(errors).toEqual([]);
    },
    READY_TIMEOUT * 2,
  );

  it('stepping moves the cursor, the caption and the pixels; the URL keeps the step', async () => {
    const { page, errors } = await open('#preset=bubble-1f1b-p8-m16&step=19');
    const shot = async () => (await page.$('#timeline'))?.screenshot({ encoding: 'base64' });
    expect((await canvasStats(page, '#timeline')).distinctColours).toBeGreaterThan(4);
    const before = await shot();
    await stepTo(page, 20);
    expect(await textOf(page, '#caption')).toMatch(/^t = .* of .*compute lanes busy/);
    expect(await textOf(page, '#counter')).toBe('step 20 of 48');
    expect(page.url()).toMatch(/step=20/);
    expect(await shot()).not.toBe(before);
    if (process.env.FLEETLAB_DOCS === '1') {
      await page.setViewport({ width: 1280, height: 800 });
      await (await page.$('.stage.timeline'))?.screenshot({
        path: resolve(import.meta.dirname, '../../docs/training.png'),
      });
    }
    expect(errors).toEqual([]);
  });

  it('a link round-trips; junk and a state no plan has each get a visible alert', async () => {
    const hash = '#preset=&mode=pp&schedule=gpipe&stages=2&microbatches=4&layers=4&batch=8';
    const { page } = await open(hash);
    expect(await visibleAlerts(page)).toEqual([]);
    expect(await run(page)).toMatchObject({ mode: 'pp', ranks: 2, ok: true });
    // The link keeps only what differs from the defaults (mode pp and gpipe are).
    expect(new URL(page.url()).hash).toBe('#preset=&stages=2&microbatches=4&layers=4&batch=8');
    const junk = await open('#preset=nope&stages=99&mode=tp');
    const alerts = await visibleAlerts(junk.page);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/preset 'nope' is not one of/);
    expect(alerts[0]).toMatch(/stages '99' must be a whole number from 1 to 8/);
    expect(alerts[0]).toMatch(/mode 'tp' must be one of dp, pp/);
    const misfit = await open('#preset=&mode=pp&stages=3&layers=8');
    expect((await visibleAlerts(misfit.page))[0]).toMatch(/layers 8/);
  });

  it('without WebGPU the step is priced and drawn, labelled not measured', async () => {
    const { page, errors } = await e2e.newPage({ noWebGpu: true });
    await page.goto(e2e.url('/training/#preset=interleaved-v4'), { waitUntil: 'load' });
    await waitReady(page);
    const alerts = await visibleAlerts(page);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/navigator\.gpu is undefined/);
    expect(alerts[0]).toMatch(/modelled, not measured/);
    expect(await textOf(page, '#status')).toMatch(/modelled, not measured/);
    const r = await run(page);
    expect(r.measured).toBe(false);
    expect(r.bubble?.formula).toBeCloseTo(3 / 35, 12);
    expect((await canvasStats(page, '#timeline')).distinctColours).toBeGreaterThan(4);
    expect(errors).toEqual([]);
  });
});
