// The KV-cache page in a real Chromium on SwiftShader: every preset serves its workload on the
// GPU decoder and draws the block pool; stepping moves the caption and the pixels; the other
// scheduler runs on the same workload for the comparison table; URLs round-trip; junk shows
// one alert and the page still steps; without WebGPU (or once the device is lost) the run is
// modelled and says so.
// FLEETLAB_DOCS=1 also writes docs/kv-cache.png (the README's screenshot).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KV_PRESETS } from '../../src/view/kv-cache/state.ts';
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
  scheduler: string;
  requests: number;
  completed: number;
  frames: number;
  preemptions: number;
  measured: boolean;
}
const run = (page: Page) =>
  page.evaluate(() => (window as unknown as { fleetlabKv: { run(): RunView } }).fleetlabKv.run());

describe('KV-cache page', () => {
  let e2e: E2E;
  beforeAll(async () => {
    e2e = await startE2E();
  });
  afterAll(async () => {
    await e2e?.close();
  });

  const open = (hash: string) => openPage(e2e, `/kv-cache/${hash}`);

  it('every preset serves every request on the GPU and draws the pool; stepping moves it', async () => {
    const { page, errors } = await open('');
    for (const p of KV_PRESETS) {
      if (p.name !== KV_PRESETS[0]?.name) await goHash(page, `#preset=${p.name}`);
      expect(await visibleAlerts(page), p.name).toEqual([]);
      const r = await run(page);
      expect(r, p.name).toMatchObject({
        scheduler: p.state.scheduler,
        requests: p.state.requests,
        completed: p.state.requests,
        measured: true,
      });
      expect(r.frames).toBeGreaterThan(1);
      expect(await textOf(page, '#status')).toMatch(/measured on google swiftshader|measured on/);
      if (p.name === 'high-cv-preemption') {
        expect(r.preemptions).toBeGreaterThan(0);
        const at = await page.evaluate(() =>
          (
            window as unknown as { fleetlabKv: { firstPreemption(): number } }
          ).fleetlabKv.firstPreemption(),
        );
        await goHash(page, `#preset=high-cv-preemption&step=${at}`);
        expect(await textOf(page, '#caption')).toMatch(
          /requests? [\d, ]+ preempted \(pool full\), (its|their) \d+ blocks? freed/,
        );
      }
    }
    await goHash(page, '#preset=continuous-cv1');
    expect(await textOf(page, '#counter')).toMatch(/^iteration 0 of \d+$/);
    const empty = await canvasStats(page, 'canvas#pool');
    const captions: string[] = [];
    for (let k = 1; k <= 3; k++) {
      await stepTo(page, k);
      captions.push(await textOf(page, '#caption'));
    }
    expect(captions[0]).toMatch(/^iteration 1 of \d+, t = [\d.]+ s; admitted /);
    expect(new Set(captions).size).toBe(3);
    const filled = await canvasStats(page, 'canvas#pool');
    expect(filled.distinctColours).toBeGreaterThan(empty.distinctColours);
    expect(filled.foreground).toBeGreaterThan(empty.foreground);
    await stepTo(page, 2, 'ArrowLeft');
    expect(await page.evaluate(() => location.hash)).toBe('#preset=continuous-cv1&step=2');
    const charts = await page.$eval('#charts', (e) => e.getAttribute('data-series') ?? '');
    expect(charts.split(',')).toContain('paged utilization');
    // The charts mark the iteration shown.
    const mark = await page.$eval('#charts', (e) => Number(e.getAttribute('data-mark')));
    expect(mark).toBeGreaterThan(0);
    expect(await page.$$eval('#charts canvas', (c) => c.length)).toBeGreaterThanOrEqual(3);
    if (process.env.FLEETLAB_DOCS) {
      // Mid-run: eight requests running, seven finished, one waiting (all arrive at t = 0, so
      // the schedule is the same on any engine).
      await goHash(page, '#preset=continuous-cv1&step=22');
      await page.setViewport({ width: 1600, height: 900 });
      await page.evaluate(() => window.dispatchEvent(new Event('resize')));
      await new Promise((r) => setTimeout(r, 500));
      writeFileSync(
        resolve(import.meta.dirname, '../../docs/kv-cache.png'),
        await page.screenshot({ type: 'png' }),
      );
    }
    expect(errors).toEqual([]);
  });

  it('the other scheduler runs on the same workload; the table sets both side by side', async () => {
    const { page, errors } = await open('#preset=static-cv1');
    // The progress line while the other scheduler serves: iteration by iteration.
    await page.evaluate(() => {
      const seen: string[] = [];
      Object.assign(window, { progressSeen: seen });
      const box = document.getElementById('compare-status') as HTMLElement;
      new MutationObserver(() => seen.push(box.textContent ?? '')).observe(box, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    await page.click('#compare');
    await page.waitForFunction(
      () =>
        (
          window as unknown as { fleetlabKv: { schedulersRun(): string[] } }
        ).fleetlabKv.schedulersRun().length === 2,
      { timeout: READY_TIMEOUT },
    );
    await page.waitForFunction(
      () => /measured/.test(document.getElementById('results')?.textContent ?? ''),
      {
        timeout: READY_TIMEOUT,
      },
    );
    const seen = await page.evaluate(
      () => (window as unknown as { progressSeen: string[] }).progressSeen,
    );
    expect(
      seen.some((t) =>
        /^Serving 16 requests \(continuous batching\) on the GPU… iteration \d+, \d+ of 16 finished/.test(
          t,
        ),
      ),
    ).toBe(true);
    const table = await textOf(page, '#results');
    expect(table).toMatch(/static/);
    expect(table).toMatch(/continuous/);
    expect(table).toMatch(
      /continuous \/ static tokens\/s[\d.]+x measured; the textbook's 1 \+ CV\^2\/2 = 1\.50x/,
    );
    // Switching the scheduler in the URL shows the run already made, with no new serving.
    await goHash(page, '#preset=continuous-cv1');
    expect((await run(page)).scheduler).toBe('continuous');
    expect(errors).toEqual([]);
  });

  it('a URL with every control set round-trips; junk gives one alert and the page still steps', async () => {
    const hash =
      '#preset=&scheduler=static&requests=6&rate=15&cv=0.5&promptMean=8&outputMean=10&blocks=24&blockTokens=8&maxBatch=4&ranks=2&seed=9&step=1&speed=2';
    const { page } = await open(hash);
    expect(await visibleAlerts(page)).toEqual([]);
    expect(await page.evaluate(() => location.hash)).toBe(hash);
    expect((await run(page)).completed).toBe(6);
    const junk = await open('#scheduler=lottery&requests=5000&cv=x');
    const alerts = await visibleAlerts(junk.page);
    expect(alerts).toHaveLength(1);
    expect((alerts[0] ?? '').split('\n').filter((l) => /keeping/.test(l))).toHaveLength(3);
    expect(alerts[0]).toMatch(/requests '5000' must be a whole number from 1 to 64/);
    await stepTo(junk.page, 1);
    expect(await textOf(junk.page, '#caption')).toMatch(/^iteration 1 of/);
  });

  it('without WebGPU the alert says so and the run is modelled, not measured', async () => {
    const { page, errors } = await e2e.newPage({ noWebGpu: true });
    await page.goto(e2e.url('/kv-cache/#preset=high-cv-preemption'), { waitUntil: 'load' });
    await waitReady(page);
    const alerts = await visibleAlerts(page);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/navigator\.gpu is undefined/);
    expect(alerts[0]).toMatch(/modelled, not measured/);
    expect(await textOf(page, '#status')).toMatch(/modelled, not measured/);
    const r = await run(page);
    expect(r.measured).toBe(false);
    expect(r.completed).toBe(r.requests);
    await stepTo(page, 1);
    expect(await textOf(page, '#caption')).toMatch(/^iteration 1 of/);
    expect(errors).toEqual([]);
  });
  it('a lost device shows the alert, keeps the run, and later runs are modelled', async () => {
    const { page, errors } = await open('#preset=continuous-cv1');
    await stepTo(page, 1);
    await page.evaluate(() =>
      (
        window as unknown as { fleetlabKv: { simulateDeviceLoss(): void } }
      ).fleetlabKv.simulateDeviceLoss(),
    );
    const alerts = await visibleAlerts(page);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/device was lost/);
    expect(await textOf(page, '#counter')).toMatch(/^iteration 1 of/);
    expect((await canvasStats(page, '#pool')).distinctColours).toBeGreaterThan(2);
    await stepTo(page, 2);
    await goHash(page, '#preset=high-cv-preemption');
    expect((await run(page)).measured).toBe(false);
    expect(await textOf(page, '#status')).toMatch(/modelled, not measured/);
    expect((await visibleAlerts(page))[0]).toMatch(/device was lost/);
    expect(errors).toEqual([]);
  });
});
