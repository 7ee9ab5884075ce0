// The built site (`vite build`, built once for this file) served as a static host would serve
// it, under a sub-path: each page reaches its done state with every request it makes staying
// below the mount, the index's links lead to the demos there, an unknown path gets the 404 page
// with status 404 and a link back to the index; and Vite's own dev and preview servers answer
// unknown paths with 404, not the index with 200.
//
// A representative subset, not the whole suite twice: one done state per page (the page tests
// run everything else on the dev server, and a page that loads its assets runs the same code).
import { resolve } from 'node:path';
import type { HTTPRequest, Page } from 'puppeteer-core';
import { createServer, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2E, startE2E } from './browser.ts';
import { READY_TIMEOUT, stepTo, textOf, visibleAlerts, waitReady } from './page-checks.ts';
import { type BuiltSite, buildSite } from './static-site.ts';

const MOUNT = '/some/sub/path/';
const CONFIG = resolve(import.meta.dirname, '../../vite.config.ts');

let site: BuiltSite | undefined;

beforeAll(async () => {
  const started = performance.now();
  site = await buildSite();
  // Reported, never asserted: how much of the suite's time the build takes.
  console.info(
    `vite build for the built-site tests: ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
});

afterAll(() => {
  site?.remove();
});

/** Every URL the page asks for, to check none climbs above the mount. */
function requestsOf(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (request: HTTPRequest) => {
    urls.push(request.url());
  });
  return urls;
}

describe('built site under a sub-path', () => {
  let e2e: E2E;
  let root: string;

  beforeAll(async () => {
    if (!site) throw new Error('the site was not built');
    e2e = await startE2E({ built: { dir: site.dir, mount: MOUNT } });
    root = e2e.url('/');
    expect(new URL(root).pathname).toBe(MOUNT);
  });

  afterAll(async () => {
    await e2e?.close();
  });

  /** Opens `path` below the mount, waits until it is ready, with its requests recorded. */
  async function open(path: string) {
    const watched = await e2e.newPage();
    const requests = requestsOf(watched.page);
    const response = await watched.page.goto(e2e.url(path), { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    await waitReady(watched.page);
    return { ...watched, requests };
  }

  /** Every request went to the site below the mount (or was inline data). */
  function expectBelowMount(requests: readonly string[]): void {
    expect(requests.length).toBeGreaterThan(1);
    expect(requests.filter((u) => !u.startsWith(root) && !u.startsWith('data:'))).toEqual([]);
  }

  it('the index runs its reduce, and each demo link leads below the mount', async () => {
    const { page, errors, requests } = await open('/');
    expect(await visibleAlerts(page)).toEqual([]);
    expect(await page.$eval('#reduce-result', (e) => e.getAttribute('data-ok'))).toBe('true');
    const links = await page.$$eval('#demos a', (as) =>
      as.map((a) => (a as HTMLAnchorElement).href),
    );
    expect(links.sort()).toEqual(
      ['collectives/', 'experts/', 'kv-cache/', 'tensor-parallel/', 'training/'].map(
        (p) => root + p,
      ),
    );
    expectBelowMount(requests);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('collectives: the textbook ring ends with [10, 26, 18, 34] on every rank', async () => {
    const { page, errors, requests } = await open('/collectives/#preset=textbook-ring');
    expect(await visibleAlerts(page)).toEqual([]);
    for (let k = 1; k <= 6; k++) await stepTo(page, k);
    const strips = await page.evaluate(() =>
      (window as unknown as { fleetlabView: { strips(): number[][] } }).fleetlabView.strips(),
    );
    expect(strips).toEqual(Array.from({ length: 4 }, () => [10, 26, 18, 34]));
    // The page's link back to the index stays below the mount.
    expect(await page.$eval('h1 a', (a) => (a as HTMLAnchorElement).href)).toBe(root);
    expectBelowMount(requests);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('tensor-parallel: every rank of the GPU result is right', async () => {
    const { page, errors, requests } = await open('/tensor-parallel/');
    expect(await visibleAlerts(page)).toEqual([]);
    expect(await textOf(page, '#status')).toMatch(/measured on this GPU/);
    expect(await page.$eval('#checks', (e) => e.getAttribute('data-wrong'))).toBe('0');
    expect(await page.$eval('#times', (e) => e.getAttribute('data-measured'))).toBe('true');
    expectBelowMount(requests);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('kv-cache: every request of the default preset is served on the GPU', async () => {
    const { page, errors, requests } = await open('/kv-cache/');
    expect(await visibleAlerts(page)).toEqual([]);
    const run = await page.evaluate(() =>
      (
        window as unknown as {
          fleetlabKv: { run(): { requests: number; completed: number; measured: boolean } };
        }
      ).fleetlabKv.run(),
    );
    expect(run.requests).toBeGreaterThan(0);
    expect(run).toMatchObject({ completed: run.requests, measured: true });
    expectBelowMount(requests);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('training: the default preset runs on the GPU, checked against the reference', async () => {
    const { page, errors, requests } = await open('/training/');
    expect(await visibleAlerts(page)).toEqual([]);
    const run = await page.evaluate(() =>
      (
        window as unknown as {
          fleetlabTraining: { run(): { measured: boolean; ok: boolean } };
        }
      ).fleetlabTraining.run(),
    );
    expect(run).toMatchObject({ measured: true, ok: true });
    expectBelowMount(requests);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('experts: the default preset runs on the GPU, checked against the f64 layer', async () => {
    const { page, errors, requests } = await open('/experts/');
    expect(await visibleAlerts(page)).toEqual([]);
    const run = await page.evaluate(() =>
      (
        window as unknown as {
          fleetlabExperts: { run(): { measured: boolean; ok: boolean } };
        }
      ).fleetlabExperts.run(),
    );
    expect(run).toMatchObject({ measured: true, ok: true });
    expectBelowMount(requests);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('an unknown path gets the 404 page, status 404, linking back to the index', async () => {
    const { page } = await e2e.newPage();
    const response = await page.goto(e2e.url('/no/such/page'), { waitUntil: 'load' });
    expect(response?.status()).toBe(404);
    expect(await textOf(page, 'h1')).toBe('No such page');
    expect(await textOf(page, '#missing')).toBe(`${MOUNT}no/such/page`);
    // The page finds the site's root however deep the missing path was.
    await page.waitForSelector('#home[data-found]', { timeout: READY_TIMEOUT });
    expect(await page.$eval('#home', (a) => a.getAttribute('data-found'))).toBe('true');
    expect(await page.$eval('#home', (a) => (a as HTMLAnchorElement).href)).toBe(root);
    // The dark ground of the demos.
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(
      'rgb(13, 17, 23)',
    );
    // A page's folder without its slash is redirected to it, as static hosts do.
    const redirected = await page.goto(e2e.url('/kv-cache'), { waitUntil: 'domcontentloaded' });
    expect(redirected?.url()).toBe(`${root}kv-cache/`);
    await page.close();
  });
});

describe("Vite's servers answer unknown paths with 404", () => {
  /** Status and body of GET `path` as a browser asks for a page. */
  async function get(base: string, path: string): Promise<{ status: number; body: string }> {
    const response = await fetch(new URL(path, base), { headers: { Accept: 'text/html' } });
    return { status: response.status, body: await response.text() };
  }

  async function expectNotFound(base: string): Promise<void> {
    for (const path of ['nope', 'no/such/page', 'collectives/nope']) {
      const { status, body } = await get(base, path);
      expect(status, path).toBe(404);
      expect(body, path).toContain('No such page');
    }
    const index = await get(base, '');
    expect(index.status).toBe(200);
    expect(index.body).not.toContain('No such page');
    const page = await get(base, 'collectives/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('collectives');
  }

  it('the dev server (npm run dev)', async () => {
    const server = await createServer({
      configFile: CONFIG,
      logLevel: 'error',
      server: { host: 'localhost', port: 0, strictPort: true },
    });
    try {
      await server.listen();
      const base = server.resolvedUrls?.local[0];
      if (!base) throw new Error('Vite did not start listening');
      await expectNotFound(base);
    } finally {
      await server.close();
    }
  });

  it('the preview server (vite preview of the build)', async () => {
    if (!site) throw new Error('the site was not built');
    const server = await preview({
      configFile: CONFIG,
      logLevel: 'error',
      build: { outDir: site.dir },
      preview: { host: 'localhost', port: 0, strictPort: true },
    });
    try {
      const base = server.resolvedUrls?.local[0];
      if (!base) throw new Error('vite preview did not start listening');
      await expectNotFound(base);
    } finally {
      await server.close();
    }
  });
});
