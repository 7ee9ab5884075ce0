// The training-parallelism page: one step of a small MLP trained data parallel (buckets, ZeRO)
// or pipeline parallel (GPipe, 1F1B, interleaved), run and checked on this GPU, then priced on
// a fabric by the event-driven pricer and drawn as a per-rank timeline of compute and comm
// lanes, with the bubble, the overlap and the memory per rank beside the formulas. All state
// lives in the URL hash; every failure shows in the alert (common/page-shell.ts).
import { describeAdapter } from '../../gpu/device.ts';
import { viteShaders } from '../../gpu/shaders-vite.ts';
import { formatBytes, formatSeconds } from '../../model/units.ts';
import { byId as $, PageShell } from '../common/page-shell.ts';
import { fillResultsTable } from '../common/results-table.ts';
import { type StateGui, stateGui } from '../common/state-gui.ts';
import { busyAt, TASK_KINDS, TICKS, tickTime } from './lanes.ts';
import { ASSUMED_DEVICE, runTraining, type TrainingRun } from './run.ts';
import {
  DEFAULT_TRAINING_STATE,
  parseTrainingState,
  sameTrainingRun,
  serializeTrainingState,
  TRAINING_LIMITS,
  TRAINING_PRESETS,
  type TrainingState,
} from './state.ts';
import { drawTimeline, IDLE_COLOUR, KIND_COLOURS } from './timeline-draw.ts';

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

/** Mounts the training page on its HTML (demos/training/index.html). */
export function mountTrainingPage(): void {
  const [statusLine, caption, counter, note, legend] = [
    $('status'),
    $('caption'),
    $('counter'),
    $('preset-note'),
    $('legend'),
  ];
  const canvas = $<HTMLCanvasElement>('timeline');
  const results = $<HTMLTableElement>('results');
  let shown: TrainingRun | undefined;

  legend.replaceChildren(
    ...[
      ...TASK_KINDS.map((k) => [k, KIND_COLOURS[k]] as const),
      ['idle (bubble)', IDLE_COLOUR],
    ].map(([name, colour]) => {
      const item = document.createElement('span');
      const swatch = document.createElement('i');
      swatch.style.background = colour;
      item.append(swatch, name);
      return item;
    }),
  );

  const gpu = () => {
    const { ctx, cache, timer } = shell.gpu;
    return ctx && cache && timer ? { ctx, shaders: viteShaders, cache, timer } : undefined;
  };

  const describe = (s: TrainingState) =>
    s.mode === 'pp'
      ? `${s.schedule} on ${s.stages} stages, ${s.microbatches} micro-batches${s.schedule === 'interleaved' ? `, V = ${s.virtual}` : ''}`
      : `data parallel on ${s.ranks} ranks${s.zero ? `, ZeRO-${s.zero}` : ''}, buckets of ${s.bucket} B${s.overlap ? '' : ', no overlap'}`;

  async function load(next: TrainingState): Promise<void> {
    const current = shell.begin();
    try {
      const g = gpu();
      statusLine.textContent = `Running one step (${describe(next)}) ${g ? 'on the GPU' : 'by the model'}…`;
      const run =
        shown && sameTrainingRun(shown.state, next) && (shown.check !== undefined) === Boolean(g)
          ? shown
          : await runTraining(next, g);
      if (!current()) return;
      shell.state = shell.fitStep(next, TICKS);
      shown = { ...run, state: shell.state };
      const { ctx } = shell.gpu;
      const where = run.check
        ? `run on ${ctx ? describeAdapter(ctx.adapter) : 'this GPU'} and checked: ${run.check.ok ? 'every rank equals the f64 reference step' : `${run.check.wrong} values outside the bound`} (max |err| ${run.check.max_abs_err.toExponential(2)}, bound ${run.check.bound.toExponential(2)}); times priced on ${next.fabric} with this GPU's kernel times`
        : `modelled, not measured: kernels at an assumed ${ASSUMED_DEVICE.flops_per_s / 1e9} GFLOP/s and ${ASSUMED_DEVICE.bytes_per_s / 1e9} GB/s, priced on ${next.fabric}`;
      statusLine.textContent = `${describe(next)}: ${where}`;
      note.textContent = TRAINING_PRESETS.find((p) => p.name === next.preset)?.description ?? '';
      renderResults(shown);
      shell.clearAlert();
      if (run.check && !run.check.ok) {
        shell.showAlert(
          `The GPU's step differs from the f64 reference: ${run.check.wrong} values outside the derived bound.`,
        );
      }
      shell.writeUrl();
      gui.sync(shell.state);
      drawStep(shell.state.step);
    } catch (e) {
      if (!current()) return;
      shell.showAlert(`${(e as Error).message}\n\nThe last good step is still shown.`);
      statusLine.textContent = 'The last run failed; see the alert.';
      if (shown) {
        shell.state = { ...shown.state, step: shell.state?.step ?? 0 };
        gui.sync(shell.state);
        shell.writeUrl();
      }
    } finally {
      if (current()) document.body.dataset.ready = 'true';
      document.body.dataset.loads = String(Number(document.body.dataset.loads ?? 0) + 1);
    }
  }

  function drawStep(step: number): void {
    if (!shown) return;
    const { graph, price, state } = shown;
    const t = tickTime(price, step);
    drawTimeline(canvas, graph, price, t, (r) =>
      state.mode === 'pp' ? `stage ${r}` : `rank ${r}`,
    );
    const busy = busyAt(graph, price, t);
    caption.textContent =
      step === 0
        ? `${describe(state)}: the step takes ${formatSeconds(price.total_s)} on ${state.fabric}; step through it`
        : step >= TICKS
          ? `t = ${formatSeconds(t)}: the step is done`
          : `t = ${formatSeconds(t)} of ${formatSeconds(price.total_s)}: ${busy.compute} of ${graph.ranks} compute lanes busy, ${busy.comm} comm lanes moving data`;
    counter.textContent = `step ${step} of ${TICKS}`;
    document.body.dataset.step = String(step);
  }

  function renderResults(run: TrainingRun): void {
    const { price } = run;
    const rows: [string, string][] = [
      [
        'step time, emulated',
        `${formatSeconds(price.total_s)} on ${run.state.fabric} (${run.check ? "this GPU's kernels" : 'assumed kernels'})`,
      ],
    ];
    if (run.measured_s !== undefined) {
      rows.push([
        'step time, measured',
        `${formatSeconds(run.measured_s)}, every rank on this one GPU in turn`,
      ]);
    }
    if (run.no_overlap_s !== undefined) {
      rows.push([
        'without overlap',
        `${formatSeconds(run.no_overlap_s)} (every bucket after the whole backward pass)`,
      ]);
    }
    rows.push([
      'overlap',
      `${pct(price.overlap)} of ${formatSeconds(price.comm_s)} of communication hidden under compute`,
    ]);
    if (run.bubble) {
      rows.push([
        'bubble',
        `${pct(run.bubble.emulated)} emulated; formula ${run.state.schedule === 'interleaved' ? '(p-1)/(p-1+mV)' : '(p-1)/(p-1+m)'} = ${pct(run.bubble.formula)}`,
      ]);
    }
    if (run.peak_activations) {
      rows.push([
        'activations in flight',
        `${run.peak_activations.join(', ')} micro-batches at most, stage by stage`,
      ]);
    }
    const most = run.memory.reduce((a, b) => (b.total > a.total ? b : a));
    rows.push([
      'memory per rank',
      `${formatBytes(most.total)}: parameters ${formatBytes(most.params)}, gradients ${formatBytes(most.grads)}, optimizer ${formatBytes(most.optimizer)}${run.memory_formula_B !== undefined ? `; formula ${formatBytes(run.memory_formula_B)}` : ''}`,
    ]);
    rows.push([
      'check',
      run.check
        ? `${run.check.ok ? 'ok' : 'FAILED'}: max |err| ${run.check.max_abs_err.toExponential(2)} within ${run.check.bound.toExponential(2)}`
        : 'not run (no WebGPU): modelled, not measured',
    ]);
    fillResultsTable(results, rows);
  }

  function makeGui(): StateGui<TrainingState> {
    const g = stateGui<TrainingState>({
      container: $('gui'),
      title: 'training step',
      defaults: DEFAULT_TRAINING_STATE,
      current: (): TrainingState => shell.state,
      preset: (name) => TRAINING_PRESETS.find((p) => p.name === name)?.state,
      load: (next) => void load(next),
    });
    const range = (key: keyof typeof TRAINING_LIMITS, step = 1) =>
      g.range(key, TRAINING_LIMITS[key], step);
    g.add(
      'preset',
      TRAINING_PRESETS.map((p) => p.name),
    );
    g.add('mode', ['dp', 'pp']).name('mode (data / pipeline parallel)');
    g.add('fabric', ['nvswitch', 'nvlink-ring', 'pcie4', 'ib-ndr', '100gbe']);
    g.add('schedule', ['gpipe', '1f1b', 'interleaved']).name('pp: schedule');
    range('stages').name('pp: stages p');
    range('microbatches').name('pp: micro-batches m');
    range('virtual').name('pp: chunks a stage V');
    range('ranks').name('dp: ranks');
    g.add('zero', [0, 1, 2, 3]).name('dp: ZeRO stage');
    g.add('bucket', 1, 65_536, 1).name('dp: bucket (bytes)');
    g.add('overlap', [1, 0]).name('dp: overlap (1 on)');
    range('layers');
    range('d').name('width d');
    range('batch').name('batch (rows)');
    range('speed', 0.1).name('speed (steps/s)');
    return g;
  }
  let gui: StateGui<TrainingState>;

  const shell = new PageShell<TrainingState>({
    url: { parse: parseTrainingState, serialize: serializeTrainingState },
    urlAlert: (errors) => errors.join('\n'),
    urlAlertFirst: true,
    noGpu:
      'The step is still priced and drawn below, with kernels at assumed rates: modelled, not measured.',
    lost: 'The step shown is the last good one; reload to measure again. Until then, new steps are modelled, not measured.',
    timer: true,
    mount: () => {
      gui = makeGui();
    },
    load,
    steps: () => (shown ? TICKS : 0),
    panel: () => gui?.panel,
    draw: drawStep,
    animate: (_, backward) =>
      new Promise((done) =>
        setTimeout(done, backward ? 0 : 1000 / Math.max(0.1, shell.state.speed)),
      ),
    resize: () => drawStep(shell.state?.step ?? 0),
  });

  // For tests: read-only views of what the page shows.
  Object.assign(window, {
    fleetlabTraining: {
      run: () =>
        shown && {
          mode: shown.state.mode,
          ranks: shown.graph.ranks,
          measured: shown.check !== undefined,
          ok: shown.check?.ok ?? false,
          total_s: shown.price.total_s,
          no_overlap_s: shown.no_overlap_s,
          overlap: shown.price.overlap,
          bubble: shown.bubble,
          peak_activations: shown.peak_activations,
          memory_B: shown.memory.map((m) => m.total),
          memory_formula_B: shown.memory_formula_B,
          collective_tasks: shown.graph.tasks.filter((t) => /gather|bucket/.test(t.label)).length,
        },
      simulateDeviceLoss: () => shell.simulateDeviceLoss(),
    },
  });

  shell.start();
}
