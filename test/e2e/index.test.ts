// The demo index page in a real Chromium on SwiftShader: it names the GPU, runs a reduce that
// matches the CPU, draws a scene that is not blank, and explains itself when WebGPU is missing
// or the device is lost.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2E, startE2E } from './browser.ts';
import { artifacts, expectDrawn, sceneStats, visibleAlerts, waitReady } from './page-checks.ts';

describe('demo index page', () => {
  let e2e: E2E;

  beforeAll(async () => {
    e2e = await startE2E();
    console.info(`chromium ${e2e.executablePath} ${e2e.flags.join(' ')}`);
  });

  afterAll(async () => {
    await e2e?.close();
  });

  it('names the GPU, runs a reduce that matches the CPU and draws the scene', async () => {
    const { page, errors } = await e2e.newPage();
    await page.goto(e2e.url('/'), { waitUntil: 'load' });
    await waitReady(page);

    expect(await visibleAlerts(page)).toEqual([]);

    const reduce = await page.$eval('#reduce-result', (e) => ({
      ok: e.getAttribute('data-ok'),
      count: e.getAttribute('data-count'),
      wrong: e.getAttribute('data-wrong'),
      text: e.textContent ?? '',
    }));
    expect(reduce).toMatchObject({ ok: 'true', count: '1024', wrong: '0' });
    expect(reduce.text).toMatch(/matches the CPU bit for bit/);

    // The adapter line names what the browser itself reports, asked for independently here.
    const reported = await page.evaluate(async () => {
      const adapter = await navigator.gpu.requestAdapter();
      return adapter
        ? { vendor: adapter.info.vendor, architecture: adapter.info.architecture }
        : null;
    });
    const adapterName = await page.$eval('#adapter-name', (e) => e.textContent ?? '');
    expect(adapterName.trim()).not.toBe('');
    expect(adapterName).not.toMatch(/^unknown adapter/);
    if (reported?.vendor) expect(adapterName).toContain(reported.vendor);
    if (reported?.architecture) expect(adapterName).toContain(reported.architecture);

    // The timestamp regime was detected (exact or not depends on the browser's flags).
    const timestamps = await page.$eval('#timestamps', (e) => ({
      exact: e.getAttribute('data-exact'),
      text: e.textContent ?? '',
    }));
    expect(timestamps.exact === 'true' || timestamps.exact === 'false').toBe(true);
    console.info(`timestamps: ${timestamps.text}`);

    // Limits in bytes are shown with their units.
    const maxBuffer = await page.$eval('[data-limit="maxBufferSize"]', (e) => e.textContent ?? '');
    expect(maxBuffer).toMatch(/B \(.*B\)|^\d+ B$/);

    const stats = await sceneStats(page, 'index.png');
    // The whole page too: what a reviewer of a CI run looks at first.
    await page.screenshot({ path: join(artifacts, 'index-page.png'), fullPage: true });
    console.info(`canvas#scene screenshot: ${JSON.stringify(stats)}`);
    expectDrawn(stats);

    expect(errors).toEqual([]);
    await page.close();
  });

  it('explains how to enable WebGPU when the browser has none', async () => {
    const { page, errors } = await e2e.newPage({ noWebGpu: true });
    await page.goto(e2e.url('/'), { waitUntil: 'load' });
    await waitReady(page);

    const alerts = await visibleAlerts(page);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/WebGPU is not available/);
    expect(alerts[0]).toMatch(/navigator\.gpu is undefined/);
    expect(alerts[0]).toMatch(/chrome:\/\/flags/);
    // Not a blank page: the demo list is still there.
    expect(await page.$$eval('#demos li', (items) => items.length)).toBeGreaterThan(0);
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'index-no-webgpu.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows a device loss and starts again without a reload', async () => {
    const { page, errors } = await e2e.newPage();
    await page.goto(e2e.url('/'), { waitUntil: 'load' });
    await waitReady(page);
    // A marker that a reload would wipe.
    await page.evaluate(() => {
      (window as Window & { notReloaded?: boolean }).notReloaded = true;
    });

    await page.evaluate(() => window.fleetlab?.simulateDeviceLoss());
    await waitReady(page);
    const alerts = await visibleAlerts(page);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/device was lost/);

    await page.click('[role="alert"] button');
    await waitReady(page);
    expect(await visibleAlerts(page)).toEqual([]);
    expect(await page.$eval('#reduce-result', (e) => e.getAttribute('data-ok'))).toBe('true');
    // A new renderer on a new device draws into the same canvas.
    expectDrawn(await sceneStats(page, 'index-after-restart.png'));
    expect(
      await page.evaluate(() => (window as Window & { notReloaded?: boolean }).notReloaded),
    ).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });
});
