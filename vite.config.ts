// One config for the demo pages (Vite, root demos/) and the three test projects (Vitest).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, resolve } from 'node:path';
import type { Connect, Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

const here = import.meta.dirname;
const demos = resolve(here, 'demos');

/** Every .html page under demos/ is an entry of the multi-page build. */
function pages(dir = demos): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) Object.assign(out, pages(path));
    else if (name.endsWith('.html')) out[relative(demos, path).replace(/\.html$/, '')] = path;
  }
  return out;
}

/**
 * Unknown paths as a static host answers them: a page's folder without its slash is redirected
 * to it (as GitHub Pages does), and a page that does not exist gets 404.html with status 404
 * (appType 'mpa' alone answers an empty 404). `dir` is where the pages are: demos/ when
 * serving, dist/ when previewing the build.
 */
function notFoundPage(): Plugin {
  const handlers = (dir: () => string) => {
    const isFile = (path: string) => existsSync(path) && statSync(path).isFile();
    const pathOf = (req: IncomingMessage) =>
      decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const slash: Connect.NextHandleFunction = (req, res, next) => {
      const path = pathOf(req);
      if (!path.endsWith('/') && extname(path) === '' && isFile(join(dir(), path, 'index.html'))) {
        res.statusCode = 301;
        res.setHeader('Location', `${path}/${new URL(req.url ?? '/', 'http://x').search}`);
        res.end();
        return;
      }
      next();
    };
    // Runs after Vite's own middleware: what reaches it is no module, asset or page of ours.
    const missing = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
      const path = pathOf(req);
      const page = path.endsWith('.html') && isFile(join(dir(), path));
      const wantsPage = (req.headers.accept ?? '').includes('text/html') || req.method === 'HEAD';
      if (page || !wantsPage || !['GET', 'HEAD'].includes(req.method ?? '')) return next();
      res.statusCode = 404;
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(req.method === 'HEAD' ? undefined : readFileSync(join(dir(), '404.html')));
    };
    return { slash, missing };
  };
  let outDir = resolve(here, 'dist');
  return {
    name: 'fleetlab-not-found',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    configureServer(server) {
      const { slash, missing } = handlers(() => server.config.root);
      server.middlewares.use(slash);
      return () => server.middlewares.use(missing);
    },
    configurePreviewServer(server) {
      const { slash, missing } = handlers(() => outDir);
      server.middlewares.use(slash);
      return () => server.middlewares.use(missing);
    },
  };
}

export default defineConfig({
  root: demos,
  // Relative URLs everywhere in the build: dist/ works from any sub-path (GitHub Pages serves a
  // project at /<repo>/), not only from a host's root.
  base: './',
  // Each page is its own HTML file: an unknown path is a 404, never the index with 200.
  appType: 'mpa',
  plugins: [notFoundPage()],
  publicDir: false,
  cacheDir: resolve(here, 'node_modules/.vite'),
  // Pages import src/ and shaders/ from above their root.
  server: { fs: { allow: [here] }, host: 'localhost' },
  build: {
    outDir: resolve(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: { input: pages() },
  },
  test: {
    // A worker that does not close (a device or a browser left open) is cut off, not waited for.
    teardownTimeout: 30_000,
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          root: here,
          include: ['test/unit/**/*.test.ts'],
          // Property tests interpret plans of up to 256 ranks: seconds on a loaded 2-core
          // machine, where the GPU and browser projects run beside them.
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'gpu',
          root: here,
          include: ['test/gpu/**/*.test.ts'],
          setupFiles: ['test/gpu/setup.ts'],
          // One Dawn device per worker; SwiftShader has two cores to share among them.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          root: here,
          include: ['test/e2e/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
