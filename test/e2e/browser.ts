// The harness of end-to-end tests: the demo pages served by Vite's dev server (as `npm run dev`
// serves them), or the built site under a sub-path (static-site.ts, as a static host serves
// dist/), and the system's Chromium driven by puppeteer-core, with the flags that make WebGPU
// run on SwiftShader without a GPU (shared/PLATFORM.md, section 3).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { createServer, type ViteDevServer } from 'vite';
import { serveStatic } from './static-site.ts';

const repo = resolve(import.meta.dirname, '../..');

/** Where a Chromium or Chrome usually lives; the environment's choice comes first. */
export function browserCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const named = [env.CHROMIUM_PATH, env.PUPPETEER_EXECUTABLE_PATH].filter(
    (p): p is string => typeof p === 'string' && p.length > 0,
  );
  return [
    ...named,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
    '/opt/google/chrome/chrome',
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    '/Applications/Chromium.app/Contents/MacOS/Chromium',
  ];
}

export function findBrowser(env: NodeJS.ProcessEnv = process.env): string {
  const named = env.CHROMIUM_PATH || env.PUPPETEER_EXECUTABLE_PATH;
  // A path the user named must exist: silently falling back would test another browser.
  if (named) {
    if (!existsSync(named)) {
      throw new Error(
        `CHROMIUM_PATH / PUPPETEER_EXECUTABLE_PATH names ${named}, which does not exist`,
      );
    }
    return named;
  }
  const found = browserCandidates(env).find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      `no Chromium or Chrome found; looked in:\n  ${browserCandidates(env).join('\n  ')}\n` +
        'install one (Debian/Ubuntu: apt-get install -y chromium) or set CHROMIUM_PATH. ' +
        'fleetlab never downloads a browser.',
    );
  }
  return found;
}

/**
 * WebGPU on SwiftShader's Vulkan, headless, as root, with nothing reaching the network. Without
 * the Vulkan/SwiftShader flags compute works but a WebGPU canvas screenshots blank.
 * Puppeteer adds --headless=new itself (headless: true), which is what --headless means in
 * Chromium since 132; it merges our --enable-features with its own.
 */
export const WEBGPU_FLAGS: readonly string[] = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-angle=swiftshader',
  '--use-vulkan=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Exact GPU timestamps in Chrome (otherwise rounded to 100 us); off unless asked for. */
export const DEVELOPER_FEATURES_FLAG = '--enable-webgpu-developer-features';

export interface WatchedPage {
  readonly page: Page;
  /** console.error lines, uncaught exceptions and failed requests, in order. */
  readonly errors: string[];
}

export interface E2E {
  readonly browser: Browser;
  /** Vite's dev server; absent when the pages come from a built site. */
  readonly server?: ViteDevServer;
  readonly executablePath: string;
  /** Every flag Chromium was started with beyond Puppeteer's defaults. */
  readonly flags: readonly string[];
  readonly developerFeatures: boolean;
  /** A page's URL from its path below the site's root ('/collectives/#preset=x'). */
  url(path: string): string;
  /** A page that records its errors; `noWebGpu` hides navigator.gpu before any script runs. */
  newPage(options?: { noWebGpu?: boolean }): Promise<WatchedPage>;
  close(): Promise<void>;
}

export interface E2EOptions {
  readonly developerFeatures?: boolean;
  /** Serve this built site (static-site.ts's buildSite) under `mount` instead of Vite's dev server. */
  readonly built?: { readonly dir: string; readonly mount: string };
}

interface Site {
  /** The site's root URL, ending in a slash. */
  readonly root: string;
  readonly server?: ViteDevServer;
  close(): Promise<void>;
}

async function devServer(): Promise<Site> {
  const server = await createServer({
    configFile: join(repo, 'vite.config.ts'),
    logLevel: 'warn',
    clearScreen: false,
    // Port 0: the system picks a free one, so tests never collide with `npm run dev`.
    server: { host: 'localhost', port: 0, strictPort: true, open: false },
  });
  try {
    await server.listen();
    const address = server.httpServer?.address() as AddressInfo | null;
    if (!address || typeof address !== 'object') throw new Error('Vite did not start listening');
    // localhost, not 127.0.0.1: both are secure contexts, but this is what the docs tell users.
    return { root: `http://localhost:${address.port}/`, server, close: () => server.close() };
  } catch (error) {
    await server.close();
    throw error;
  }
}

/**
 * Closes the browser, and kills its process if it has not gone in 20 s: a GPU process stuck in
 * SwiftShader must fail one test file, not keep the whole run waiting on a child that never ends.
 */
async function closeBrowser(browser: Browser): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), 20_000);
  });
  try {
    const closed = browser.close().then(() => 'closed' as const);
    if ((await Promise.race([closed, late])) === 'late') browser.process()?.kill('SIGKILL');
  } catch {
    browser.process()?.kill('SIGKILL');
  } finally {
    clearTimeout(timer);
  }
}

export async function startE2E(options: E2EOptions = {}): Promise<E2E> {
  const executablePath = findBrowser();
  const site: Site = options.built
    ? await serveStatic(options.built.dir, options.built.mount)
    : await devServer();
  let browser: Browser | undefined;
  const userDataDir = mkdtempSync(join(tmpdir(), 'fleetlab-chromium-'));
  try {
    const developerFeatures = options.developerFeatures ?? false;
    const flags = [...WEBGPU_FLAGS, ...(developerFeatures ? [DEVELOPER_FEATURES_FLAG] : [])];
    browser = await puppeteer.launch({
      executablePath,
      headless: true,
      userDataDir,
      // A copy: Puppeteer removes --enable-features from the array it is given (it merges them
      // into its own), which would make `flags` below misreport what ran.
      args: [...flags],
      defaultViewport: { width: 1280, height: 1000, deviceScaleFactor: 1 },
    });
    const launched = browser;

    return {
      browser: launched,
      ...(site.server ? { server: site.server } : {}),
      executablePath,
      flags: ['--headless=new', ...flags, `--user-data-dir=${userDataDir}`],
      developerFeatures,
      // Below the root, never above it: '/x/' is the site's x/, wherever the site is mounted.
      url: (path) => new URL(path.replace(/^\/+/, ''), site.root).href,
      async newPage(pageOptions = {}) {
        const page = await launched.newPage();
        const errors: string[] = [];
        page.on('console', (message) => {
          if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
        });
        page.on('pageerror', (error) => {
          errors.push(`uncaught: ${error instanceof Error ? error.stack : String(error)}`);
        });
        page.on('requestfailed', (request) => {
          errors.push(`request failed: ${request.url()} (${request.failure()?.errorText})`);
        });
        if (pageOptions.noWebGpu) {
          await page.evaluateOnNewDocument(() => {
            Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true });
          });
        }
        return { page, errors };
      },
      async close() {
        await closeBrowser(launched);
        await site.close();
        rmSync(userDataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (browser) await closeBrowser(browser);
    await site.close();
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
}
