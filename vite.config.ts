// One config for the demo pages (Vite, root demos/) and the three test projects (Vitest).
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
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

export default defineConfig({
  root: demos,
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
