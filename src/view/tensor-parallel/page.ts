// The tensor-parallel playground: a Megatron-LM layer split across ranks really run on this GPU,
// step by step: the matrices coloured by the rank that holds each block, the collective's packets
// on the fabric (the collectives page's scene), each rank's result checked against the
// unsharded layer, the time of every step three ways, and the Fleet Law measured over N ranks.
// All state lives in the URL hash; every failure shows in the alert and keeps the last scene.
// The shell (common/page-shell.ts) does the device, the URL, the alert and the keys.
import GUI from 'lil-gui';
import { measureFmaPeak } from '../../exec/kernels/matmul.ts';
import type { Fabric } from '../../fabric/fabric.ts';
import { FABRIC_PRESETS, fabricPreset } from '../../fabric/fabric-presets.ts';
import { describeAdapter } from '../../gpu/device.ts';
import { viteShaders } from '../../gpu/shaders-vite.ts';
import { LAYOUTS, type Plan } from '../../plans/plan.ts';
import { LAYOUT_COMMS, tensorParallel } from '../../plans/tensor-parallel.ts';
import { emulatedFace, emulatedSteps } from '../../run/faces.ts';
import { measureTensorParallel, type TpMeasurement } from '../../run/tp-measure.ts';
import { chunkColour, valueColour, valueScale } from '../common/colours.ts';
import { type Layout, layoutFabric, routePoints } from '../common/layout.ts';
import { byId as $, PageShell } from '../common/page-shell.ts';
import { FabricScene } from '../common/scene.ts';
import { describeStep } from '../common/step-text.ts';
import { flyPackets } from '../common/transport.ts';
import { describeKernelStep, stepFocus } from './matrix.ts';
import { type DrawnLabel, drawMatrices, rankCss } from './matrix-draw.ts';
import * as panels from './panels.ts';
import { runTpOnCpu, runTpOnGpu, type TpRun } from './run.ts';
import { rooflinePoints } from './scaling.ts';
import {
  algorithmsOf,
  layerProblem,
  parseTpState,
  serializeTpState,
  TP_LIMITS,
  TP_PRESETS,
  type TpState,
} from './state.ts';
import { mountScalingSweep, specOf } from './sweep-panel.ts';

function captionOf(plan: Plan, index: number): string {
  return describeKernelStep(plan, index) ?? describeStep(plan, index);
}

/** Mounts the tensor-parallel page on its HTML (demos/tensor-parallel/index.html). */
export function mountTensorParallelPage(): void {
  const [statusLine, caption, counter, labels] = [
    $('status'),
    $('caption'),
    $('counter'),
    $('labels'),
  ];
  const matrices = $<HTMLCanvasElement>('matrices');
  const [checksTable, timesTable] = [$<HTMLTableElement>('checks'), $<HTMLTableElement>('times')];

  /** The page's own beside the shell's GPU parts. */
  const session: { scene?: FabricScene; peak?: number } = {};
  interface Shown {
    readonly state: TpState;
    readonly run: TpRun;
    readonly layout: Layout;
    readonly fabric: Fabric;
    readonly scale: number;
  }
  let shown: Shown | undefined;

  /** Builds, runs, checks and draws `next`; on failure the alert says why and the last scene stays. */
  async function load(next: TpState): Promise<void> {
    const current = shell.begin();
    statusLine.textContent = 'Running the layer…';
    try {
      const plan = tensorParallel(specOf(next));
      const preset = fabricPreset(next.fabric);
      const fabric = preset.build(plan.ranks);
      const { ctx, cache, timer } = shell.gpu;
      const run = ctx && cache ? await runTpOnGpu(ctx, viteShaders, cache, plan) : runTpOnCpu(plan);
      let measurement: TpMeasurement | undefined;
      if (ctx && cache && timer) {
        measurement = await measureTensorParallel(
          ctx,
          viteShaders,
          cache,
          timer,
          specOf(next),
          fabric,
          { reps: 3 },
        );
      }
      if (!current()) return;
      const scene = session.scene;
      if (!scene) throw new Error('the scene is not ready');
      const layout = layoutFabric(fabric);
      scene.setLayout(layout, Math.max(1, run.strips[0]?.[0]?.length ?? 1));
      const scale = valueScale(run.strips.flat());
      // Kernels at no time: the page shows the transfers the pricer gives each step here.
      const transfer = emulatedSteps(
        plan,
        emulatedFace(plan, fabric, { kernelSeconds: () => 0 }),
      ).steps.map((s) => s.transfer_s);
      panels.renderTimes(timesTable, plan, measurement, transfer);
      panels.renderChecks(checksTable, run.checks);
      shell.state = shell.fitStep(next, plan.steps.length);
      shown = { state: shell.state, run, layout, fabric, scale };
      const wrong = run.checks.reduce((n, c) => n + c.wrong, 0);
      if (wrong > 0)
        shell.showAlert(
          `${wrong} result elements differ from the unsharded layer beyond the tolerance`,
        );
      else shell.clearAlert();
      statusLine.textContent = ctx
        ? `${describeAdapter(ctx.adapter)} · ${plan.steps.length} steps, measured on this GPU`
        : `${plan.steps.length} steps on the CPU interpreter: not measured (no WebGPU)`;
      $('preset-note').textContent =
        TP_PRESETS.find((p) => p.name === shell.state.preset)?.description ?? '';
      shell.writeUrl();
      drawStep(shell.state.step);
      // The roofline runs after the load: its failure (a device lost meanwhile) is said in
      // its own panel, never left as an uncaught error.
      if (measurement)
        void roofline(measurement).catch((e: unknown) => {
          $('roofline').textContent = `Not measured: ${(e as Error).message}`;
        });
      else $('roofline').textContent = 'Not measured: this page has no WebGPU device.';
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
      if (current()) {
        document.body.dataset.ready = 'true';
        document.body.dataset.loads = String(Number(document.body.dataset.loads ?? 0) + 1);
      }
    }
  }

  async function roofline(m: TpMeasurement): Promise<void> {
    const { ctx, cache, timer } = shell.gpu;
    if (!ctx || !cache || !timer) return;
    session.peak ??= (await measureFmaPeak(ctx, viteShaders, cache, timer, 5)).flops_per_s;
    panels.renderRoofline($('roofline'), rooflinePoints(m, session.peak), session.peak);
  }

  function drawLabels(): void {
    const scene = session.scene;
    if (!shown || !scene || shown.layout.ranks.length > 16) {
      labels.replaceChildren();
      return;
    }
    labels.replaceChildren(
      ...shown.layout.ranks.map((p, r) => {
        const span = document.createElement('span');
        const at = scene.project({ x: p.x, y: p.y - scene.stripHeight * 0.7 });
        Object.assign(span.style, { left: `${at.x}px`, top: `${at.y}px`, color: rankCss(r) });
        span.textContent = `rank ${r}`;
        return span;
      }),
    );
  }

  let matrixLabels: readonly DrawnLabel[] = [];
  function drawStep(step: number): void {
    const scene = session.scene;
    if (!shown || !scene) return;
    const { run, scale } = shown;
    const total = run.plan.steps.length;
    matrixLabels = drawMatrices(matrices, run.plan, stepFocus(run.plan, step));
    scene.setStrips(run.strips[step] ?? [], (v) => valueColour(v, scale));
    scene.setPackets([], 0);
    scene.render();
    drawLabels();
    counter.textContent = `step ${step} of ${total}`;
    caption.textContent =
      step === 0 ? `${total} steps: press step (space) to begin` : captionOf(run.plan, step - 1);
    panels.highlightStep(timesTable, step);
    document.body.dataset.step = String(step);
  }

  /** Plays step k: its packets along their routes (home again when backward), coloured by sender. */
  async function animateStep(k: number, backward: boolean): Promise<void> {
    if (!shown) return;
    const { layout, fabric, run } = shown;
    const scene = session.scene;
    const packets = (run.plan.steps[k]?.ops ?? []).map((op) => ({
      path: routePoints(layout, fabric, op.src.rank, op.dst.rank),
      colour: chunkColour(op.src.rank),
    }));
    caption.textContent = `${backward ? 'undoing ' : ''}${captionOf(run.plan, k)}`;
    // The counter names the step the caption describes while it plays (it said the one before).
    counter.textContent = `step ${k + 1} of ${run.plan.steps.length}`;
    matrixLabels = drawMatrices(matrices, run.plan, stepFocus(run.plan, k + 1));
    await flyPackets(scene, packets, 700 / Math.max(0.1, shell.state.speed), backward);
  }

  // -------------------------------------------------------------------------------------------
  // Controls

  function makeGui() {
    const panel = new GUI({ container: $('gui'), title: 'tensor-parallel layer' });
    const model: Record<string, unknown> = { ...parseTpState('').state };
    const controllers = new Map<string, ReturnType<GUI['add']>>();
    const change = (patch: Partial<TpState>) =>
      void load({ ...shell.state, ...patch, preset: '', step: 0 });
    const add = (key: string, ...args: unknown[]) => {
      const c = (panel.add as (...a: unknown[]) => ReturnType<GUI['add']>)(model, key, ...args);
      controllers.set(key, c);
      return c;
    };
    add('preset', ['', ...TP_PRESETS.map((p) => p.name)]).onChange((name: string) => {
      const p = TP_PRESETS.find((q) => q.name === name);
      if (p) void load(p.state);
    });
    add('layout', [...LAYOUTS]).onChange((l: TpState['layout']) =>
      change({ layout: l, comm: LAYOUT_COMMS[l][0], algorithm: 'ring' }),
    );
    add('comm', [...LAYOUT_COMMS.mlp]).onChange((c: TpState['comm']) =>
      change({ comm: c, algorithm: algorithmsOf(c)[0] ?? 'ring' }),
    );
    add('algorithm', algorithmsOf('allreduce')).onChange((a: string) => change({ algorithm: a }));
    add('ranks', [1, 2, 4, 8]).onChange((r: number) => change({ ranks: Number(r) }));
    for (const key of ['m', 'k', 'n'] as const) {
      add(key, TP_LIMITS.minDim, TP_LIMITS.maxDim, 1).onFinishChange((v: number) =>
        change({ [key]: v }),
      );
    }
    add(
      'fabric',
      FABRIC_PRESETS.map((f) => f.name),
    ).onChange((f: string) => change({ fabric: f }));
    add('speed', TP_LIMITS.minSpeed, TP_LIMITS.maxSpeed, 0.1)
      .name('speed (steps/s)')
      .onChange((v: number) => {
        shell.state = { ...shell.state, speed: v };
        shell.writeUrl();
      });
    return {
      panel,
      /** Shows `s` in the controls without loading; option lists follow the layout. */
      sync(s: TpState) {
        Object.assign(model, s);
        controllers
          .get('comm')
          ?.options([...LAYOUT_COMMS[s.layout]])
          .onChange((c: TpState['comm']) =>
            change({ comm: c, algorithm: algorithmsOf(c)[0] ?? 'ring' }),
          );
        controllers
          .get('algorithm')
          ?.options(algorithmsOf(s.comm).length ? algorithmsOf(s.comm) : ['ring'])
          .onChange((a: string) => change({ algorithm: a }));
        // Every rank count up to the page's limit that splits this layer.
        const fits = Array.from({ length: TP_LIMITS.maxRanks }, (_, i) => i + 1).filter(
          (r) => layerProblem({ ...s, ranks: r }) === undefined,
        );
        controllers
          .get('ranks')
          ?.options(fits)
          .onChange((r: number) => change({ ranks: Number(r) }));
        for (const key of ['comm', 'algorithm', 'ranks'])
          controllers.get(key)?.setValue?.call(controllers.get(key), s[key as keyof TpState]);
        controllers.get('algorithm')?.show(s.comm !== 'none');
        for (const c of controllers.values()) c.updateDisplay();
      },
    };
  }
  let gui: ReturnType<typeof makeGui>;

  // -------------------------------------------------------------------------------------------
  // Start

  /** The fabric's scene and the scaling sweep, once the device is known. */
  async function ready(): Promise<boolean> {
    try {
      session.scene = await FabricScene.create(
        $<HTMLCanvasElement>('scene'),
        shell.gpu.ctx?.device,
      );
    } catch (e) {
      shell.showAlert(`The fabric cannot be drawn: ${(e as Error).message}`);
      document.body.dataset.ready = 'true';
      return false;
    }
    mountScalingSweep(
      {
        button: $<HTMLButtonElement>('scaling-run'),
        status: $('scaling-status'),
        plot: $('scaling'),
        rows: $<HTMLTableElement>('scaling-rows'),
      },
      viteShaders,
      () => ({ state: shell.state, session: shell.gpu }),
    );
    return true;
  }

  const shell = new PageShell<TpState>({
    url: { parse: parseTpState, serialize: (s) => serializeTpState(s) },
    urlAlert: (errors) =>
      `The link had values fleetlab cannot use; it kept others for them:\n${errors.join('\n')}`,
    previous: () => shown?.state,
    noGpu: 'The layer still steps below on the CPU interpreter; nothing is measured.',
    lost: 'The scene shown is the last good one; reload to measure again. Until then, new scenes run on the CPU interpreter and are not measured.',
    timer: true,
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
      if (shown) drawStep(shell.state.step);
    },
  });

  // For tests and recordings: read-only views of what the page shows.
  Object.assign(window, {
    fleetlabTp: {
      checks: () => shown?.run.checks ?? [],
      measured: () => shown?.run.measured ?? false,
      /** The matrix labels as last drawn (CSS px of the matrices canvas). */
      matrixLabels: () => matrixLabels,
      simulateDeviceLoss: () => shell.simulateDeviceLoss(),
    },
  });

  shell.start();
}
