// The collectives page in a real Chromium on SwiftShader: every preset loads; stepping moves
// pixels and the caption; the textbook ring ends with [10, 26, 18, 34] on every rank, read from
// the GPU; URLs round-trip; junk in the URL shows the alert and the page keeps working; the
// sweep plot has one measured series per algorithm.
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIEW_PRESETS } from '../../src/view/collectives/presets.ts';
import { type E2E, startE2E } from './browser.ts';
import {
  expectDrawn,
  openPage,
  READY_TIMEOUT,
  sceneStats,
  textOf,
  visibleAlerts,
  waitReady,
} from './page-checks.ts';

/** Opens the page at `hash` and waits until its first frame is drawn. */
const open = (e2e: E2E, hash: string) => openPage(e2e, `/collectives/${hash}`);

/** The strips the page shows, as numbers, for tests (the page exposes them for this). */
function shownStrips(page: Page): Promise<number[][]> {
  return page.evaluate(() =>
    (window as unknown as { fleetlabView: { strips(): number[][] } }).fleetlabView.strips(),
  );
}

describe('collectives page', () => {
  let e2e: E2E;

  beforeAll(async () => {
    e2e = await startE2E();
  });

  afterAll(async () => {
    await e2e?.close();
  });

  it('walks the textbook ring step by step to [10, 26, 18, 34], read from the GPU', async () => {
    const { page, errors } = await open(e2e, '#preset=textbook-ring');
    expect(await visibleAlerts(page)).toEqual([]);
    expect(await textOf(page, '#counter')).toBe('step 0 of 6');
    const before = await sceneStats(page, 'collectives-step0.png');
    expectDrawn(before);
    const captions: string[] = [];
    for (let k = 1; k <= 6; k++) {
      await page.keyboard.press('Space');
      await page.waitForSelector(`body[data-step="${k}"]`, { timeout: READY_TIMEOUT });
      captions.push(await textOf(page, '#caption'));
    }
    expect(captions[0]).toMatch(/^step 1 of 6: reduce-scatter/);
    expect(new Set(captions).size).toBe(6);
    const after = await sceneStats(page, 'collectives-step6.png');
    expect(
      after.distinctColours === before.distinctColours && after.foreground === before.foreground,
    ).toBe(false);
    expect(await shownStrips(page)).toEqual([
      [10, 26, 18, 34],
      [10, 26, 18, 34],
      [10, 26, 18, 34],
      [10, 26, 18, 34],
    ]);
    expect(await page.$eval('#timeline', (e) => e.getAttribute('data-measured'))).toBe('true');
    // Back steps return to the previous buffers.
    await page.keyboard.press('ArrowLeft');
    await page.waitForSelector('body[data-step="5"]');
    expect(errors).toEqual([]);
  });

  it.each(VIEW_PRESETS.map((p) => p.name))('preset %s loads and draws', async (name) => {
    const { page, errors } = await open(e2e, `#preset=${name}`);
    expect(await visibleAlerts(page)).toEqual([]);
    expectDrawn(await sceneStats(page, `collectives-${name}.png`));
    expect(errors).toEqual([]);
  });

  it('a URL with every control set round-trips', async () => {
    const hash =
      '#collective=allgather&algorithm=rhd&ranks=6&bytes=4K&dtype=int32&redop=max&fabric=ib-ndr&alpha=2us&beta=25GB/s&step=2&speed=2&hide=fabric,alpha';
    const { page } = await open(e2e, hash);
    expect(await visibleAlerts(page)).toEqual([]);
    const first = await page.evaluate(() => location.hash);
    const again = await open(e2e, first);
    expect(await again.page.evaluate(() => location.hash)).toBe(first);
    expect(await textOf(again.page, '#counter')).toBe(
      `step 2 of ${(await textOf(page, '#counter')).split(' of ')[1]}`,
    );
  });

  it('junk in the URL shows the alert, keeps working, and stepping still moves', async () => {
    const { page } = await open(e2e, '#collective=allsum&ranks=-3&bytes=lots&fabric=warp');
    const alerts = await visibleAlerts(page);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/allsum/);
    expectDrawn(await sceneStats(page, 'collectives-junk.png'));
    await page.keyboard.press('Space');
    await page.waitForSelector('body[data-step="1"]', { timeout: READY_TIMEOUT });
  });

  it('without WebGPU explains how to enable it and still animates the plan, not measured', async () => {
    const { page, errors } = await e2e.newPage({ noWebGpu: true });
    await page.goto(e2e.url('/collectives/#preset=textbook-ring'), { waitUntil: 'load' });
    await waitReady(page);
    const alerts = await visibleAlerts(page);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/navigator\.gpu is undefined/);
    expect(alerts[0]).toMatch(/nothing is measured/);
    expect(await textOf(page, '#status')).toMatch(/not measured/);
    expect(await page.$eval('#timeline', (e) => e.getAttribute('data-measured'))).toBe('false');
    expectDrawn(await sceneStats(page, 'collectives-no-webgpu.png'));
    for (let k = 1; k <= 6; k++) {
      await page.keyboard.press('ArrowRight');
      await page.waitForSelector(`body[data-step="${k}"]`, { timeout: READY_TIMEOUT });
    }
    expect((await shownStrips(page))[2]).toEqual([10, 26, 18, 34]);
    expect(errors).toEqual([]);
  });

  it('a lost device shows the alert, keeps the scene, and later scenes run on the CPU', async () => {
    const { page, errors } = await open(e2e, '#preset=textbook-ring');
    await page.keyboard.press('Space');
    await page.waitForSelector('body[data-step="1"]', { timeout: READY_TIMEOUT });
    await page.evaluate(() =>
      (
        window as unknown as { fleetlabView: { simulateDeviceLoss(): void } }
      ).fleetlabView.simulateDeviceLoss(),
    );
    const alerts = await visibleAlerts(page);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/device was lost/);
    expect(await textOf(page, '#counter')).toBe('step 1 of 6');
    await page.keyboard.press('Space');
    await page.waitForSelector('body[data-step="2"]', { timeout: READY_TIMEOUT });
    // A new scene now comes from the CPU interpreter, and says it is not measured.
    await page.evaluate(() => {
      location.hash = '#preset=latency-bound';
    });
    await page.waitForFunction(
      () => /not measured/.test(document.getElementById('status')?.textContent ?? ''),
      {
        timeout: READY_TIMEOUT,
      },
    );
    expect((await visibleAlerts(page))[0]).toMatch(/device was lost/);
    expect(errors).toEqual([]);
  });

  it('the sweep plot has one measured series per algorithm', async () => {
    const { page } = await open(e2e, '#preset=textbook-ring');
    await page.click('#sweep-run');
    await page.waitForFunction(
      () => /points measured/.test(document.getElementById('sweep-status')?.textContent ?? ''),
      {
        timeout: READY_TIMEOUT,
      },
    );
    const series = await page.$eval('#sweep', (e) => e.getAttribute('data-series') ?? '');
    const algorithms = await page.evaluate(() =>
      (window as unknown as { fleetlabView: { algorithms(): string[] } }).fleetlabView.algorithms(),
    );
    expect(series.split(',').sort()).toEqual(algorithms.map((a) => `measured ${a}`).sort());
  });
});
