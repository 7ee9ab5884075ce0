// The tensor-parallel page in a real Chromium on SwiftShader: every preset loads and draws (the
// matrices and the fabric), stepping changes the caption, each rank's GPU result is within
// tolerance of the unsharded layer, URLs round-trip, junk shows one alert and the page still
// steps, the scaling chart gets its series, without WebGPU the plan steps on the CPU, and a lost
// device leaves the scene and an alert.
// FLEETLAB_DOCS=1 also writes docs/tensor-parallel.png (the README's screenshot).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TP_PRESETS } from '../../src/view/tensor-parallel/state.ts';
import { type E2E, startE2E } from './browser.ts';
import {
  canvasStats,
  expectDrawn,
  goHash,
  openPage,
  READY_TIMEOUT,
  sceneStats,
  stepTo,
  textOf,
  visibleAlerts,
  waitReady,
} from './page-checks.ts';

interface Check {
  rank: number;
  elements: number;
  max_abs_error: number;
  wrong: number;
}
const checks = (page: Page) =>
  page.evaluate(() =>
    (window as unknown as { fleetlabTp: { checks(): Check[] } }).fleetlabTp.checks(),
  );

describe('tensor-parallel page', () => {
  let e2e: E2E;

  beforeAll(async () => {
    e2e = await startE2E();
  });

  afterAll(async () => {
    await e2e?.close();
  });

  const open = (hash: string) => openPage(e2e, `/tensor-parallel/${hash}`);

  it('every preset loads, draws, and each rank of the GPU result is right; stepping moves the caption', async () => {
    const { page, errors } = await open('');
    expect(await textOf(page, '#counter')).toBe('step 0 of 9');
    for (const p of TP_PRESETS) {
      if (p.name !== TP_PRESETS[0]?.name) await goHash(page, `#preset=${p.name}`);
      expect(await visibleAlerts(page), p.name).toEqual([]);
      expect(await textOf(page, '#status')).toMatch(/measured on this GPU/);
      expectDrawn(await sceneStats(page, `tensor-parallel-${p.name}.png`));
      const m = await canvasStats(page, 'canvas#matrices');
      expect(m.distinctColours).toBeGreaterThan(20);
      expect(m.foreground).toBeGreaterThan(0.05);
      const c = await checks(page);
      expect(c).toHaveLength(p.state.ranks);
      expect(c.every((r) => r.wrong === 0 && r.elements > 0)).toBe(true);
      expect(await page.$eval('#checks', (e) => e.getAttribute('data-wrong'))).toBe('0');
      expect(await page.$eval('#times', (e) => e.getAttribute('data-measured'))).toBe('true');
    }
    // Back to the default: step three times, the caption changes each time.
    await goHash(page, '#preset=megatron-mlp-4');
    const before = await canvasStats(page, 'canvas#matrices');
    const captions: string[] = [];
    for (let k = 1; k <= 4; k++) {
      await stepTo(page, k);
      captions.push(await textOf(page, '#caption'));
    }
    expect(captions[0]).toMatch(/^step 1 of 9: matmul X W1, each of the 4 ranks multiplies X/);
    expect(captions[2]).toMatch(/partial sums/);
    expect(captions[3]).toMatch(/^step 4 of 9: reduce-scatter/);
    expect(new Set(captions).size).toBe(4);
    const after = await canvasStats(page, 'canvas#matrices');
    expect(
      after.distinctColours === before.distinctColours && after.foreground === before.foreground,
    ).toBe(false);
    await stepTo(page, 3, 'ArrowLeft');
    expect(await page.evaluate(() => location.hash)).toBe('#step=3');
    await page.waitForFunction(
      () => /GFLOP\/s/.test(document.getElementById('roofline')?.textContent ?? ''),
      {
        timeout: READY_TIMEOUT,
      },
    );
    expect(await textOf(page, '#roofline')).toMatch(/% of the FMA peak/);
    if (process.env.FLEETLAB_DOCS) {
      await page.setViewport({ width: 1600, height: 900 });
      // The resize handler redraws both canvases at the new size.
      await new Promise((r) => setTimeout(r, 1000));
      writeFileSync(
        resolve(import.meta.dirname, '../../docs/tensor-parallel.png'),
        await page.screenshot({ type: 'png' }),
      );
    }
    expect(errors).toEqual([]);
  });

  it('a URL with every control set round-trips; the scaling chart gets its series', async () => {
    const hash =
      '#layout=row&m=16&k=48&n=40&comm=reducescatter&algorithm=rhd&ranks=2&fabric=ib-ndr&step=2&speed=2.5';
    const { page, errors } = await open(hash);
    expect(await visibleAlerts(page)).toEqual([]);
    expect(await page.evaluate(() => location.hash)).toBe(hash);
    expect(await textOf(page, '#counter')).toMatch(/^step 2 of /);
    await goHash(page, '#preset=mlp-100gbe-8');
    await page.click('#scaling-run');
    await page.waitForFunction(
      () =>
        /rank counts measured|stopped/.test(
          document.getElementById('scaling-status')?.textContent ?? '',
        ),
      { timeout: READY_TIMEOUT },
    );
    expect(await textOf(page, '#scaling-status')).toMatch(
      /^4 rank counts measured .*every result within tolerance/,
    );
    const series = await page.$eval('#scaling', (e) => e.getAttribute('data-series') ?? '');
    expect(series.split(',')).toEqual([
      'compute (emulated)',
      'communication (emulated)',
      'step (emulated)',
      'step (Fleet Law)',
      'eta (emulated)',
      'eta (Fleet Law)',
    ]);
    expect(await page.$$eval('#scaling-rows tbody tr', (rows) => rows.length)).toBe(4);
    expect(errors).toEqual([]);
  });

  it('junk in the URL gives one alert, keeps defaults, and still steps', async () => {
    const { page } = await open('#layout=diagonal&m=4096&ranks=lots&fabric=warp');
    const alerts = await visibleAlerts(page);
    expect(alerts).toHaveLength(1);
    const lines = (alerts[0] ?? '').split('\n');
    expect(lines.filter((l) => /keeping/.test(l))).toHaveLength(4);
    expect(alerts[0]).toMatch(/m '4096' must be a whole number from 1 to 512/);
    expect(await textOf(page, '#counter')).toBe('step 0 of 9');
    await stepTo(page, 1);
    expect(await textOf(page, '#caption')).toMatch(/^step 1 of 9/);
  });

  it('without WebGPU the alert says so and the plan steps on the CPU, not measured', async () => {
    const { page, errors } = await e2e.newPage({ noWebGpu: true });
    await page.goto(e2e.url('/tensor-parallel/#preset=row-parallel-4'), { waitUntil: 'load' });
    await waitReady(page);
    const alerts = await visibleAlerts(page);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/navigator\.gpu is undefined/);
    expect(alerts[0]).toMatch(/nothing is measured/);
    expect(await textOf(page, '#status')).toMatch(/not measured/);
    expect(await page.$eval('#times', (e) => e.getAttribute('data-measured'))).toBe('false');
    expect(await textOf(page, '#times')).toMatch(/not measured/);
    expect(await textOf(page, '#roofline')).toMatch(/Not measured/);
    expectDrawn(await sceneStats(page, 'tensor-parallel-no-webgpu.png'));
    expect((await checks(page)).every((c) => c.wrong === 0)).toBe(true);
    await stepTo(page, 1, 'ArrowRight');
    await stepTo(page, 2, 'ArrowRight');
    expect(await textOf(page, '#caption')).toMatch(/^step 2 of \d+: reduce-scatter/);
    await page.click('#scaling-run');
    expect(await textOf(page, '#scaling-status')).toMatch(/Not measured/);
    expect(errors).toEqual([]);
  });
  it('a lost device shows the alert, keeps the scene, and later layers step on the CPU', async () => {
    const { page, errors } = await open('#preset=megatron-mlp-4');
    // At once, while the roofline is still measuring: its failure stays in its panel.
    const counter = await textOf(page, '#counter');
    await page.evaluate(() =>
      (
        window as unknown as { fleetlabTp: { simulateDeviceLoss(): void } }
      ).fleetlabTp.simulateDeviceLoss(),
    );
    const alerts = await visibleAlerts(page);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/device was lost/);
    expect(await textOf(page, '#counter')).toBe(counter);
    expectDrawn(await sceneStats(page, 'tensor-parallel-device-lost.png'));
    await stepTo(page, 1);
    await goHash(page, '#preset=row-parallel-4');
    expect(await textOf(page, '#status')).toMatch(/not measured/);
    expect((await visibleAlerts(page))[0]).toMatch(/device was lost/);
    expect(errors).toEqual([]);
  });
});
