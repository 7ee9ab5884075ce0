// The demo index page in a real Chromium on SwiftShader: it names the GPU, runs a reduce that
// matches the CPU, draws a scene that is not blank, and explains itself when WebGPU is missing
// or the device is lost.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2E, startE2E } from './browser.ts';

// SwiftShader compiles shaders and three's pipelines on the CPU: tens of seconds on 2 cores.
const READY_TIMEOUT = 150_000;
const artifacts = resolve(import.meta.dirname, 'artifacts');

async function waitReady(page: Page): Promise<void> {
  await page.waitForSelector('body[data-ready="true"]', { timeout: READY_TIMEOUT });
}

/** Text of every role="alert" element a user can see. */
function visibleAlerts(page: Page): Promise<string[]> {
  return page.$$eval('[role="alert"]', (els) =>
    els
      .filter((e) => e.checkVisibility() && (e.textContent ?? '').trim() !== '')
      .map((e) => (e.textContent ?? '').trim()),
  );
}

interface PixelStats {
  readonly width: number;
  readonly height: number;
  readonly distinctColours: number;
  /** Share of pixels farther than a small tolerance from the most common (background) colour. */
  readonly foreground: number;
}

function pixelStats(png: PNG): PixelStats {
  const counts = new Map<number, number>();
  const { data, width, height } = png;
  for (let i = 0; i < data.length; i += 4) {
    const key =
      ((data[i] as number) << 16) | ((data[i + 1] as number) << 8) | (data[i + 2] as number);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let background = 0;
  let most = -1;
  for (const [key, n] of counts) {
    if (n > most) [background, most] = [key, n];
  }
  const [br, bg, bb] = [(background >> 16) & 255, (background >> 8) & 255, background & 255];
  let far = 0;
  for (let i = 0; i < data.length; i += 4) {
    const d =
      Math.abs((data[i] as number) - br) +
      Math.abs((data[i + 1] as number) - bg) +
      Math.abs((data[i + 2] as number) - bb);
    if (d > 24) far++;
  }
  return { width, height, distinctColours: counts.size, foreground: far / (width * height) };
}

/** Screenshots canvas#scene (saved under artifacts/ as `file`) and measures its pixels. */
async function sceneStats(page: Page, file: string): Promise<PixelStats> {
  const canvas = await page.$('canvas#scene');
  if (!canvas) throw new Error('the page has no canvas#scene');
  const shot = await canvas.screenshot({ type: 'png' });
  mkdirSync(artifacts, { recursive: true });
  writeFileSync(join(artifacts, file), shot);
  return pixelStats(PNG.sync.read(Buffer.from(shot)));
}

/** Not blank: many colours, and a fair share of the canvas away from the background. */
function expectDrawn(stats: PixelStats): void {
  expect(stats.width).toBeGreaterThan(100);
  expect(stats.distinctColours).toBeGreaterThan(200);
  expect(stats.foreground).toBeGreaterThan(0.05);
}

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
