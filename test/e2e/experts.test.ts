// The experts page in a real Chromium on SwiftShader: every preset runs the MoE layer on the GPU,
// checked against the f64 layer, and draws the tokens and the load; the hot-experts preset drops
// copies and costs more than the balanced formula; stepping moves the copies; URLs round-trip;
// junk shows one alert; without WebGPU the layer runs on the CPU, labelled not measured.
// FLEETLAB_DOCS=1 also writes docs/experts.png (the index's card).
import { resolve } from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPERTS_PRESETS } from '../../src/view/experts/state.ts';
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
  measured: boolean;
  ok: boolean;
  tokens_per_expert: number[];
  capacity: number;
  dropped: number;
  imbalance: { experts: number; ranks: number };
  step_s: { emulated: number; analytic: number };
}
const run = (page: Page) =>
  page.evaluate(() =>
    (window as unknown as { fleetlabExperts: { run(): RunView } }).fleetlabExperts.run(),
  );

describe('experts page', () => {
  let e2e: E2E;
  beforeAll(async () => {
    e2e = await startE2E();
  });
  afterAll(async () => {
    await e2e?.close();
  });
  const open = (hash: string) => openPage(e2e, `/experts/${hash}`);

  it(
    'every preset runs on the GPU, checked; the hot experts drop copies and cost more',
    async () => {
      const { page, errors } = await open('');
      const seen = new Map<string, RunView>();
      for (const p of EXPERTS_PRESETS) {
        if (p.name !== EXPERTS_PRESETS[0]?.name) await goHash(page, `#preset=${p.name}`);
        expect(await visibleAlerts(page), p.name).toEqual([]);
        const r = await run(page);
        expect(r, p.name).toMatchObject({ measured: true, ok: true });
        for (const kept of r.tokens_per_expert) expect(kept).toBeLessThanOrEqual(r.capacity);
        expect(await textOf(page, '#status')).toMatch(/equals the f64 layer within its bound/);
        expect(await textOf(page, '#preset-note')).toBe(p.description);
        seen.set(p.name, r);
      }
      const even = seen.get('balanced-top2') as RunView;
      const hot = seen.get('hot-experts') as RunView;
      expect(even.dropped).toBe(0);
      expect(hot.dropped).toBeGreaterThan(0);
      expect(hot.imbalance.experts).toBeGreaterThan(even.imbalance.experts);
      expect(hot.step_s.emulated).toBeGreaterThan(hot.step_s.analytic);
      expect(await textOf(page, '#results')).toMatch(/imbalance.*max \/ mean/);
      expect(errors).toEqual([]);
    },
    READY_TIMEOUT * 2,
  );

  it('stepping carries the copies to the experts and back; the URL keeps the step', async () => {
    const { page, errors } = await open('#preset=hot-experts');
    const shot = async () => (await page.$('#scene'))?.screenshot({ encoding: 'base64' });
    expect((await canvasStats(page, '#scene')).distinctColours).toBeGreaterThan(8);
    expect(await textOf(page, '#caption')).toMatch(/dropped \(red\)/);
    const before = await shot();
    await stepTo(page, 1);
    expect(await textOf(page, '#caption')).toMatch(/^dispatch AllToAllv/);
    expect(await textOf(page, '#counter')).toBe('step 1 of 24');
    expect(page.url()).toMatch(/step=1/);
    expect(await shot()).not.toBe(before);
    await goHash(page, '#preset=hot-experts&step=11');
    await stepTo(page, 12);
    expect(await textOf(page, '#caption')).toMatch(/MLP/);
    if (process.env.FLEETLAB_DOCS === '1') {
      await page.setViewport({ width: 1280, height: 800 });
      await (await page.$('.stage.scene'))?.screenshot({
        path: resolve(import.meta.dirname, '../../docs/experts.png'),
      });
    }
    expect(errors).toEqual([]);
  });

  it('the panel: choosing a preset loads it and writes the link; a slider edit leaves the preset', async () => {
    const { page, errors } = await open('');
    const loads = () => page.evaluate(() => Number(document.body.dataset.loads ?? 0));
    let before = await loads();
    await page.select('#gui select', 'hot-experts');
    await page.waitForFunction((n) => Number(document.body.dataset.loads ?? 0) > n, {}, before);
    expect(new URL(page.url()).hash).toBe('#preset=hot-experts');
    expect((await run(page)).dropped).toBeGreaterThan(0);
    before = await loads();
    // The first number control is ranks: type 2 and leave the field (lil-gui's finish).
    const input = await page.$('#gui .lil-number input');
    await input?.click({ count: 3 });
    await input?.type('2');
    await page.focus('#reset');
    await page.waitForFunction((n) => Number(document.body.dataset.loads ?? 0) > n, {}, before);
    expect(new URL(page.url()).hash).toMatch(/^#preset=&.*ranks=2/);
    expect(errors).toEqual([]);
  });

  it('a link round-trips; junk and a layer no plan has each get a visible alert', async () => {
    const { page } = await open('#preset=&ranks=2&experts=4&topk=1');
    expect(await visibleAlerts(page)).toEqual([]);
    expect(await run(page)).toMatchObject({ ok: true });
    expect(new URL(page.url()).hash).toBe('#preset=&ranks=2&experts=4&topk=1');
    const junk = await open('#preset=nope&ranks=99&algo=ring');
    const alerts = await visibleAlerts(junk.page);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/preset 'nope' is not one of/);
    expect(alerts[0]).toMatch(/ranks '99' must be a whole number from 1 to 8/);
    expect(alerts[0]).toMatch(/algo 'ring' must be one of pairwise, direct/);
    const misfit = await open('#preset=&ranks=4&experts=6');
    expect((await visibleAlerts(misfit.page))[0]).toMatch(
      /experts 6 must be a multiple of ranks 4/,
    );
  });

  it('without WebGPU the layer runs on the CPU and is drawn, labelled not measured', async () => {
    const { page, errors } = await e2e.newPage({ noWebGpu: true });
    await page.goto(e2e.url('/experts/#preset=hot-experts'), { waitUntil: 'load' });
    await waitReady(page);
    const alerts = await visibleAlerts(page);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/navigator\.gpu is undefined/);
    expect(alerts[0]).toMatch(/modelled, not measured/);
    expect(await textOf(page, '#status')).toMatch(/interpreted on the CPU.*modelled, not measured/);
    const r = await run(page);
    expect(r).toMatchObject({ measured: false, ok: true });
    expect(r.dropped).toBeGreaterThan(0);
    expect((await canvasStats(page, '#scene')).distinctColours).toBeGreaterThan(8);
    expect(errors).toEqual([]);
  });
});
