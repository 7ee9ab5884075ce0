// fleetlab's tiled and naive matmul beside TF.js's WebGPU matmul, measured in the same headless
// Chromium page on the same adapter in one run (bench/tfjs-peer/index.html, served by Vite
// through its /@fs/ route; the E2E harness of test/e2e/browser.ts launches both).
//   npx tsx bench/tfjs-peer.ts [--sizes 256,512,1024] [--exact 0|1] [--json FILE]
// --exact 1 (default) starts Chromium with --enable-webgpu-developer-features, so timestamps
// are exact rather than rounded to 100 us. Exits 2 if TF.js gets no WebGPU backend.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Table } from '../src/cli/public.ts';
import { startE2E } from '../test/e2e/browser.ts';
import type { PeerResult } from './tfjs-peer/main.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '256,512' },
    exact: { type: 'string', default: '1' },
    json: { type: 'string', default: resolve(import.meta.dirname, 'reports/tfjs-peer.json') },
    timeout: { type: 'string', default: '600' },
  },
});
if (!/^\d+(,\d+)*$/.test(values.sizes)) {
  console.error(`tfjs-peer: --sizes '${values.sizes}' must be comma-separated whole numbers`);
  process.exit(64);
}
const PAGE = `/@fs${resolve(import.meta.dirname, 'tfjs-peer/index.html')}`;
const timeoutMs = Number(values.timeout) * 1e3;

const e2e = await startE2E({ developerFeatures: values.exact === '1' });
let result: PeerResult | undefined;
let errors: string[] = [];
try {
  const watched = await e2e.newPage();
  errors = watched.errors;
  watched.page.on('console', (m) => {
    if (m.type() === 'log' || m.type() === 'warn') process.stderr.write(`[page] ${m.text()}\n`);
  });
  await watched.page.goto(`${e2e.url(PAGE)}?sizes=${values.sizes}`, { waitUntil: 'load' });
  // Vite may reload the page once after optimising the TF.js dependencies: wait on the result,
  // which survives neither a reload nor a failure silently.
  await watched.page.waitForFunction(
    () =>
      document.body.dataset.ready === 'true' &&
      (window as Window & { tfjsPeer?: unknown }).tfjsPeer !== undefined,
    { timeout: timeoutMs, polling: 500 },
  );
  result = await watched.page.evaluate(
    () => (window as Window & { tfjsPeer?: PeerResult }).tfjsPeer as PeerResult,
  );
} finally {
  await e2e.close();
}

if (!result?.ok) {
  console.error(`tfjs-peer: the page failed: ${result?.error ?? 'no result'}`);
  for (const e of errors) console.error(`  ${e}`);
  process.exit(/WebGPU backend/.test(result?.error ?? '') ? 2 : 1);
}

// NaN comes back from the page as null (JSON).
const finite = (x: number | null): x is number => typeof x === 'number' && Number.isFinite(x);
const f = (x: number | null, d = 3) => (finite(x) ? x.toFixed(d) : '-');
const e = (x: number | null) => (finite(x) ? x.toExponential(1) : '-');
console.log('# fleetlab matmul beside TF.js (WebGPU), f32 N x N x N, GFLOP/s = 2N^3 / median time');
console.log(`# fleetlab adapter  ${result.fleetlab_adapter}`);
console.log(
  `# TF.js adapter     ${result.tfjs_adapter} (tfjs-core ${result.tfjs_version}, backend ${result.tfjs_backend})`,
);
console.log(
  `# timestamps        ${result.timestamp_note}; Chromium ${e2e.developerFeatures ? 'with' : 'without'} --enable-webgpu-developer-features`,
);
const first = result.rows[0];
if (first) {
  console.log(`# tiled, naive      ${first.tiled.method}`);
  console.log(`# TF.js             ${first.tfjs.method}`);
  console.log(`# TF.js wall        ${first.tfjs_wall.method}`);
}
const table = new Table([
  { title: 'N', unit: '', width: 5 },
  { title: 'tiled', unit: '(GFLOP/s)' },
  { title: 'naive', unit: '(GFLOP/s)' },
  { title: 'TF.js', unit: '(GFLOP/s)' },
  { title: 'TF.js wall', unit: '(GFLOP/s)' },
  { title: 'tiled/TF.js', unit: '(median)' },
  { title: 'tiled/TF.js', unit: '(best)' },
  { title: 'max|diff|', unit: '' },
  { title: '#wrong', unit: '' },
]);
for (const line of table.header()) console.log(line);
for (const r of result.rows) {
  console.log(
    table.row([
      String(r.n),
      f(r.tiled.gflops),
      f(r.naive.gflops),
      f(r.tfjs.gflops),
      f(r.tfjs_wall.gflops),
      f(r.tiled.gflops / r.tfjs.gflops, 2),
      f(r.tfjs.min_s / r.tiled.min_s, 2),
      e(r.max_abs_diff),
      r.wrong_vs_cpu < 0 ? 'N/A' : String(r.wrong_vs_cpu),
    ]),
  );
}
for (const r of result.rows) {
  const reps = `${r.tiled.reps}/${r.naive.reps}/${r.tfjs.reps}`;
  console.log(`# N=${r.n}: repetitions tiled/naive/TF.js ${reps}`);
  console.log(
    `# N=${r.n}: TF.js ran ${r.tfjs_programs} (ms); max |x - CPU| tiled ${e(r.tiled_cpu_err)}, TF.js ${e(r.tfjs_cpu_err)}`,
  );
}

const report = {
  tool: 'bench/tfjs-peer.ts',
  date: new Date().toISOString(),
  chromium: e2e.executablePath,
  flags: e2e.flags,
  ...result,
};
mkdirSync(dirname(values.json), { recursive: true });
writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
console.log(`# wrote ${values.json}`);
const wrong = result.rows.reduce((s, r) => s + Math.max(0, r.wrong_vs_cpu), 0);
if (wrong > 0) {
  console.error(`tfjs-peer: ${wrong} values outside the CPU tolerance`);
  process.exit(1);
}
