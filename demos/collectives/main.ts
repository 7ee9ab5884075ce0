// The collectives playground: a collective really run on this GPU, step by step, drawn on its
// fabric, beside the model. All state lives in the URL hash; every failure shows in the alert
// and keeps the last good scene.
import GUI from 'lil-gui';
import { calibrate } from '../../src/exec/calibration/microbench.ts';
import { allocateBuffers, type RankBuffers } from '../../src/exec/interpreter/steps.ts';
import { FABRIC_PRESETS, fabricPreset } from '../../src/fabric/fabric-presets.ts';
import { acquireDevice, describeAdapter, type GpuContext } from '../../src/gpu/device.ts';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { browserProvider } from '../../src/gpu/provider.ts';
import { viteShaders } from '../../src/gpu/shaders-vite.ts';
import { type ExecutorModel, localExecutorModel } from '../../src/model/executor-model.ts';
import { DTYPE_INFO, DTYPES, REDOPS } from '../../src/plans/dtype.ts';
import { COLLECTIVES, type Plan } from '../../src/plans/plan.ts';
import { ALGORITHMS } from '../../src/plans/registry.ts';
import {
  analyticSeconds,
  emulatedFace,
  emulatedStepFaces,
  modelStepFaces,
} from '../../src/run/faces.ts';
import { VIEW_PRESETS, viewPreset } from '../../src/view/collectives/presets.ts';
import { DEFAULT_STATE, VIEW_LIMITS, type ViewState } from '../../src/view/collectives/state.ts';
import { Timeline } from '../../src/view/collectives/timeline.ts';
import { parseState, serializeState } from '../../src/view/collectives/url-state.ts';
import { pageAlert } from '../../src/view/common/alert.ts';
import { chunkColour, valueColour } from '../../src/view/common/colours.ts';
import { type Layout, layoutFabric, routePoints } from '../../src/view/common/layout.ts';
import { type PlanRun, runOnCpu, runOnGpu } from '../../src/view/common/run.ts';
import { FabricScene } from '../../src/view/common/scene.ts';
import { describeStep } from '../../src/view/common/step-text.ts';
import { bindTransport, flyPackets, Transport } from '../../src/view/common/transport.ts';
import { mountSweep } from './sweep-panel.ts';

// The step-by-step view reads every rank's buffers back after every step: keep it small.
const MAX_VIEW_BYTES = VIEW_LIMITS.maxBytes;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const alertBox = $('alert');
const statusLine = $('status');
const caption = $('caption');
const counter = $('counter');
const playButton = $<HTMLButtonElement>('play');

const { show: showAlert, clear: clearAlert } = pageAlert(alertBox, () => session.standing);

interface Session {
  ctx?: GpuContext;
  /** A message that stands while the page lives: why nothing is measured. */
  standing?: string;
  cache?: PipelineCache;
  /** This GPU's executor model, calibrated once per page load (GPU only); it may say why it
   * is unavailable (a busy machine), and the model row is then empty. */
  model?: ExecutorModel;
  scene?: FabricScene;
}

interface Shown {
  readonly state: ViewState;
  readonly run: PlanRun;
  readonly scale: number;
  readonly layout: Layout;
  readonly fabric: ReturnType<typeof fabricFor>['fabric'];
}

const session: Session = {};
let shown: Shown | undefined;
let state: ViewState;
let generation = 0;

/** Inputs of the plan: the preset's numbers where it has them, else seeded random values. */
function inputsFor(plan: Plan, s: ViewState): RankBuffers {
  const preset = s.preset ? VIEW_PRESETS.find((p) => p.name === s.preset) : undefined;
  if (preset?.inputs && preset.inputs.length === plan.ranks) {
    const buffers = allocateBuffers(plan);
    preset.inputs.forEach((v, r) => {
      const g = plan.input[r];
      if (g) buffers[r]?.[g.buffer].set(v.slice(0, g.count), g.offset);
    });
    return buffers;
  }
  return waveBuffers(plan);
}

/**
 * Inputs a strip can show: each rank a smooth wave of its own frequency and phase, so cells
 * (means of many elements) keep their shape and sums make new patterns. Integers for int32.
 */
function waveBuffers(plan: Plan): RankBuffers {
  const buffers = allocateBuffers(plan);
  plan.input.forEach((g, r) => {
    const target = buffers[r]?.[g.buffer];
    if (!target) return;
    for (let i = 0; i < g.count; i++) {
      const x = (i + 0.5) / Math.max(1, g.count);
      const v =
        Math.sin(2 * Math.PI * x * (1 + (r % 3)) + 0.9 * r) + 0.25 * Math.cos(7 * r + 3 * x);
      target[g.offset + i] = plan.dtype === 'int32' ? Math.round(100 * v) : v;
    }
  });
  return buffers;
}

function planFor(s: ViewState): Plan {
  const build = ALGORITHMS[s.collective][s.algorithm];
  if (!build) throw new RangeError(`no algorithm '${s.algorithm}' for ${s.collective}`);
  if (s.bytes > MAX_VIEW_BYTES) {
    throw new RangeError(
      `bytes ${s.bytes} B is beyond the step-by-step view's ${MAX_VIEW_BYTES} B (1 MiB): the sweep below measures larger messages`,
    );
  }
  const count = Math.floor(s.bytes / DTYPE_INFO[s.dtype].bytes);
  return build({ ranks: s.ranks, count, dtype: s.dtype, redop: s.redop, inPlace: true, root: 0 });
}

/**
 * The chosen fabric with the alpha/beta overrides applied to its bottleneck link. Its devices
 * reduce as fast as this GPU's kernel does, where this GPU was calibrated (emulated time).
 */
function fabricFor(s: ViewState, plan: Plan) {
  const preset = fabricPreset(s.fabric);
  const link = {
    alpha_s: s.alpha ?? preset.link.alpha_s,
    beta_Bps: s.beta ?? preset.link.beta_Bps,
  };
  const m = session.model;
  const options =
    m?.available && m.coefficients.reduce_s_per_B > 0
      ? { gamma_s_per_B: m.coefficients.reduce_s_per_B }
      : {};
  return { preset, link, fabric: preset.build(plan.ranks, options, link) };
}

/** Builds, runs and draws `next`; on any error the alert says why and the last scene stays. */
async function load(next: ViewState): Promise<void> {
  const mine = ++generation;
  transport.stop();
  statusLine.textContent = 'Running the plan…';
  try {
    const plan = planFor(next);
    const { preset, link, fabric } = fabricFor(next, plan);
    const input = inputsFor(plan, next);
    const { ctx, cache } = session;
    const run =
      ctx && cache ? await runOnGpu(ctx, viteShaders, cache, plan, input) : runOnCpu(plan, input);
    if (mine !== generation) return; // a newer request won
    const scene = session.scene;
    if (!scene) throw new Error('the scene is not ready');
    const layout = layoutFabric(fabric);
    scene.setLayout(layout, Math.max(1, ...(run.strips[0]?.map((s) => s.length) ?? [1])));
    const scale = Math.max(
      1e-30,
      ...run.strips.flatMap((st) =>
        st.flatMap((x) => [...x].map(Math.abs).filter(Number.isFinite)),
      ),
    );
    // The page runs each step in a submission of its own (runStep), so each pays a submit.
    const model = session.model
      ? modelStepFaces(plan, session.model, session.ctx?.limits, true)
      : plan.steps.map(() => Number.NaN);
    const emulated = emulatedStepFaces(plan, emulatedFace(plan, fabric));
    // NaN where the book has no closed form for this algorithm: the row says so.
    const analytic =
      analyticSeconds(next.collective, plan.algorithm, plan.ranks, next.bytes, link) ?? Number.NaN;
    timeline.show({
      phases: plan.steps.map((s) => s.phase),
      measured_s: run.measured_s,
      model_s: model,
      ...(session.model && !session.model.available
        ? { model_unavailable: session.model.reason }
        : {}),
      emulated_s: emulated,
      analytic_s: analytic,
      fabric: `${preset.name}, alpha ${(link.alpha_s * 1e6).toFixed(2)} µs, beta ${(link.beta_Bps / 1e9).toFixed(1)} GB/s`,
    });
    const step = Math.min(next.step, plan.steps.length);
    state = { ...next, step };
    shown = { state, run, scale, layout, fabric };
    if (run.wrong > 0)
      showAlert(`${run.wrong} output elements differ from the CPU interpreter: a GPU fault`);
    else clearAlert();
    statusLine.textContent = session.ctx
      ? `${describeAdapter(session.ctx.adapter)} · ${plan.steps.length} steps, measured on this GPU`
      : `${plan.steps.length} steps on the CPU interpreter: not measured (no WebGPU)`;
    writeUrl();
    drawStep(state.step);
  } catch (e) {
    if (mine !== generation) return;
    showAlert((e as Error).message);
    statusLine.textContent = shown ? 'Kept the last good scene.' : 'Nothing to show yet.';
    if (shown) {
      state = shown.state;
      writeUrl();
      gui.sync(state);
    }
  } finally {
    document.body.dataset.ready = 'true';
  }
}

// Values are written out while a lecture can read them: few ranks, few cells.
const MAX_LABELLED_RANKS = 16;
const MAX_LABELLED_CELLS = 8;

/** Names each rank under its strip and, for small scenes, writes the values above it. */
function drawLabels(strips: readonly Float32Array[]): void {
  const scene = session.scene;
  const layer = $('labels');
  if (!shown || !scene) return;
  const { layout } = shown;
  const spans: HTMLElement[] = [];
  if (layout.ranks.length <= MAX_LABELLED_RANKS) {
    layout.ranks.forEach((p, r) => {
      const name = document.createElement('span');
      const below = scene.project({ x: p.x, y: p.y - scene.stripHeight * 0.6 });
      Object.assign(name.style, { left: `${below.x}px`, top: `${below.y}px` });
      name.textContent = `rank ${r}`;
      spans.push(name);
      const values = strips[r];
      if (values && values.length <= MAX_LABELLED_CELLS) {
        const above = scene.project({ x: p.x, y: p.y + scene.stripHeight * 0.6 });
        const v = document.createElement('span');
        Object.assign(v.style, {
          left: `${above.x}px`,
          top: `${above.y}px`,
          transform: 'translate(-50%, -100%)',
        });
        v.textContent = `[${[...values].map((x) => Number(x.toPrecision(4))).join(', ')}]`;
        spans.push(v);
      }
    });
  }
  layer.replaceChildren(...spans);
}

function drawStep(step: number): void {
  const scene = session.scene;
  if (!shown || !scene) return;
  const { run, scale } = shown;
  scene.setStrips(run.strips[step] ?? [], (v) => valueColour(v, scale));
  drawLabels(run.strips[step] ?? []);
  scene.setPackets([], 0);
  scene.render();
  const total = run.plan.steps.length;
  counter.textContent = `step ${step} of ${total}`;
  caption.textContent =
    step === 0 ? `${total} steps: press step (space) to begin` : describeStep(run.plan, step - 1);
  timeline.highlight(step);
  document.body.dataset.step = String(step);
}

/** Moves one step forward with the step's packets travelling, then shows the new buffers. */
/**
 * Plays step k's packets along their routes: forward from source to destination, or backward
 * (undoing the step) from destination to source. Resolves when they have landed.
 */
async function animateStep(k: number, backward: boolean): Promise<void> {
  if (!shown) return;
  const scene = session.scene;
  const ops = shown.run.plan.steps[k]?.ops ?? [];
  const { layout, fabric } = shown;
  const packets = ops.map((op) => ({
    path: routePoints(layout, fabric, op.src.rank, op.dst.rank),
    colour: chunkColour(op.chunk),
  }));
  caption.textContent = `${backward ? 'undoing ' : ''}${describeStep(shown.run.plan, k)}`;
  await flyPackets(scene, packets, 700 / Math.max(0.1, state.speed), backward);
}

const transport = new Transport(
  {
    count: () => shown?.run.plan.steps.length ?? 0,
    current: () => state.step,
    show: (k) => {
      state = { ...state, step: k };
      writeUrl();
      drawStep(k);
    },
    animate: animateStep,
    speed: () => state.speed,
  },
  playButton,
);

let writingUrl = false;
function writeUrl(): void {
  writingUrl = true;
  history.replaceState(null, '', `#${serializeState(state).replace(/^#/, '')}`);
  writingUrl = false;
}

// ---------------------------------------------------------------------------------------------
// Controls

const timeline = new Timeline($<HTMLTableElement>('timeline'));

function makeGui() {
  const panel = new GUI({ container: $('gui'), title: 'collective' });
  // lil-gui reads each property's type when a control is added: start from the defaults.
  const d = DEFAULT_STATE;
  const link = fabricPreset(d.fabric).link;
  const model: Record<string, unknown> = {
    ...d,
    alpha_us: link.alpha_s * 1e6,
    beta_GBps: link.beta_Bps / 1e9,
  };
  const controllers = new Map<string, ReturnType<GUI['add']>>();
  const change = (patch: Partial<ViewState>) => {
    void load({ ...state, ...patch, preset: '', step: 0 });
  };
  const add = (key: string, ...args: unknown[]) => {
    const c = (panel.add as (...a: unknown[]) => ReturnType<GUI['add']>)(model, key, ...args);
    controllers.set(key, c);
    return c;
  };
  add('preset', ['', ...VIEW_PRESETS.map((p) => p.name)]).onChange((name: string) => {
    if (name) void load(viewPreset(name).state);
  });
  add('collective', [...COLLECTIVES]).onChange((c: ViewState['collective']) =>
    change({ collective: c, algorithm: Object.keys(ALGORITHMS[c])[0] ?? '' }),
  );
  add('algorithm', Object.keys(ALGORITHMS.allreduce)).onChange((a: string) =>
    change({ algorithm: a }),
  );
  add('ranks', 1, 64, 1).onFinishChange((r: number) => change({ ranks: r }));
  add('bytes', [16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576]).onChange((b: number) =>
    change({ bytes: Number(b) }),
  );
  add('dtype', [...DTYPES]).onChange((d: ViewState['dtype']) => change({ dtype: d }));
  add('redop', [...REDOPS]).onChange((o: ViewState['redop']) => change({ redop: o }));
  add(
    'fabric',
    FABRIC_PRESETS.map((f) => f.name),
  ).onChange((f: string) => change({ fabric: f }));
  add('alpha_us', 0, 100, 0.1)
    .name('alpha (µs)')
    .onFinishChange((a: number) => change({ alpha: a * 1e-6 }));
  add('beta_GBps', 0.1, 1000, 0.1)
    .name('beta (GB/s)')
    .onFinishChange((b: number) => change({ beta: b * 1e9 }));
  add('speed', 0.25, 8, 0.25)
    .name('speed (steps/s)')
    .onChange((v: number) => {
      state = { ...state, speed: v };
      writeUrl();
    });
  return {
    panel,
    /** Shows `s` in the controls without triggering loads; hides what the URL hides. */
    sync(s: ViewState) {
      const preset = fabricPreset(s.fabric);
      Object.assign(model, {
        preset: s.preset,
        collective: s.collective,
        algorithm: s.algorithm,
        ranks: s.ranks,
        bytes: s.bytes,
        dtype: s.dtype,
        redop: s.redop,
        fabric: s.fabric,
        alpha_us: (s.alpha ?? preset.link.alpha_s) * 1e6,
        beta_GBps: (s.beta ?? preset.link.beta_Bps) / 1e9,
        speed: s.speed,
      });
      controllers
        .get('algorithm')
        ?.options(Object.keys(ALGORITHMS[s.collective]))
        .onChange((a: string) => change({ algorithm: a }));
      controllers.get('algorithm')?.setValue?.call(controllers.get('algorithm'), s.algorithm);
      for (const [key, c] of controllers) {
        c.updateDisplay();
        const control = key === 'alpha_us' ? 'alpha' : key === 'beta_GBps' ? 'beta' : key;
        c.show(!s.hide.includes(control as ViewState['hide'][number]));
      }
    },
  };
}

let gui: ReturnType<typeof makeGui>;

// ---------------------------------------------------------------------------------------------
// Start

function bindKeys(): void {
  bindTransport(transport, {
    reset: $('reset'),
    back: $('back'),
    forward: $('forward'),
    play: playButton,
  });
  window.addEventListener('hashchange', () => {
    if (writingUrl) return;
    fromUrl();
  });
  window.addEventListener('resize', () => {
    session.scene?.fit();
    session.scene?.render();
    if (shown) drawLabels(shown.run.strips[state.step] ?? []);
  });
}

function fromUrl(): void {
  const { state: parsed, errors } = parseState(location.hash, shown?.state);
  gui.sync(parsed);
  void load(parsed).then(() => {
    if (errors.length > 0)
      showAlert(
        `The link had values fleetlab cannot use; it kept the defaults for them:\n${errors.join('\n')}`,
      );
  });
}

/** The device is gone: say so, keep the scene shown, run new scenes on the CPU interpreter. */
function deviceLost(info: { reason: string; message: string }): void {
  session.standing = `The GPU device was lost (${info.reason}): ${info.message}. The scene shown is the last good one; reload to measure again. Until then, new scenes run on the CPU interpreter and are not measured.`;
  showAlert(session.standing);
  session.ctx = undefined;
  session.cache = undefined;
}

async function start(): Promise<void> {
  gui = makeGui();
  bindKeys();
  const canvas = $<HTMLCanvasElement>('scene');
  try {
    session.ctx = await acquireDevice({
      provider: browserProvider(navigator, isSecureContext),
      onLost: deviceLost,
    });
    session.cache = new PipelineCache(session.ctx);
  } catch (e) {
    session.standing = `${(e as Error).message}\n\nThe plan still animates below from the CPU interpreter, with the model's times; nothing is measured.`;
    showAlert(session.standing);
  }
  try {
    session.scene = await FabricScene.create(canvas, session.ctx?.device);
  } catch (e) {
    showAlert(`The scene cannot be drawn: ${(e as Error).message}`);
    document.body.dataset.ready = 'true';
    return;
  }
  if (session.ctx) {
    statusLine.textContent = 'Calibrating the model on this GPU…';
    // Executor passes up to 64 KiB an op: the page steps through small plans; quick on SwiftShader.
    const cal = await calibrate(
      session.ctx,
      viteShaders,
      { minBytes: 4096, maxBytes: 1 << 20, stepFactor: 4 },
      undefined,
      undefined,
      {},
      { maxOpBytes: 64 * 1024, reps: 3 },
    );
    // Never a throw: an unfittable calibration leaves the model row empty and says why.
    session.model = localExecutorModel(cal);
  }
  mountSweep($('sweep'), $<HTMLButtonElement>('sweep-run'), $('sweep-status'), () => ({
    state,
    session,
  }));
  fromUrl();
}

// What tests and recordings may read: the buffers shown (from the GPU) and the algorithms that
// the sweep measures. Read-only views of the page's state.
Object.assign(window, {
  fleetlabView: {
    strips: () => (shown?.run.strips[state.step] ?? []).map((s) => [...s]),
    algorithms: () => Object.keys(ALGORITHMS[state.collective]),
    // Script cannot make a real device loss (destroy() reports 'destroyed', which acquireDevice
    // does not pass on): tests take the same path the loss handler takes.
    simulateDeviceLoss: () => deviceLost({ reason: 'unknown', message: 'simulated by a test' }),
  },
});

start().catch((e: unknown) => {
  // Whatever went wrong at start, the page says so: never a blank page or a console-only error.
  showAlert(`fleetlab could not start this page: ${(e as Error).message}`);
  document.body.dataset.ready = 'true';
});
