// The sweep plot in a real Chromium, without a page of its own under demos/ (every page there is
// a build entry): a bare fixture page, served by Vite's dev server from localhost (a secure
// context, so WebGPU is there) through its /@fs/ route, imports the component from src/.
// It checks what a user and the collectives page's tests rely on: a canvas that is not blank,
// one measured series per algorithm in the legend and in data-series, the crossover marked,
// resizing with the container; then a sweep measured on the GPU in the page, as the page will.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Sweep from '../../src/view/collectives/sweep.ts';
import type * as SweepPlot from '../../src/view/collectives/sweep-plot.ts';
import { type E2E, startE2E } from './browser.ts';
import { artifacts, pixelStats, READY_TIMEOUT } from './page-checks.ts';

/** fixtures/sweep-plot.html, through Vite's route to files outside the root (demos/). */
const PAGE = `/@fs${resolve(import.meta.dirname, 'fixtures/sweep-plot.html')}`;

/** What the bare page puts on window for the test to drive. */
interface SweepTestApi {
  readonly plot: typeof SweepPlot;
  readonly sweep: typeof Sweep;
  readonly device: typeof import('../../src/gpu/device.ts');
  readonly provider: typeof import('../../src/gpu/provider.ts');
  readonly shaders: typeof import('../../src/gpu/shaders-vite.ts');
  readonly presets: typeof import('../../src/fabric/fabric-presets.ts');
}
type TestWindow = Window & { sweepTest?: SweepTestApi; handle?: SweepPlot.SweepPlot };

async function openTestPage(e2e: E2E) {
  const watched = await e2e.newPage();
  await watched.page.goto(e2e.url(PAGE), { waitUntil: 'load' });
  await watched.page.waitForSelector('body[data-ready="true"]', { timeout: READY_TIMEOUT });
  return watched;
}

/** Screenshots the plot's canvas (saved under artifacts/) and measures its pixels. */
async function plotPixels(page: Page, file: string) {
  const canvas = await page.$('#plot canvas');
  if (!canvas) throw new Error('the plot has no canvas');
  const shot = await canvas.screenshot({ type: 'png' });
  mkdirSync(artifacts, { recursive: true });
  writeFileSync(join(artifacts, file), shot);
  const png = PNG.sync.read(Buffer.from(shot));
  return { png, stats: pixelStats(png) };
}

function legendLabels(page: Page): Promise<string[]> {
  return page.$$eval('#plot .u-legend .u-series .u-label', (els) =>
    els.map((e) => (e.textContent ?? '').trim()),
  );
}

describe('sweep plot', () => {
  let e2e: E2E;

  beforeAll(async () => {
    e2e = await startE2E();
  });

  afterAll(async () => {
    await e2e?.close();
  });

  it('draws measured points and model curves, marks the crossover, resizes', async () => {
    const { page, errors } = await openTestPage(e2e);
    const summary = await page.evaluate(() => {
      const api = (window as TestWindow).sweepTest;
      if (!api) throw new Error('the test page did not load its modules');
      const ranks = 64;
      const sizes = api.sweep.logSizes(1024, 64 * 2 ** 20, 2);
      const preset = api.presets.fabricPreset('nvswitch');
      const spec = {
        collective: 'allreduce',
        algorithms: ['ring', 'tree'],
        ranks,
        sizes,
        fabric: preset.build(ranks),
        closedFormLink: preset.link,
      } as const;
      const models = api.sweep.modelCurves(spec);
      const crossover = api.sweep.crossover({
        collective: 'allreduce',
        ranks,
        link: preset.link,
        curves: models,
        model: spec,
      });
      // Synthetic measurements: the model's times, a little off, at every other size.
      const measured = models
        .filter((c) => c.kind === 'priced')
        .flatMap((c) =>
          c.points
            .filter((_, i) => i % 2 === 0)
            .map((p, i) => ({
              algorithm: c.algorithm,
              bytes: p.bytes,
              time_s: p.time_s * (1.2 + 0.1 * (i % 3)),
              median_s: p.time_s,
              busbw_Bps: p.busbw_Bps / (1.2 + 0.1 * (i % 3)),
              wrong: 0,
            })),
        );
      const container = document.getElementById('plot') as HTMLElement;
      (window as TestWindow).handle = api.plot.mountSweepPlot(container, {
        measured,
        models,
        crossover,
        metric: 'busbw',
        title: 'AllReduce, 64 ranks, NVSwitch model',
      });
      return { crossover, points: measured.length };
    });
    expect(summary.crossover.model_bytes).toBeGreaterThan(1 << 20);
    expect(summary.crossover.faster_below).toBe('tree');

    const data = await page.$eval('#plot', (e) => ({ ...(e as HTMLElement).dataset }));
    expect(data.series?.split(',')).toEqual(['measured ring', 'measured tree']);
    expect(data.models?.split(',')).toEqual([
      'model ring',
      'closed form ring',
      'model tree',
      'closed form tree',
    ]);
    expect(Number(data.points)).toBe(summary.points);
    expect(data.crossover).toBe(String(Math.round(summary.crossover.model_bytes as number)));
    expect(await legendLabels(page)).toEqual([
      'model ring',
      'closed form ring',
      'measured ring',
      'model tree',
      'closed form tree',
      'measured tree',
    ]);
    expect(await page.$eval('#plot .u-title', (e) => e.textContent)).toMatch(/64 ranks/);

    const { png: shot, stats } = await plotPixels(page, 'sweep-plot.png');
    // Title, canvas and legend together: what a reviewer looks at.
    await (await page.$('#plot'))?.screenshot({ path: join(artifacts, 'sweep-plot-whole.png') });
    console.info(`sweep plot canvas: ${JSON.stringify(stats)}`);
    expect(stats.width).toBeGreaterThan(1000);
    expect(stats.distinctColours).toBeGreaterThan(50);
    expect(stats.foreground).toBeGreaterThan(0.02);
    // Each algorithm's colour is on the canvas (Okabe-Ito orange for ring, sky blue for tree).
    const has = (r: number, g: number, b: number) => {
      for (let i = 0; i < shot.data.length; i += 4) {
        const d =
          Math.abs((shot.data[i] as number) - r) +
          Math.abs((shot.data[i + 1] as number) - g) +
          Math.abs((shot.data[i + 2] as number) - b);
        if (d < 12) return true;
      }
      return false;
    };
    expect(has(0xe6, 0x9f, 0x00)).toBe(true);
    expect(has(0x56, 0xb4, 0xe9)).toBe(true);

    // The container narrows: the plot follows.
    await page.$eval('#plot', (e) => {
      (e as HTMLElement).style.width = '600px';
    });
    await page.waitForFunction(
      () => (document.querySelector('#plot canvas') as HTMLCanvasElement).clientWidth <= 600,
      { timeout: 10_000 },
    );
    // Time instead of busbw, and a third algorithm: same container, new series.
    await page.evaluate(() => {
      const w = window as TestWindow;
      w.handle?.update({
        measured: [
          { algorithm: 'ring', bytes: 4096, time_s: 1e-4, median_s: 1e-4, busbw_Bps: 1, wrong: 0 },
        ],
        models: [],
        metric: 'time',
        algorithms: ['ring', 'tree', 'dbtree'],
      });
    });
    expect(await page.$eval('#plot', (e) => (e as HTMLElement).dataset.series)).toBe(
      'measured ring,measured tree,measured dbtree',
    );
    expect(await page.$eval('#plot', (e) => (e as HTMLElement).dataset.points)).toBe('1');
    await plotPixels(page, 'sweep-plot-narrow.png');

    await page.evaluate(() => (window as TestWindow).handle?.destroy());
    expect(await page.$$('#plot canvas')).toHaveLength(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('measures a sweep on the GPU in the page and plots it', async () => {
    const { page, errors } = await openTestPage(e2e);
    const result = await page.evaluate(async () => {
      const api = (window as TestWindow).sweepTest;
      if (!api) throw new Error('the test page did not load its modules');
      const ctx = await api.device.acquireDevice({
        provider: api.provider.browserProvider(navigator, isSecureContext),
      });
      const t0 = performance.now();
      const progress: number[] = [];
      const container = document.getElementById('plot') as HTMLElement;
      const spec = {
        collective: 'allreduce',
        algorithms: ['ring', 'tree'],
        ranks: 8,
        sizes: [1024, 16384],
        dtype: 'float',
        redop: 'sum',
        iters: 2,
      } as const;
      const handle = api.plot.mountSweepPlot(container, {
        measured: [],
        models: [],
        metric: 'time',
        algorithms: spec.algorithms,
      });
      const measured: Sweep.MeasuredPoint[] = [];
      await api.sweep.measureSweep(ctx, api.shaders.viteShaders, spec, (p, i) => {
        measured.push(p);
        progress.push(i);
        handle.update({ measured, models: [], metric: 'time', algorithms: spec.algorithms });
      });
      const seconds = (performance.now() - t0) / 1000;
      ctx.device.destroy();
      return { measured, progress, seconds };
    });
    console.info(
      `in-page sweep: ${result.seconds.toFixed(1)} s, ${result.measured
        .map((p) => `${p.algorithm} ${p.bytes} B ${(p.time_s * 1e6).toFixed(0)} us`)
        .join('; ')}`,
    );
    expect(result.progress).toEqual([0, 1, 2, 3]);
    expect(result.measured.map((p) => p.wrong)).toEqual([0, 0, 0, 0]);
    const data = await page.$eval('#plot', (e) => ({ ...(e as HTMLElement).dataset }));
    expect(data.series).toBe('measured ring,measured tree');
    // Chrome's clock may read 0 for a tiny step (100 us grid): such points are not drawn.
    const timed = result.measured.filter((p) => p.time_s > 0).length;
    expect(Number(data.points)).toBe(timed);
    expect(errors).toEqual([]);
    await page.close();
  });
});
