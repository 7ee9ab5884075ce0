// The pages on a 1024x768 projector (issue 11, item 3), in the normal view and in presenter
// mode: what a lecture found broken, asserted as geometry read from the DOM and from what the
// pages report they drew, never as pixels. The transport stays one row, captions are whole,
// matrix labels are apart and large enough, rank labels stay on their stage, the textbook ring
// is drawn as a ring, caption and counter name the same step while playing, presenter mode
// folds the panel and shows the preset's description.
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIEW_PRESETS } from '../../src/view/collectives/presets.ts';
import { EXPERTS_PRESETS } from '../../src/view/experts/state.ts';
import { KV_PRESETS } from '../../src/view/kv-cache/state.ts';
import { TP_PRESETS } from '../../src/view/tensor-parallel/state.ts';
import { TRAINING_PRESETS } from '../../src/view/training/state.ts';
import { type E2E, startE2E } from './browser.ts';
import { READY_TIMEOUT, stepTo, textOf, visibleAlerts, waitReady } from './page-checks.ts';

const PROJECTOR = { width: 1024, height: 768, deviceScaleFactor: 1 };

interface Box {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

const apart = (a: Box, b: Box) =>
  a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top;

/** The boxes of `selector`'s elements, in CSS px of the viewport. */
const boxes = (page: Page, selector: string): Promise<Box[]> =>
  page.$$eval(selector, (els) =>
    els.map((e) => {
      const r = e.getBoundingClientRect();
      return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
    }),
  );

/** The transport's buttons and counter: one row, all inside the viewport. */
async function expectTransportInOneRow(page: Page): Promise<void> {
  const parts = await boxes(page, '.transport > *');
  expect(parts.length).toBe(5);
  // One row: every part overlaps every other vertically (the counter's text box is shorter
  // than a button's and centred on it); a wrapped part starts below another's bottom.
  const lowestTop = Math.max(...parts.map((b) => b.top));
  const highestBottom = Math.min(...parts.map((b) => b.bottom));
  expect(lowestTop, 'the transport wraps').toBeLessThan(highestBottom);
  for (const b of parts) expect(b.right).toBeLessThanOrEqual(PROJECTOR.width);
}

/** The caption: not cut (its text fits its box) and inside the viewport. */
async function expectCaptionWhole(page: Page): Promise<void> {
  const fit = await page.$eval('#caption', (e) => ({
    scroll: e.scrollWidth,
    client: e.clientWidth,
    right: e.getBoundingClientRect().right,
  }));
  expect(fit.scroll).toBeLessThanOrEqual(fit.client);
  expect(fit.right).toBeLessThanOrEqual(PROJECTOR.width);
}

/** Presenter mode's promises: the flag, the panel folded, large caption, the description. */
async function expectPresenting(page: Page, description: string): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.classList.contains('present'))).toBe(
    true,
  );
  expect(await page.$('#gui .lil-gui.lil-root.lil-closed')).not.toBeNull();
  const px = (selector: string) =>
    page.$eval(selector, (e) => Number.parseFloat(getComputedStyle(e).fontSize));
  expect(await px('#caption')).toBeGreaterThanOrEqual(28);
  expect(await px('#counter')).toBeGreaterThanOrEqual(24);
  expect(await px('#preset-note')).toBeGreaterThanOrEqual(24);
  expect(await textOf(page, '#preset-note')).toBe(description);
  expect(await page.$eval('#present', (e) => e.getAttribute('aria-pressed'))).toBe('true');
  // The link keeps the mode.
  expect(await page.evaluate(() => location.hash)).toMatch(/(^#|&)present=1$/);
}

describe('the pages at 1024x768', () => {
  let e2e: E2E;
  beforeAll(async () => {
    e2e = await startE2E();
  });
  afterAll(async () => {
    await e2e?.close();
  });

  async function open(path: string) {
    const watched = await e2e.newPage();
    await watched.page.setViewport(PROJECTOR);
    await watched.page.goto(e2e.url(path), { waitUntil: 'load' });
    await waitReady(watched.page);
    return watched;
  }

  it('index: the demo cards come first, each a link with its screenshot, in the dark theme', async () => {
    const { page, errors } = await open('/');
    const cards = await page.$$eval('#demos .card', (els) =>
      els.map((e) => {
        const img = e.querySelector('img') as HTMLImageElement;
        return {
          href: e.querySelector('a')?.getAttribute('href'),
          loaded: img.complete && img.naturalWidth > 0,
          bottom: e.getBoundingClientRect().bottom,
          text: e.querySelector('p')?.textContent ?? '',
        };
      }),
    );
    expect(cards.map((c) => c.href)).toEqual([
      './collectives/',
      './tensor-parallel/',
      './kv-cache/',
      './training/',
      './experts/',
    ]);
    for (const c of cards) {
      expect(c.loaded).toBe(true);
      // On the first screen of a projector, not 2200 px down.
      expect(c.bottom).toBeLessThanOrEqual(PROJECTOR.height);
      expect(c.text.length).toBeGreaterThan(20);
    }
    const [bg, demosTop, gpuTop] = await page.evaluate(() => [
      getComputedStyle(document.body).backgroundColor,
      (document.getElementById('demos') as HTMLElement).getBoundingClientRect().top,
      (document.getElementById('gpu-title') as HTMLElement).getBoundingClientRect().top,
    ]);
    // The demos' dark ground (#0d1117), not the white of old.
    expect(bg).toBe('rgb(13, 17, 23)');
    expect(Number(demosTop)).toBeLessThan(Number(gpuTop));
    expect(errors).toEqual([]);
  });

  it('kv-cache: one transport row, the caption and the strip legend whole, in both modes', async () => {
    const preset = KV_PRESETS.find((p) => p.name === 'high-cv-preemption');
    if (!preset) throw new Error('no preset high-cv-preemption');
    for (const present of [false, true]) {
      const { page, errors } = await open(
        `/kv-cache/#preset=${preset.name}${present ? '&present=1' : ''}`,
      );
      expect(await visibleAlerts(page)).toEqual([]);
      for (let k = 1; k <= 3; k++) await stepTo(page, k);
      await expectTransportInOneRow(page);
      await expectCaptionWhole(page);
      const legend = await page.evaluate(() =>
        (
          window as unknown as {
            fleetlabKv: {
              legend(): { x: number; width: number; px: number; canvasWidth: number; text: string };
            };
          }
        ).fleetlabKv.legend(),
      );
      expect(legend.x).toBeGreaterThanOrEqual(0);
      expect(legend.x + legend.width).toBeLessThanOrEqual(legend.canvasWidth);
      expect(legend.px).toBeGreaterThanOrEqual(present ? 24 : 14);
      if (present) await expectPresenting(page, preset.description);
      else {
        expect(await textOf(page, '#preset-note')).toBe(preset.description);
        // Keys: the m key turns presenter mode on.
        await page.keyboard.press('m');
        await page.waitForSelector('html.present');
        await expectTransportInOneRow(page);
      }
      expect(errors).toEqual([]);
      await page.close();
    }
  });

  it('training: one transport row, the caption whole, the timeline fills the stage, in both modes', async () => {
    const preset = TRAINING_PRESETS.find((p) => p.name === 'bubble-gpipe-p8-m16');
    if (!preset) throw new Error('no preset bubble-gpipe-p8-m16');
    for (const present of [false, true]) {
      const { page, errors } = await open(
        `/training/#preset=${preset.name}&step=23${present ? '&present=1' : ''}`,
      );
      expect(await visibleAlerts(page)).toEqual([]);
      await stepTo(page, 24);
      await expectTransportInOneRow(page);
      await expectCaptionWhole(page);
      const canvas = await page.$eval('#timeline', (e) => ({
        w: e.clientWidth,
        h: e.clientHeight,
      }));
      expect(canvas.w).toBeGreaterThan(500);
      expect(canvas.h).toBeGreaterThan(300);
      if (present) await expectPresenting(page, preset.description);
      else expect(await textOf(page, '#preset-note')).toBe(preset.description);
      expect(errors).toEqual([]);
      await page.close();
    }
  });

  it('experts: one transport row, the caption whole, the scene fills the stage, in both modes', async () => {
    const preset = EXPERTS_PRESETS.find((p) => p.name === 'hot-experts');
    if (!preset) throw new Error('no preset hot-experts');
    for (const present of [false, true]) {
      const { page, errors } = await open(
        `/experts/#preset=${preset.name}&step=4${present ? '&present=1' : ''}`,
      );
      expect(await visibleAlerts(page)).toEqual([]);
      await stepTo(page, 5);
      await expectTransportInOneRow(page);
      await expectCaptionWhole(page);
      const canvas = await page.$eval('#scene', (e) => ({ w: e.clientWidth, h: e.clientHeight }));
      expect(canvas.w).toBeGreaterThan(500);
      expect(canvas.h).toBeGreaterThan(300);
      if (present) await expectPresenting(page, preset.description);
      else expect(await textOf(page, '#preset-note')).toBe(preset.description);
      expect(errors).toEqual([]);
      await page.close();
    }
  });

  it('tensor-parallel: matrix labels apart and large, rank labels on their stage', async () => {
    for (const [name, present] of [
      ['attention-heads-4', false],
      ['attention-heads-4', true],
      ['megatron-mlp-8', false],
    ] as const) {
      const preset = TP_PRESETS.find((p) => p.name === name);
      if (!preset) throw new Error(`no preset ${name}`);
      const { page, errors } = await open(
        `/tensor-parallel/#preset=${name}${present ? '&present=1' : ''}`,
      );
      expect(await visibleAlerts(page)).toEqual([]);
      await stepTo(page, 1);
      await expectTransportInOneRow(page);
      const labels = await page.evaluate(() =>
        (
          window as unknown as {
            fleetlabTp: {
              matrixLabels(): {
                text: string;
                x: number;
                y: number;
                w: number;
                h: number;
                px: number;
              }[];
            };
          }
        ).fleetlabTp.matrixLabels(),
      );
      const canvas = await page.$eval('#matrices', (e) => ({
        w: e.clientWidth,
        h: e.clientHeight,
      }));
      expect(labels.length).toBeGreaterThan(2);
      const asBox = (l: (typeof labels)[number]): Box => ({
        left: l.x,
        top: l.y,
        right: l.x + l.w,
        bottom: l.y + l.h,
      });
      for (const [i, l] of labels.entries()) {
        expect(l.px, l.text).toBeGreaterThanOrEqual(present ? 24 : 19);
        expect(l.x).toBeGreaterThanOrEqual(0);
        expect(l.x + l.w).toBeLessThanOrEqual(canvas.w);
        expect(l.y).toBeGreaterThanOrEqual(0);
        expect(l.y + l.h).toBeLessThanOrEqual(canvas.h);
        for (const m of labels.slice(i + 1)) {
          expect(apart(asBox(l), asBox(m)), `${l.text} meets ${m.text}`).toBe(true);
        }
      }
      if (name === 'attention-heads-4') {
        // Two lines of matrices, not one strip.
        expect(new Set(labels.map((l) => Math.round(l.y))).size).toBeGreaterThanOrEqual(2);
      }
      const [stage] = await boxes(page, '.stage.fabric');
      const ranks = await boxes(page, '#labels span');
      expect(ranks.length).toBe(preset.state.ranks);
      for (const r of ranks) {
        expect(r.left).toBeGreaterThanOrEqual((stage as Box).left);
        expect(r.right).toBeLessThanOrEqual((stage as Box).right);
        expect(r.top).toBeGreaterThanOrEqual((stage as Box).top);
        expect(r.bottom).toBeLessThanOrEqual((stage as Box).bottom);
      }
      if (present) await expectPresenting(page, preset.description);
      expect(errors).toEqual([]);
      await page.close();
    }
  });

  it('collectives: the textbook ring is a ring; playing, caption and counter agree and the pause shows', async () => {
    const preset = VIEW_PRESETS.find((p) => p.name === 'textbook-ring');
    if (!preset) throw new Error('no preset textbook-ring');
    const { page, errors } = await open('/collectives/#preset=textbook-ring&present=1');
    expect(await visibleAlerts(page)).toEqual([]);
    expect(await page.$eval('#scene', (e) => ({ ...(e as HTMLElement).dataset }))).toMatchObject({
      topology: 'ring',
      hubs: '0',
    });
    await expectTransportInOneRow(page);
    await expectPresenting(page, preset.description);
    const labelPx = await page.$$eval('#labels span', (els) =>
      els.map((e) => Number.parseFloat(getComputedStyle(e).fontSize)),
    );
    expect(labelPx.length).toBeGreaterThan(0);
    for (const px of labelPx) expect(px).toBeGreaterThanOrEqual(24);

    // Play at the fastest speed and record, on every animation frame until the end, the
    // caption's step beside the counter's and the play button's words.
    await page.keyboard.press('p');
    const seen = await page.evaluate(
      () =>
        new Promise<{ caption: string; counter: string; play: string }[]>((done) => {
          const out: { caption: string; counter: string; play: string }[] = [];
          const text = (id: string) => (document.getElementById(id)?.textContent ?? '').trim();
          const frame = () => {
            out.push({ caption: text('caption'), counter: text('counter'), play: text('play') });
            if (document.body.dataset.step === '6' && text('play').includes('play')) done(out);
            else requestAnimationFrame(frame);
          };
          frame();
        }),
    );
    const playing = seen.filter((s) => s.play.includes('pause'));
    expect(playing.length).toBeGreaterThan(0);
    for (const s of playing) expect(s.play).toBe('❚❚ pause');
    const during = playing.filter((s) => /^step \d+ of \d+:/.test(s.caption));
    expect(during.length).toBeGreaterThan(0);
    for (const s of during) {
      expect(s.counter, s.caption).toBe(s.caption.slice(0, s.caption.indexOf(':')));
    }
    await page.waitForSelector('body[data-step="6"]', { timeout: READY_TIMEOUT });
    expect(errors).toEqual([]);
  });

  it("a link past the scene's last step shows the last step and says so", async () => {
    const { page, errors } = await open('/collectives/#preset=textbook-ring&step=99');
    expect(await page.evaluate(() => document.body.dataset.step)).toBe('6');
    const alerts = await visibleAlerts(page);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/step 99 is past the end of this scene \(6 steps\); showing step 6/);
    expect(errors).toEqual([]);
  });
});
