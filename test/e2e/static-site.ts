// The built site as a static host serves it: `vite build` once into a temporary folder, then
// a plain node:http server that mounts it under a sub-path (as GitHub Pages serves a project at
// /<repo>/), answers a page's folder without its slash with a redirect, and anything it does not
// hold with the site's 404.html and status 404. No dev server in between, so a root-relative
// URL left in the build, or a link that climbs above the mount, fails here as it would there.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, resolve, sep } from 'node:path';
import { build } from 'vite';

const repo = resolve(import.meta.dirname, '../..');

/** Where the built site lives; `remove()` deletes it. */
export interface BuiltSite {
  readonly dir: string;
  remove(): void;
}

/** `vite build` with the project's own config, into a fresh temporary folder (not dist/). */
export async function buildSite(): Promise<BuiltSite> {
  const dir = mkdtempSync(join(tmpdir(), 'fleetlab-site-'));
  try {
    await build({
      configFile: join(repo, 'vite.config.ts'),
      logLevel: 'error',
      build: { outDir: dir, emptyOutDir: true },
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wgsl': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
};

export interface StaticSite {
  /** The site's root URL, ending in the mount path and a slash. */
  readonly root: string;
  close(): Promise<void>;
}

/** Serves `dir` under `mount` (e.g. '/some/sub/path/') on localhost, on a free port. */
export async function serveStatic(dir: string, mount: string): Promise<StaticSite> {
  if (!mount.startsWith('/') || !mount.endsWith('/')) {
    throw new Error(`mount must start and end with '/', not '${mount}'`);
  }
  const top = resolve(dir);
  const notFound = readFileSync(join(top, '404.html'));
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: Buffer, type: string) => {
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const missing = () => send(404, notFound, TYPES['.html'] as string);
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(405, Buffer.from(''), 'text/plain');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      return missing();
    }
    if (!path.startsWith(mount)) return missing();
    const file = resolve(top, `.${sep}${path.slice(mount.length)}`);
    // Nothing outside the folder, whatever the path's dots say.
    if (file !== top && !file.startsWith(top + sep)) return missing();
    if (existsSync(file) && statSync(file).isDirectory()) {
      if (!path.endsWith('/')) {
        res.writeHead(301, { Location: `${path}/${url.search}` });
        res.end();
        return;
      }
      const index = join(file, 'index.html');
      if (!existsSync(index)) return missing();
      return send(200, readFileSync(index), TYPES['.html'] as string);
    }
    if (!existsSync(file)) return missing();
    send(200, readFileSync(file), TYPES[extname(file)] ?? 'application/octet-stream');
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    // Port 0: a free one; localhost, a secure context, so pages get WebGPU.
    server.listen(0, 'localhost', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    root: `http://localhost:${port}${mount}`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
