// Results files on the collectives page's sweep plot, in a real Chromium: the JSON of `fleetlab
// import nccl-tests --json` and of `fleetlab bench --json` (fixtures/sweep-results/, written by
// those commands) loaded through the "Load results…" file input and by a drop on the plot, each
// run a legend entry and markers beside the model curves, a run of another collective labelled
// so, the × taking a run off; files that are not results named in the page's alert; a sweep
// measured afterwards keeps them.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readResultsFile } from '../../src/view/collectives/sweep-import.ts';
import { LOADED_COLOURS } from '../../src/view/collectives/sweep-plot.ts';
import { type E2E, startE2E } from './browser.ts';
import { artifacts, openPage, READY_TIMEOUT, visibleAlerts } from './page-checks.ts';

const dir = resolve(import.meta.dirname, 'fixtures/sweep-results');
const FILES = ['nccl-allreduce-8.json', 'bench-allreduce-4.json', 'nccl-allgather-4.json'];

/** The runs and points the page should draw for `files`, read by the same module in Node. */
function expected(files: readonly string[]) {
  const runs = files.flatMap((f) => readResultsFile(f, readFileSync(join(dir, f), 'utf8')));
  return { runs, points: runs.reduce((n, r) => n + r.points.length, 0) };
}

const dataset = (page: Page) =>
  page.$eval('#sweep', (e) => ({ ...(e as HTMLElement).dataset }) as Record<string, string>);

const legendLabels = (page: Page) =>
  page.$$eval('#sweep .u-legend .u-series .u-label', (els) =>
    els.map((e) => (e.textContent ?? '').trim()),
  );

const listLabels = (page: Page) =>
  page.$$eval('#sweep-loaded li', (els) => els.map((e) => (e as HTMLElement).dataset.label ?? ''));

/** Whether the plot's canvas has a pixel within a small distance of #rrggbb. */
async function canvasHas(page: Page, hex: string): Promise<boolean> {
  const canvas = await page.$('#sweep canvas');
  if (!canvas) throw new Error('the sweep has no canvas');
  const { PNG } = await import('pngjs');
  const png = PNG.sync.read(Buffer.from(await canvas.screenshot({ type: 'png' })));
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)) as [
    number,
    number,
    number,
  ];
  for (let i = 0; i < png.data.length; i += 4) {
    const d =
      Math.abs((png.data[i] as number) - r) +
      Math.abs((png.data[i + 1] as number) - g) +
      Math.abs((png.data[i + 2] as number) - b);
    if (d < 12) return true;
  }
  return false;
}

describe('sweep plot: loaded results', () => {
  let e2e: E2E;
  let scratch: string;

  beforeAll(async () => {
    e2e = await startE2E();
    scratch = mkdtempSync(join(tmpdir(), 'fleetlab-sweep-import-'));
  });

  afterAll(async () => {
    await e2e?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('loads nccl-tests and bench files beside the models, removes one, names bad files', async () => {
    // AllReduce on 4 ranks: the allgather run is of another collective.
    const { page, errors } = await openPage(e2e, '/collectives/#preset=textbook-ring');
    expect(await visibleAlerts(page)).toEqual([]);
    const input = await page.waitForSelector('input#sweep-load', { timeout: READY_TIMEOUT });
    if (!input) throw new Error('no #sweep-load');

    const all = expected(FILES);
    await input.uploadFile(...FILES.map((f) => join(dir, f)));
    await page.waitForSelector(`#sweep[data-loaded="${all.runs.length}"]`, { timeout: 30_000 });
    const data = await dataset(page);
    expect(Number(data.loadedPoints)).toBe(all.points);
    // The model curves drew with them, though nothing was measured.
    expect(data.models?.split(',').length).toBeGreaterThan(0);
    expect(data.points).toBe('0');

    const names = [
      'nccl-allreduce-8.json: allreduce, 8 ranks',
      'bench-allreduce-4.json: allreduce ring, 4 ranks',
      'bench-allreduce-4.json: allreduce tree, 4 ranks',
      'nccl-allgather-4.json: allgather, 4 ranks (not allreduce)',
    ];
    expect(await listLabels(page)).toEqual(names);
    const legend = await legendLabels(page);
    expect(legend.slice(-names.length)).toEqual(names);
    expect(legend.some((l) => /model ring/.test(l))).toBe(true);
    expect(await page.$$eval('#sweep-loaded li', (els) => els.map((e) => e.textContent))).toEqual(
      expect.arrayContaining([expect.stringMatching(/11 points; 1 row not drawn/)]),
    );
    // The markers are on the canvas, in the second run's colour (the first is white, as text).
    expect(await canvasHas(page, LOADED_COLOURS[1] as string)).toBe(true);
    mkdirSync(artifacts, { recursive: true });
    await (await page.$('#sweep'))?.screenshot({ path: join(artifacts, 'sweep-loaded.png') });
    expect(await visibleAlerts(page)).toEqual([]);

    // The × takes one run off the plot and the list.
    await page.click('#sweep-loaded li:nth-child(3) .remove');
    await page.waitForSelector(`#sweep[data-loaded="${all.runs.length - 1}"]`);
    expect(await listLabels(page)).toEqual(names.filter((_, i) => i !== 2));
    const tree = all.runs[2]?.points.length ?? 0;
    expect(Number((await dataset(page)).loadedPoints)).toBe(all.points - tree);

    // Files that are not results: the alert names each and what is wrong; the plot stays.
    writeFileSync(join(scratch, 'broken.json'), '{"collective": "allreduce", "rows": [');
    writeFileSync(join(scratch, 'calibration.json'), '{"tool": "fleetlab calibrate"}');
    writeFileSync(join(scratch, 'empty.json'), '{"collective": "allreduce", "rows": []}');
    await input.uploadFile(
      ...['broken', 'calibration', 'empty'].map((f) => join(scratch, `${f}.json`)),
    );
    await page.waitForFunction(
      () => /empty\.json/.test(document.getElementById('alert')?.textContent ?? ''),
      { timeout: 30_000 },
    );
    const [alert, ...more] = await visibleAlerts(page);
    expect(more).toEqual([]);
    expect(alert).toMatch(/^Results that cannot be shown on the sweep plot:/);
    expect(alert).toMatch(/broken\.json: not JSON/);
    expect(alert).toMatch(/calibration\.json: not a results file/);
    expect(alert).toMatch(/empty\.json: no rows/);
    expect((await dataset(page)).loaded).toBe(String(all.runs.length - 1));

    // A file dropped on the plot loads as one chosen does.
    const text = readFileSync(join(dir, 'nccl-allreduce-8.json'), 'utf8');
    await page.$eval(
      '#sweep canvas',
      (canvas, body) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([body], 'dropped.json', { type: 'application/json' }));
        const init = { dataTransfer: transfer, bubbles: true, cancelable: true };
        canvas.dispatchEvent(new DragEvent('dragover', init));
        canvas.dispatchEvent(new DragEvent('drop', init));
      },
      text,
    );
    await page.waitForSelector(`#sweep[data-loaded="${all.runs.length}"]`, { timeout: 30_000 });
    expect((await listLabels(page)).at(-1)).toBe('dropped.json: allreduce, 8 ranks');
    // The same file again replaces its run instead of drawing it twice.
    // (The list is drawn anew on every load: a mark on the old one says when that happened.)
    await page.$eval('#sweep-loaded li', (li) => li.setAttribute('data-old', ''));
    await input.uploadFile(join(dir, 'nccl-allreduce-8.json'));
    await page.waitForFunction(() => !document.querySelector('#sweep-loaded li[data-old]'), {
      timeout: 30_000,
    });
    expect((await dataset(page)).loaded).toBe(String(all.runs.length));
    expect(await listLabels(page)).toHaveLength(all.runs.length);

    // Measuring the sweep afterwards keeps the loaded runs beside the measured points.
    await page.click('#sweep-run');
    await page.waitForFunction(
      () => /points measured/.test(document.getElementById('sweep-status')?.textContent ?? ''),
      { timeout: READY_TIMEOUT },
    );
    const after = await dataset(page);
    expect(Number(after.points)).toBeGreaterThan(0);
    expect(after.loaded).toBe(String(all.runs.length));
    expect((await legendLabels(page)).slice(-2)).toEqual([
      'nccl-allgather-4.json: allgather, 4 ranks (not allreduce)',
      'dropped.json: allreduce, 8 ranks',
    ]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
