// What every page test checks the same way: readiness, visible alerts, and a canvas that shows
// something (decoded from a real screenshot, not read back from the page).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import type { KeyInput, Page } from 'puppeteer-core';
import { expect } from 'vitest';
import type { E2E, WatchedPage } from './browser.ts';

// SwiftShader compiles shaders and three's pipelines on the CPU: tens of seconds on 2 cores.
export const READY_TIMEOUT = 150_000;
export const artifacts = resolve(import.meta.dirname, 'artifacts');

export async function waitReady(page: Page): Promise<void> {
  await page.waitForSelector('body[data-ready="true"]', { timeout: READY_TIMEOUT });
}

/** Text of every role="alert" element a user can see. */
export function visibleAlerts(page: Page): Promise<string[]> {
  return page.$$eval('[role="alert"]', (els) =>
    els
      .filter((e) => e.checkVisibility() && (e.textContent ?? '').trim() !== '')
      .map((e) => (e.textContent ?? '').trim()),
  );
}

export interface PixelStats {
  readonly width: number;
  readonly height: number;
  readonly distinctColours: number;
  /** Share of pixels farther than a small tolerance from the most common (background) colour. */
  readonly foreground: number;
}

export function pixelStats(png: PNG): PixelStats {
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
export async function sceneStats(page: Page, file: string): Promise<PixelStats> {
  const canvas = await page.$('canvas#scene');
  if (!canvas) throw new Error('the page has no canvas#scene');
  const shot = await canvas.screenshot({ type: 'png' });
  mkdirSync(artifacts, { recursive: true });
  writeFileSync(join(artifacts, file), shot);
  return pixelStats(PNG.sync.read(Buffer.from(shot)));
}

/** Not blank: many colours, and a fair share of the canvas away from the background. */
export function expectDrawn(stats: PixelStats): void {
  expect(stats.width).toBeGreaterThan(100);
  expect(stats.distinctColours).toBeGreaterThan(200);
  expect(stats.foreground).toBeGreaterThan(0.05);
}

/** The trimmed text of the element `selector` names. */
export const textOf = (page: Page, selector: string) =>
  page.$eval(selector, (e) => (e.textContent ?? '').trim());

/** Sets the hash on an open page and waits until the page has loaded what it names. */
export async function goHash(page: Page, hash: string): Promise<void> {
  const before = await page.evaluate(() => Number(document.body.dataset.loads ?? 0));
  await page.evaluate((h) => {
    location.hash = h;
  }, hash);
  await page.waitForFunction(
    (n) => Number(document.body.dataset.loads ?? 0) > n,
    { timeout: READY_TIMEOUT },
    before,
  );
}

/** Presses `key` and waits until the page shows step `step`. */
export async function stepTo(page: Page, step: number, key: KeyInput = 'Space'): Promise<void> {
  await page.keyboard.press(key);
  await page.waitForSelector(`body[data-step="${step}"]`, { timeout: READY_TIMEOUT });
}

/** Opens `path` (a page and its hash, e.g. '/kv-cache/#preset=x') and waits until it is ready. */
export async function openPage(e2e: E2E, path: string): Promise<WatchedPage> {
  const watched = await e2e.newPage();
  await watched.page.goto(e2e.url(path), { waitUntil: 'load' });
  await waitReady(watched.page);
  return watched;
}

/** Screenshots the canvas `selector` names and measures its pixels (not saved). */
export async function canvasStats(page: Page, selector: string): Promise<PixelStats> {
  const canvas = await page.$(selector);
  if (!canvas) throw new Error(`the page has no ${selector}`);
  return pixelStats(PNG.sync.read(Buffer.from(await canvas.screenshot({ type: 'png' }))));
}
