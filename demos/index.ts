// The front page: which GPU this is, what it granted, whether its clock is exact, and proof that
// it computes: a ring AllReduce of four ranks' vectors run by the WGSL kernel every collective runs,
// checked bit for bit against the CPU, then drawn by three.js on the same GPUDevice.
import {
  AmbientLight,
  BoxGeometry,
  BufferGeometry,
  Color,
  DirectionalLight,
  Group,
  InstancedMesh,
  LineBasicMaterial,
  LineSegments,
  Matrix4,
  MeshLambertMaterial,
  PerspectiveCamera,
  Scene,
  Vector3,
  WebGPURenderer,
} from 'three/webgpu';
import expertsShot from '../docs/experts.png';
import kvCacheShot from '../docs/kv-cache.png';
import tensorParallelShot from '../docs/tensor-parallel.png';
// Screenshots of each page (the README's own, from docs/): imported, so the build copies them
// and writes their paths relative to the page, as it does for scripts.
import collectivesShot from '../docs/textbook-ring.png';
import trainingShot from '../docs/training.png';
import { GpuExecutor } from '../src/exec/executor/steps.ts';
import { allocateBuffers, cloneBuffers, interpret } from '../src/exec/interpreter/steps.ts';
import {
  acquireDevice,
  describeAdapter,
  type GpuContext,
  REQUESTED_LIMITS,
} from '../src/gpu/device.ts';
import { NoAdapterError } from '../src/gpu/errors.ts';
import { browserProvider } from '../src/gpu/provider.ts';
import { viteShaders } from '../src/gpu/shaders-vite.ts';
import { detectTimestampRegime } from '../src/gpu/timer.ts';
import { formatBytes, formatSeconds } from '../src/model/units.ts';
import { ringAllReduce } from '../src/plans/ring.ts';

/** The demos, one card each: a screenshot and one sentence of what to watch for. */
const DEMOS: readonly { title: string; href: string; shot: string; blurb: string }[] = [
  {
    title: 'Collectives',
    href: './collectives/',
    shot: collectivesShot,
    blurb:
      'Ring, tree and hierarchical AllReduce step by step on this GPU, every chunk in flight, each step timed beside the alpha-beta model.',
  },
  {
    title: 'Tensor parallel',
    href: './tensor-parallel/',
    shot: tensorParallelShot,
    blurb:
      'A Megatron layer split over ranks: who holds which block, the matmuls each rank runs, and the collective that joins the partial sums.',
  },
  {
    title: 'KV cache',
    href: './kv-cache/',
    shot: kvCacheShot,
    blurb:
      'A small decoder serving a workload from a paged KV cache: blocks admitted and preempted, static against continuous batching.',
  },
  {
    title: 'Training parallelism',
    href: './training/',
    shot: trainingShot,
    blurb:
      'One training step, data or pipeline parallel, run and checked on this GPU: gradient buckets hiding under the backward pass, ZeRO, and the pipeline bubble beside its formula.',
  },
  {
    title: 'Expert parallelism',
    href: './experts/',
    shot: expertsShot,
    blurb:
      'A mixture-of-experts layer run and checked on this GPU: tokens routed to their top-k experts, dispatched and combined by AllToAllv, hot experts dropping what exceeds their capacity.',
  },
];

const RANKS = 4;
const SIDE = 32; // vectors are drawn as SIDE x SIDE grids
const COUNT = SIDE * SIDE;

// ---------------------------------------------------------------------------------------------
// Page furniture

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el as T;
}

const alertBox = byId<HTMLDivElement>('alert');
const statusLine = byId<HTMLParagraphElement>('status');
const adapterList = byId<HTMLDListElement>('adapter');
const limitsBody = byId<HTMLTableElement>('limits').tBodies[0] as HTMLTableSectionElement;
const reduceResult = byId<HTMLParagraphElement>('reduce-result');
const canvas = byId<HTMLCanvasElement>('scene');
const labelLayer = byId<HTMLDivElement>('scene-labels');

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  attrs: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function status(text: string): void {
  statusLine.textContent = text;
}

function showGpuSections(shown: boolean): void {
  for (const section of document.querySelectorAll<HTMLElement>('[data-needs-gpu]')) {
    section.hidden = !shown;
  }
}

function markReady(): void {
  document.body.dataset.ready = 'true';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Shows a problem in the alert box: a title, what happened, and what to do. Problems add up
 * (a GPU error and the failure it caused both stay visible) until the page starts again.
 */
function showProblem(title: string, error: unknown, offerRestart: boolean): void {
  alertBox.hidden = false;
  alertBox.append(el('h2', title));
  if (error instanceof NoAdapterError) {
    alertBox.append(el('p', 'fleetlab needs WebGPU, and this page could not get a GPU adapter.'));
    alertBox.append(el('p', 'What was tried:'));
    const tried = el('ul');
    for (const t of error.tried) tried.append(el('li', t));
    alertBox.append(tried);
    alertBox.append(el('p', 'How to enable WebGPU:'));
    const fixes = el('ul');
    for (const f of error.fixes) fixes.append(el('li', f));
    alertBox.append(fixes);
  } else {
    alertBox.append(el('pre', messageOf(error)));
  }
  if (offerRestart && !alertBox.querySelector('button')) {
    const again = el('button', 'Start again', { type: 'button' });
    again.addEventListener('click', () => void restart());
    alertBox.append(again);
  }
}

function clearProblems(): void {
  alertBox.replaceChildren();
  alertBox.hidden = true;
}

function showDemos(): void {
  const list = byId<HTMLUListElement>('demos');
  for (const demo of DEMOS) {
    const link = el('a', undefined, { href: demo.href });
    link.append(
      el('img', undefined, { src: demo.shot, alt: `the ${demo.title} page` }),
      el('h3', demo.title),
    );
    const item = el('li', undefined, { class: 'card' });
    item.append(link, el('p', demo.blurb));
    list.append(item);
  }
}

// ---------------------------------------------------------------------------------------------
// What the device is

function showAdapter(ctx: GpuContext): void {
  const a = ctx.adapter;
  const rows: [string, string, string?][] = [
    ['adapter', describeAdapter(a), 'adapter-name'],
    ['vendor', a.vendor || '(not reported)'],
    ['architecture', a.architecture || '(not reported)'],
    ['device', a.device || '(not reported)'],
    ['description', a.description || '(not reported)'],
    ['backend', a.backend],
    ['software fallback', a.isFallbackAdapter ? 'yes' : 'no'],
    ['timestamp-query', ctx.features.timestampQuery ? 'granted' : 'not offered'],
    ['shader-f16', ctx.features.shaderF16 ? 'granted' : 'not offered'],
    ['timestamps', 'checking…', 'timestamps'],
  ];
  adapterList.replaceChildren();
  for (const [name, value, id] of rows) {
    adapterList.append(el('dt', name), el('dd', value, id ? { id } : {}));
  }
}

// Limits measured in bytes; the others are counts.
const BYTE_LIMITS = new Set([
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'minStorageBufferOffsetAlignment',
]);

function showLimits(ctx: GpuContext): void {
  limitsBody.replaceChildren();
  for (const name of [...REQUESTED_LIMITS, 'minStorageBufferOffsetAlignment'] as const) {
    const value = ctx.limits[name];
    const text = BYTE_LIMITS.has(name) ? formatBytes(value) : value.toLocaleString('en-US');
    const nameCell = el('td');
    nameCell.append(el('code', name));
    const row = el('tr');
    row.append(nameCell, el('td', text, { 'data-limit': name, 'data-value': String(value) }));
    limitsBody.append(row);
  }
}

async function showTimestamps(ctx: GpuContext): Promise<void> {
  const regime = await detectTimestampRegime(ctx);
  const cell = byId<HTMLElement>('timestamps');
  const head = regime.exact
    ? 'exact'
    : regime.source === 'wall-clock'
      ? 'wall clock only'
      : `rounded to ${formatSeconds(regime.quantum_s)}`;
  cell.textContent = `${head}: ${regime.note}`;
  cell.dataset.exact = String(regime.exact);
}

// ---------------------------------------------------------------------------------------------
// The reduce

/** Rank r's vector: a wave across a SIDE x SIDE grid, different for every rank, in [-1, 1]. */
function rankVector(r: number): Float32Array {
  const v = new Float32Array(COUNT);
  for (let i = 0; i < COUNT; i++) {
    const x = i % SIDE;
    const y = Math.floor(i / SIDE);
    v[i] = Math.sin(0.21 * x * (r + 1) + 1.3 * r) * Math.cos(0.17 * y * (RANKS - r) - 0.7 * r);
  }
  return v;
}

interface ReduceOutcome {
  readonly ranks: readonly Float32Array[];
  readonly result: Float32Array;
  readonly wrong: number;
}

/**
 * A ring AllReduce of the four ranks' vectors on the GPU (6 steps, one dispatch each), and the
 * same plan on the CPU interpreter: the plan fixes the order of additions, so the two must
 * agree to the last bit.
 */
async function reduceOnGpu(ctx: GpuContext): Promise<ReduceOutcome> {
  const ranks = Array.from({ length: RANKS }, (_, r) => rankVector(r));
  const plan = ringAllReduce({
    ranks: RANKS,
    count: COUNT,
    dtype: 'float',
    redop: 'sum',
    inPlace: true,
  });
  const input = allocateBuffers(plan);
  ranks.forEach((v, r) => {
    input[r]?.recv.set(v);
  });
  const exec = new GpuExecutor(ctx, viteShaders, plan);
  let got: Float32Array;
  try {
    await exec.prepare();
    exec.upload(input);
    await exec.run();
    got = (await exec.download())[0]?.recv as Float32Array;
  } finally {
    exec.destroy();
  }
  const want = interpret(plan, cloneBuffers(input))[0]?.recv as Float32Array;
  // Compare bits, not values: -0 vs +0 or a NaN would hide behind ===.
  const gotBits = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const wantBits = new Uint32Array(want.buffer, want.byteOffset, want.length);
  let wrong = 0;
  for (let i = 0; i < COUNT; i++) if (gotBits[i] !== wantBits[i]) wrong++;
  return { ranks, result: got, wrong };
}

function showReduce(outcome: ReduceOutcome): void {
  const { result, wrong } = outcome;
  const first = Array.from(result.subarray(0, 4), (v) => String(Number(v.toPrecision(4))));
  const what = `ring AllReduce (sum) of ${RANKS} ranks × ${COUNT} float on the GPU`;
  reduceResult.textContent =
    wrong === 0
      ? `${what}: matches the CPU bit for bit (first values ${first.join(', ')}, …)`
      : `${what}: ${wrong} of ${COUNT} elements differ from the CPU`;
  reduceResult.dataset.ok = String(wrong === 0);
  reduceResult.dataset.count = String(COUNT);
  reduceResult.dataset.wrong = String(wrong);
}

// ---------------------------------------------------------------------------------------------
// The scene

/** Diverging colours, blue (negative) through light grey (0) to orange (positive). */
const NEGATIVE = new Color(0x2f6fe0);
const ZERO = new Color(0xd8d8d8);
const POSITIVE = new Color(0xf08a00);

function colourOf(value: number, scale: number, out: Color): Color {
  const t = Math.max(-1, Math.min(1, value / scale));
  return out.copy(ZERO).lerp(t < 0 ? NEGATIVE : POSITIVE, Math.abs(t));
}

/** SIDE x SIDE boxes in one draw call; height(value) gives each box its height. */
function grid(
  values: Float32Array,
  cell: number,
  scale: number,
  height: (v: number) => number,
): InstancedMesh {
  const mesh = new InstancedMesh(
    new BoxGeometry(cell * 0.9, 1, cell * 0.9),
    new MeshLambertMaterial(),
    COUNT,
  );
  const m = new Matrix4();
  const c = new Color();
  const half = ((SIDE - 1) * cell) / 2;
  for (let i = 0; i < COUNT; i++) {
    const v = values[i] as number;
    const h = Math.max(height(v), 0.02);
    m.makeScale(1, h, 1).setPosition(
      (i % SIDE) * cell - half,
      h / 2,
      Math.floor(i / SIDE) * cell - half,
    );
    mesh.setMatrixAt(i, m);
    mesh.setColorAt(i, colourOf(v, scale, c));
  }
  return mesh;
}

interface View {
  dispose(): void;
}

async function drawScene(ctx: GpuContext, outcome: ReduceOutcome): Promise<View> {
  // The renderer shares fleetlab's device: later views draw the very buffers kernels wrote.
  const renderer = new WebGPURenderer({ canvas, device: ctx.device, antialias: true });
  await renderer.init();
  // three replaces device.onuncapturederror on a device handed in and logs from there; our
  // addEventListener listener (start()) shows the same errors on the page.
  renderer.onDeviceLost = () => {}; // acquireDevice's onLost shows losses and offers a restart
  renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));

  const scene = new Scene();
  scene.background = new Color(0x10141c);
  scene.add(new AmbientLight(0xffffff, 1.2));
  const sun = new DirectionalLight(0xffffff, 2.2);
  sun.position.set(3, 10, 6);
  scene.add(sun);

  const world = new Group();
  scene.add(world);

  // The sum in the middle: bars whose height is the reduced value (|sum| <= RANKS).
  const sum = grid(outcome.result, 0.16, RANKS / 2, (v) => Math.abs(v) * 0.4);
  world.add(sum);
  // Where each name goes: a point in the world, drawn over the canvas where it projects.
  const labels: { at: Vector3; node: HTMLElement }[] = [
    { at: new Vector3(0, 0, 2.9), node: el('span', `sum (${COUNT} floats)`) },
  ];

  // The ranks at the corners, flat, and a link from each to the sum.
  const corner = 5.2;
  const links: Vector3[] = [];
  outcome.ranks.forEach((values, r) => {
    const tile = grid(values, 0.08, 1, () => 0.05);
    const x = r % 2 === 0 ? -corner : corner;
    const z = r < 2 ? -corner : corner;
    tile.position.set(x, 0, z);
    world.add(tile);
    labels.push({ at: new Vector3(x, 0, z + 1.6), node: el('span', `rank ${r}`) });
    links.push(new Vector3(x * 0.72, 0.03, z * 0.72), new Vector3(x * 0.3, 0.03, z * 0.3));
  });
  const linkLines = new LineSegments(
    new BufferGeometry().setFromPoints(links),
    new LineBasicMaterial({ color: 0xffffff }),
  );
  world.add(linkLines);

  const camera = new PerspectiveCamera(40, 16 / 9, 0.1, 100);
  camera.position.set(0, 10.5, 14);
  camera.lookAt(0, -0.8, 0);

  labelLayer.replaceChildren(...labels.map((l) => l.node));
  const placeLabels = () => {
    world.updateMatrixWorld();
    const p = new Vector3();
    for (const { at, node } of labels) {
      p.copy(at).applyMatrix4(world.matrixWorld).project(camera);
      node.style.left = `${((p.x + 1) / 2) * 100}%`;
      node.style.top = `${((1 - p.y) / 2) * 100}%`;
    }
  };

  // Draw on demand, not in a loop: software GPUs (SwiftShader) spend a core on every frame.
  let pending = false;
  const frame = () => {
    pending = false;
    renderer.render(scene, camera);
    placeLabels();
  };
  const requestFrame = () => {
    if (!pending) {
      pending = true;
      requestAnimationFrame(frame);
    }
  };
  const resize = () => {
    const { clientWidth: w, clientHeight: h } = canvas;
    if (w === 0 || h === 0) return;
    renderer.setSize(w, h, false);
    camera.aspect = w / h;
    camera.updateProjectionMatrix();
    requestFrame();
  };
  const observer = new ResizeObserver(resize);
  observer.observe(canvas);

  // Drag to turn the world about its vertical axis.
  let dragX: number | undefined;
  const down = (e: PointerEvent) => {
    dragX = e.clientX;
    canvas.setPointerCapture(e.pointerId);
  };
  const move = (e: PointerEvent) => {
    if (dragX === undefined) return;
    world.rotation.y += (e.clientX - dragX) * 0.01;
    dragX = e.clientX;
    requestFrame();
  };
  const up = () => {
    dragX = undefined;
  };
  canvas.addEventListener('pointerdown', down);
  canvas.addEventListener('pointermove', move);
  canvas.addEventListener('pointerup', up);
  canvas.addEventListener('pointercancel', up);

  // The first frame, drawn now and waited for, so "ready" means something is on screen.
  const { clientWidth: w, clientHeight: h } = canvas;
  renderer.setSize(w || 960, h || 540, false);
  camera.aspect = (w || 960) / (h || 540);
  camera.updateProjectionMatrix();
  renderer.render(scene, camera);
  placeLabels();
  await ctx.device.queue.onSubmittedWorkDone();

  return {
    dispose() {
      observer.disconnect();
      labelLayer.replaceChildren();
      canvas.removeEventListener('pointerdown', down);
      canvas.removeEventListener('pointermove', move);
      canvas.removeEventListener('pointerup', up);
      canvas.removeEventListener('pointercancel', up);
      scene.traverse((o) => {
        if (o instanceof InstancedMesh || o instanceof LineSegments) {
          o.geometry.dispose();
          (o.material as MeshLambertMaterial).dispose();
        }
      });
      // Given a device, three leaves it alone: we destroy it ourselves.
      renderer.dispose();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Start, loss, start again

/** One run of the page on one device; "Start again" begins a new one. */
interface Session {
  ctx?: GpuContext;
  view?: View;
  lost: boolean;
}

let session: Session = { lost: false };

/** True when run `s` must stop: replaced by "Start again", or its device lost. */
function over(s: Session): boolean {
  return s !== session || s.lost;
}

function onDeviceLost(s: Session, info: { reason: string; message: string }): void {
  if (over(s)) return; // a device we already replaced, or a loss already shown
  s.lost = true;
  s.view?.dispose();
  s.view = undefined;
  status('The GPU device was lost.');
  showProblem(
    'The GPU device was lost',
    `reason: ${info.reason}\n${info.message || '(no message)'}\n\n` +
      'A driver reset, a sleeping laptop or too long a GPU task can take the device away. ' +
      '"Start again" asks for a new one; no reload needed.',
    true,
  );
  markReady();
}

async function start(): Promise<void> {
  const s: Session = { lost: false };
  session = s;
  delete document.body.dataset.ready;
  clearProblems();
  reduceResult.textContent = 'Not run yet.';
  delete reduceResult.dataset.ok;
  showGpuSections(false);
  status('Asking the browser for a WebGPU adapter and device…');

  let ctx: GpuContext;
  try {
    ctx = await acquireDevice({
      provider: browserProvider(navigator, isSecureContext),
      label: 'fleetlab index',
      onLost: (info) => onDeviceLost(s, info),
    });
  } catch (error) {
    if (over(s)) return;
    status('No GPU: see above.');
    showProblem('WebGPU is not available here', error, !(error instanceof NoAdapterError));
    markReady();
    return;
  }
  s.ctx = ctx;
  if (over(s)) {
    ctx.device.destroy();
    return;
  }
  ctx.device.addEventListener('uncapturederror', (event) => {
    if (!over(s)) showProblem('GPU error', event.error.message, true);
  });

  showAdapter(ctx);
  showLimits(ctx);
  showGpuSections(true);
  // Each part reports its own failure and lets the others run; after every wait, a run that
  // was replaced or lost its device stops without touching the page.
  try {
    status('Reading the GPU clock…');
    await showTimestamps(ctx);
  } catch (error) {
    if (over(s)) return;
    byId('timestamps').textContent = 'could not be determined (see above)';
    showProblem('Timestamp check failed', error, true);
  }
  if (over(s)) return;
  let outcome: ReduceOutcome | undefined;
  try {
    status('Compiling and running the reduce kernel…');
    outcome = await reduceOnGpu(ctx);
    if (over(s)) return;
    showReduce(outcome);
  } catch (error) {
    if (over(s)) return;
    reduceResult.textContent = 'The reduce did not run (see above).';
    reduceResult.dataset.ok = 'false';
    showProblem('The reduce failed', error, true);
  }
  if (outcome) {
    try {
      status('Drawing…');
      const view = await drawScene(ctx, outcome);
      if (over(s)) {
        view.dispose();
        return;
      }
      s.view = view;
      status('Ready.');
    } catch (error) {
      if (over(s)) return;
      showProblem('Drawing failed', error, true);
    }
  }
  if (!alertBox.hidden) status('Something went wrong: see above.');
  markReady();
}

async function restart(): Promise<void> {
  const old = session;
  old.view?.dispose();
  old.view = undefined;
  // Ours to destroy: acquireDevice reports reason 'destroyed' to nobody. start() replaces the
  // session before anything awaits, so the old run's pending steps see over() and stop.
  old.ctx?.device.destroy();
  await start();
}

// A hook for tests and lectures: what happens when the GPU goes away (a real loss cannot be
// caused from script; destroy() is reported as 'destroyed', which acquireDevice ignores).
declare global {
  interface Window {
    fleetlab?: { simulateDeviceLoss(): void };
  }
}
window.fleetlab = {
  simulateDeviceLoss() {
    const s = session;
    s.ctx?.device.destroy();
    onDeviceLost(s, { reason: 'unknown', message: 'simulated by window.fleetlab' });
  },
};

showDemos();
start().catch((error) => {
  // Nothing above should throw; if it does, it must still reach the page.
  showProblem('fleetlab failed to start', error, true);
  markReady();
});
