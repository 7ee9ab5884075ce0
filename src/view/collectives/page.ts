// The collectives playground: a collective really run on this GPU, step by step, drawn on its
// fabric, beside the model. All state lives in the URL hash; every failure shows in the alert
// and keeps the last good scene. The shell (common/page-shell.ts) does the device, the URL,
// the alert and the keys; this file is the page's own: its plan, scene, timeline and controls.
import GUI from 'lil-gui';
import { calibrate } from '../../exec/calibration/microbench.ts';
import { allocateBuffers, type RankBuffers } from '../../exec/interpreter/steps.ts';
import { FABRIC_PRESETS, fabricPreset } from '../../fabric/fabric-presets.ts';
import { describeAdapter } from '../../gpu/device.ts';
import { viteShaders } from '../../gpu/shaders-vite.ts';
import { type ExecutorModel, localExecutorModel } from '../../model/executor-model.ts';
import { DTYPE_INFO, DTYPES, REDOPS } from '../../plans/dtype.ts';
import { graphOf } from '../../plans/from-steps.ts';
import { COLLECTIVES, type Plan } from '../../plans/plan.ts';
import { ALGORITHMS } from '../../plans/registry.ts';
import { planOf } from '../../plans/to-steps.ts';
import {
  analyticSeconds,
  emulatedFace,
  emulatedStepFaces,
  modelStepFaces,
} from '../../run/faces.ts';
import { chunkColour, valueColour } from '../common/colours.ts';
import { type Layout, layoutFabric, routePoints } from '../common/layout.ts';
import { byId as $, PageShell } from '../common/page-shell.ts';
import { type PlanRun, runOnCpu, runOnGpu } from '../common/run.ts';
import { FabricScene } from '../common/scene.ts';
import { describeStep } from '../common/step-text.ts';
import { flyPackets } from '../common/transport.ts';
import { VIEW_PRESETS, viewPreset } from './presets.ts';
import { DEFAULT_STATE, VIEW_LIMITS, type ViewState } from './state.ts';
import { mountSweep } from './sweep-panel.ts';
import { Timeline } from './timeline.ts';
import { parseState, serializeState } from './url-state.ts';

// The step-by-step view reads every rank's buffers back after every step: keep it small.
const MAX_VIEW_BYTES = VIEW_LIMITS.maxBytes;

// Values are written out while a lecture can read them: few ranks, few cells.
const MAX_LABELLED_RANKS = 16;
const MAX_LABELLED_CELLS = 8;

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
  const plan = build({
    ranks: s.ranks,
    count,
    dtype: s.dtype,
    redop: s.redop,
    inPlace: true,
    root: 0,
  });
  // The page steps the plan's graph wave by wave (tasks whose dependencies are done): for most
  // algorithms a wave is a step of the builder; a pipelined tree's chunks run ahead in fewer.
  return planOf(graphOf(plan));
}

/** Mounts the collectives page on its HTML (demos/collectives/index.html). */
export function mountCollectivesPage(): void {
  const statusLine = $('status');
  const caption = $('caption');
  const counter = $('counter');

  /** The page's own beside the shell's GPU parts. */
  const session: {
    /** This GPU's executor model, calibrated once per page load (GPU only); it may say why it
     * is unavailable (a busy machine), and the model row is then empty. */
    model?: ExecutorModel;
    scene?: FabricScene;
  } = {};

  interface Shown {
    readonly state: ViewState;
    readonly run: PlanRun;
    readonly scale: number;
    readonly layout: Layout;
    readonly fabric: ReturnType<typeof fabricFor>['fabric'];
  }
  let shown: Shown | undefined;

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
    const current = shell.begin();
    statusLine.textContent = 'Running the plan…';
    try {
      const plan = planFor(next);
      const { preset, link, fabric } = fabricFor(next, plan);
      const input = inputsFor(plan, next);
      const { ctx, cache } = shell.gpu;
      const run =
        ctx && cache ? await runOnGpu(ctx, viteShaders, cache, plan, input) : runOnCpu(plan, input);
      if (!current()) return; // a newer request won
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
        ? modelStepFaces(plan, session.model, shell.gpu.ctx?.limits, true)
        : plan.steps.map(() => Number.NaN);
      const emulated = emulatedStepFaces(plan, emulatedFace(plan, fabric));
      // NaN where the book has no closed form for this algorithm: the row says so.
      const analytic =
        analyticSeconds(next.collective, plan.algorithm, plan.ranks, next.bytes, link) ??
        Number.NaN;
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
      shell.state = shell.fitStep(next, plan.steps.length);
      // What to watch for, as a lecturer reads it aloud (presenter mode shows it large).
      $('preset-note').textContent =
        VIEW_PRESETS.find((p) => p.name === shell.state.preset)?.description ?? '';
      shown = { state: shell.state, run, scale, layout, fabric };
      // What the drawing shows, for tests and screen readers' tools: the fabric's topology.
      Object.assign($('scene').dataset, {
        topology: fabric.topology.kind,
        hubs: String(layout.hubs.length),
      });
      if (run.wrong > 0)
        shell.showAlert(
          `${run.wrong} output elements differ from the CPU interpreter: a GPU fault`,
        );
      else shell.clearAlert();
      statusLine.textContent = shell.gpu.ctx
        ? `${describeAdapter(shell.gpu.ctx.adapter)} · ${plan.steps.length} steps, measured on this GPU`
        : `${plan.steps.length} steps on the CPU interpreter: not measured (no WebGPU)`;
      shell.writeUrl();
      drawStep(shell.state.step);
    } catch (e) {
      if (!current()) return;
      shell.showAlert((e as Error).message);
      statusLine.textContent = shown ? 'Kept the last good scene.' : 'Nothing to show yet.';
      if (shown) {
        shell.state = shown.state;
        shell.writeUrl();
        gui.sync(shell.state);
      }
    } finally {
      document.body.dataset.ready = 'true';
    }
  }

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
    // The counter names the step the caption describes while it plays (it said the one before).
    counter.textContent = `step ${k + 1} of ${shown.run.plan.steps.length}`;
    await flyPackets(scene, packets, 700 / Math.max(0.1, shell.state.speed), backward);
  }

  // -------------------------------------------------------------------------------------------
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
      void load({ ...shell.state, ...patch, preset: '', step: 0 });
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
        shell.state = { ...shell.state, speed: v };
        shell.writeUrl();
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

  // -------------------------------------------------------------------------------------------
  // Start

  /** The scene, this GPU's calibration and the sweep, once the device is known. */
  async function ready(): Promise<boolean> {
    const { ctx } = shell.gpu;
    try {
      session.scene = await FabricScene.create($<HTMLCanvasElement>('scene'), ctx?.device);
    } catch (e) {
      shell.showAlert(`The scene cannot be drawn: ${(e as Error).message}`);
      document.body.dataset.ready = 'true';
      return false;
    }
    if (ctx) {
      statusLine.textContent = 'Calibrating the model on this GPU…';
      // Executor passes up to 64 KiB an op: the page steps through small plans; quick on SwiftShader.
      const cal = await calibrate(
        ctx,
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
      state: shell.state,
      session: { ctx: shell.gpu.ctx, cache: shell.gpu.cache, model: session.model },
      alert: shell.showAlert,
    }));
    return true;
  }

  const shell = new PageShell<ViewState>({
    url: { parse: parseState, serialize: (s) => serializeState(s) },
    urlAlert: (errors) =>
      `The link had values fleetlab cannot use; it kept the defaults for them:\n${errors.join('\n')}`,
    previous: () => shown?.state,
    noGpu:
      "The plan still animates below from the CPU interpreter, with the model's times; nothing is measured.",
    lost: 'The scene shown is the last good one; reload to measure again. Until then, new scenes run on the CPU interpreter and are not measured.',
    mount: () => {
      gui = makeGui();
    },
    panel: () => gui?.panel,
    ready,
    sync: (s) => gui.sync(s),
    load,
    steps: () => shown?.run.plan.steps.length ?? 0,
    draw: drawStep,
    animate: animateStep,
    resize: () => {
      session.scene?.fit();
      session.scene?.render();
      if (shown) drawLabels(shown.run.strips[shell.state.step] ?? []);
    },
  });

  // What tests and recordings may read: the buffers shown (from the GPU) and the algorithms that
  // the sweep measures. Read-only views of the page's state.
  Object.assign(window, {
    fleetlabView: {
      strips: () => (shown?.run.strips[shell.state.step] ?? []).map((s) => [...s]),
      algorithms: () => Object.keys(ALGORITHMS[shell.state.collective]),
      simulateDeviceLoss: () => shell.simulateDeviceLoss(),
    },
  });

  shell.start();
}
