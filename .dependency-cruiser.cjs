// The dependency rule of shared/DESIGN.md ("Layout"), checked by dependency-cruiser in `npm test`
// and `npm run deps`: no import loops, every folder imports only the folders below it, and only
// Node's own code touches Node. Type-only imports count (tsPreCompilationDeps): a type couples
// two folders as much as a value does. A new folder under src/ needs a row in USES before its
// files may import anything.
//
// Exceptions are rules named exception-*, each with its reason and when it can go; keep them few.

/** Folders of src/ and what each uses directly (DESIGN.md's words, as the code has them);
 * a folder may import these and, through them, what they may (the closure below): the rule is
 * the direction, not a ban on skipping a layer (view may use gpu, which exec stands on). */
const USES = {
  // Ranks, links, topologies, presets of real fabrics: numbers, the bottom of the stack.
  fabric: [],
  // The device, timers, shaders, pipelines: WebGPU only, no idea of plans.
  gpu: [],
  // One file per kernel: operands, CPU oracle, tolerance, flops, bytes, its launch as data.
  // Below plans (not beside gpu) because the validator and builders (plans) and the pricer
  // (model) look kernels up; it imports nothing of ours, so they read a kernel without the GPU
  // (the executor turns a launch into a dispatch, src/exec/kernels/dispatch.ts).
  kernels: [],
  // A plan is data built by pure functions: its kernels' descriptions, the fabric it is for.
  plans: ['kernels', 'fabric'],
  // Closed forms, the pricer, calibration fits: plans on fabrics, kernels' flops; no GPU.
  model: ['plans', 'kernels', 'fabric'],
  // Interpreter, executor, calibration passes, trace: run a plan, price nothing. exec must not
  // use model: the runner (src/run/) is where the two meet.
  exec: ['kernels', 'plans', 'gpu'],
  // The runner: a plan run (exec) beside its model, emulated and analytic faces (model).
  run: ['exec', 'model'],
  // The KV allocator, schedulers and decoder engine: the decoder's passes (exec, perhaps as
  // plans through run) and its cost model (model).
  serving: ['run', 'exec', 'model'],
  // The pages' code: draws what runs; never cli, bench or demos.
  view: ['run', 'serving', 'exec', 'model'],
  // The `fleetlab` command, in Node: everything but view (DOM code Node cannot load).
  cli: ['run', 'serving', 'exec', 'model'],
  // The package's entry points (package.json exports, not wired yet): re-exports of the public API.
  lib: ['run', 'exec', 'model'],
};

/** What a folder may import: what it uses and, recursively, what those may. */
function closure(folder, seen = new Set()) {
  for (const used of USES[folder]) {
    if (!seen.has(used)) {
      seen.add(used);
      closure(used, seen);
    }
  }
  return [...seen];
}
const LAYERS = Object.fromEntries(Object.keys(USES).map((f) => [f, closure(f)]));

/** Where Node's builtins (node:fs, ...) may be imported: the CLI, the bench suites' entry
 * scripts (not their browser pages under bench/<name>/), the tests, and the GPU's Node provider
 * and shader loader. Everything else also runs in the browser. */
const NODE_CODE = [
  '^src/cli/',
  '^bench/[^/]+\\.ts$',
  '^test/',
  '^src/gpu/node-provider\\.ts$',
  '^src/gpu/shaders-node\\.ts$',
];

/** The one script with a named exception (exception-tfjs-peer-uses-the-e2e-harness). */
const TFJS_PEER = '^bench/tfjs-peer\\.ts$';

const folders = (names) => `^src/(${names.join('|')})/`;
/** Anything of ours (not node_modules): what the layer rules restrict. */
const OURS = '^(src|bench|demos|test)/';

/** One rule per folder of src/: it imports nothing of ours but itself and its closure. */
const layerRules = Object.entries(LAYERS).map(([folder, uses]) => ({
  name: `${folder}-imports-only-below`,
  comment: `src/${folder} may import only ${uses.length ? `src/${uses.join(', src/')}` : 'itself'} (DESIGN.md Layout; USES in .dependency-cruiser.cjs says why)`,
  severity: 'error',
  from: { path: `^src/${folder}/` },
  to: { path: OURS, pathNot: folders([folder, ...uses, 'types']) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'An import loop means two modules are one concern split in two, or one needs the other only for a shared piece that belongs below both: move that piece (DESIGN.md: no import loops).',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'src-folder-has-a-layer',
      comment:
        'Every module of src/ lies in a folder the layer rules know; a new folder gets a row in USES (what it uses, and why) before it may import anything.',
      severity: 'error',
      from: { path: '^src/', pathNot: folders([...Object.keys(LAYERS), 'types']) },
      to: {},
    },
    {
      name: 'bench-uses-the-stack-and-cli-public',
      comment:
        "bench/ measures through the same code as the CLI: what the CLI may use (src/ but view: its suites run in Node) and of src/cli only public.ts, the CLI's named surface (its GPU context, table, size parsing and collective measurement), so the CLI's insides can move freely.",
      severity: 'error',
      from: { path: '^bench/' },
      to: {
        path: '^(src|bench|demos)/',
        pathNot: ['^bench/', folders([...LAYERS.cli, 'types']), '^src/cli/public\\.ts$'],
      },
    },
    {
      name: 'demos-are-thin-entries',
      comment:
        'A demos/ page is a thin entry that mounts a view: it may use src/ but not the CLI (Node code a page cannot load), never bench/ or test/.',
      severity: 'error',
      from: { path: '^demos/' },
      to: {
        path: OURS,
        pathNot: ['^demos/', folders(['view', ...LAYERS.view, 'types'])],
      },
    },
    {
      name: 'nothing-imports-tests',
      comment: 'Tests import the code, never the other way round.',
      severity: 'error',
      from: { path: '^(src|demos|bench)/', pathNot: TFJS_PEER },
      to: { path: '^test/' },
    },
    {
      name: 'exception-tfjs-peer-uses-the-e2e-harness',
      comment:
        "Named exception to nothing-imports-tests: bench/tfjs-peer.ts runs its page in the e2e tests' headless Chromium (test/e2e/browser.ts: Vite's server, puppeteer-core, the SwiftShader flags, written once) and may import that file, nothing else of test/. It can go when the harness moves to a module both may import.",
      severity: 'error',
      from: { path: TFJS_PEER },
      to: { path: '^test/', pathNot: '^test/e2e/browser\\.ts$' },
    },
    {
      name: 'node-builtins-only-in-node-code',
      comment:
        "Only the CLI, the bench suites' scripts, the tests and the GPU's Node provider and shader loader touch Node (DESIGN.md): everything else is also bundled for the browser, where node:* does not exist.",
      severity: 'error',
      from: { pathNot: NODE_CODE },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'dawn-only-in-node-provider',
      comment:
        'The webgpu package (Dawn for Node) is opened in one place, src/gpu/node-provider.ts: the rest of the code asks for a device through acquireDevice, the same way in Node and the browser.',
      severity: 'error',
      from: { pathNot: '^src/gpu/node-provider\\.ts$' },
      to: { path: '^node_modules/webgpu/' },
    },
    {
      name: 'node-gpu-setup-only-from-node-code',
      comment:
        "node-provider.ts and shaders-node.ts are Node code (DESIGN.md: gpu/ is the one place Node's GPU setup lives): importing them from shared code would put node:* in the pages' bundle.",
      severity: 'error',
      from: {
        pathNot: ['^src/cli/', '^bench/[^/]+\\.ts$', '^test/', '^src/gpu/', '^src/lib/node\\.ts$'],
      },
      to: { path: '^src/gpu/(node-provider|shaders-node)\\.ts$' },
    },
    {
      name: 'vite-shaders-only-in-pages',
      comment:
        "shaders-vite.ts loads the WGSL through Vite's import.meta.glob: only pages bundled by Vite (view, demos, bench's browser pages) and tests run under Vite may import it; Node code loads shaders with shaders-node.ts.",
      severity: 'error',
      from: { pathNot: ['^src/view/', '^demos/', '^bench/[^/]+/', '^test/', '^src/gpu/'] },
      to: { path: '^src/gpu/shaders-vite\\.ts$' },
    },
    {
      name: 'dom-libraries-only-in-view-and-demos',
      comment:
        "Only view (and the demos' entries that mount it) touches the DOM (DESIGN.md): three.js, uPlot, lil-gui and stylesheets stay there, so exec, model, plans, serving and the CLI load in Node and are tested without a page.",
      severity: 'error',
      from: { pathNot: ['^src/view/', '^demos/'] },
      to: { path: ['^node_modules/(three|uplot|lil-gui)/', '\\.css$'] },
    },
    {
      name: 'src-uses-production-dependencies',
      comment:
        'src/ outside view/ ships as lib/ (the library and the fleetlab command): a devDependency imported there is missing where the package is installed. The pages (view/) are bundled by Vite in a checkout, so three, lil-gui and uplot are devDependencies.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/view/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
    {
      name: 'packages-are-declared',
      comment:
        "Import only packages package.json names: one that arrives as someone else's dependency can vanish with an update.",
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'imports-resolve',
      comment:
        'An import that does not resolve is a typo or a missing file (tsc misses some: stylesheets, side-effect imports).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Our code only: packages are checked by name (the rules above), not walked into.
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count: `import type` couples two folders as a value import does.
    tsPreCompilationDeps: true,
    // Packages resolve as Vite and Node resolve them (package.json "exports", ESM first), so
    // 'three/webgpu' and 'vite' are found.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'module', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types'],
    },
    // Compute only what the rules need: keeps the check to a few seconds.
    skipAnalysisNotInRules: true,
  },
};
