// The package as a user gets it: `npm pack`, the tarball unpacked into an empty folder's
// node_modules beside only its declared dependencies, then README's library example (read from
// README.md, so the two cannot drift) type-checked with strict settings and run on Dawn.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const modules = join(root, 'node_modules');

/** The first ```js block of README's library section. */
function readmeExample(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Using fleetlab as a library'));
  const match = /```js\n([\s\S]*?)```/.exec(section);
  if (!match?.[1]) throw new Error("README has no ```js block under 'Using fleetlab as a library'");
  return match[1];
}

describe('the packed tarball', () => {
  let dir = '';
  let files: string[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fleetlab-pack-'));
    // prepack compiles src/ to lib/ first.
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      // A child that never ends would block this worker past every vitest timeout.
      timeout: 240_000,
    });
    const info = JSON.parse(out.slice(out.indexOf('['))) as {
      filename: string;
      files: { path: string }[];
    }[];
    const packed = info[0];
    if (!packed) throw new Error('npm pack reported no tarball');
    files = packed.files.map((f) => f.path);
    const target = join(dir, 'node_modules', 'fleetlab');
    mkdirSync(target, { recursive: true });
    execFileSync(
      'tar',
      ['-xzf', join(dir, packed.filename), '-C', target, '--strip-components=1'],
      {
        timeout: 60_000,
      },
    );
    // Only what package.json declares a runtime dependency, plus the types a TS user adds.
    const pkg = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8'));
    for (const dep of [...Object.keys(pkg.dependencies ?? {}), '@webgpu', '@types']) {
      symlinkSync(join(modules, dep), join(dir, 'node_modules', dep));
    }
  }, 300_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ships the library, the shaders, the command and the licence, and no tests, CI or pictures', () => {
    expect(files).toContain('lib/lib/index.js');
    expect(files).toContain('lib/lib/index.d.ts');
    expect(files).toContain('lib/cli/main.js');
    expect(files).toContain('shaders/step.wgsl');
    expect(files).toContain('bin/fleetlab.js');
    expect(files).toContain('LICENSE');
    const stray = files.filter(
      (f) => /^(src|test|bench|demos|docs|\.ci)\//.test(f) || /\.png$/.test(f),
    );
    expect(stray).toEqual([]);
  });

  it("README's example type-checks against the packed declarations", () => {
    writeFileSync(join(dir, 'example.mts'), readmeExample());
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2022', 'DOM'],
          types: ['@webgpu/types', 'node'],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
        },
        files: ['example.mts'],
      }),
    );
    const tsc = spawnSync(process.execPath, [join(modules, 'typescript/bin/tsc'), '-p', dir], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 150_000);

  it("README's example runs with plain Node: priced, and checked on the GPU with 0 wrong", () => {
    writeFileSync(join(dir, 'example.mjs'), readmeExample());
    const run = spawnSync(process.execPath, ['example.mjs'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/nvswitch model: [\d.]+ µs/);
    expect(run.stdout).toMatch(/measured here: [\d.]+ [mµ]?s wrong elements: 0\n/);
  }, 150_000);

  it('the packed entry points carry the expert-parallel plans, the MoE runner and the importer', () => {
    const code =
      "const [p, r, m] = await Promise.all(['fleetlab/plans', 'fleetlab/run', 'fleetlab/model'].map((e) => import(e)));" +
      'console.log([p.allToAllv, p.moeLayerGraph, r.runMoe, m.parseNcclTests, m.chromeTrace].map((f) => typeof f).join(" "));';
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('function function function function function');
  });

  it('the packed command runs from lib/ without tsx', () => {
    const bin = join(dir, 'node_modules', 'fleetlab', 'bin', 'fleetlab.js');
    const r = spawnSync(process.execPath, [bin, '--version'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^fleetlab \d+\.\d+\.\d+$/);
  });
});
