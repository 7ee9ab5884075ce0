// The expert-parallelism page: a mixture-of-experts layer run and checked on this GPU (router,
// top-k routing with a capacity, dispatch AllToAllv, the experts, combine AllToAllv), its token
// copies drawn travelling rank to rank coloured by expert, the load of each expert against its
// capacity, and the step on a fabric beside the balanced formula. All state lives in the URL
// hash; every failure shows in the alert (common/page-shell.ts).
import { describeAdapter } from '../../gpu/device.ts';
import { viteShaders } from '../../gpu/shaders-vite.ts';
import { formatBytes, formatSeconds } from '../../model/units.ts';
import { byId as $, PageShell } from '../common/page-shell.ts';
import { fillResultsTable } from '../common/results-table.ts';
import { type StateGui, stateGui } from '../common/state-gui.ts';
import { drawExperts, phaseOf, TICKS } from './draw.ts';
import { ASSUMED_DEVICE, type ExpertsRun, runExperts } from './run.ts';
import {
  DEFAULT_EXPERTS_STATE,
  EXPERTS_LIMITS,
  EXPERTS_PRESETS,
  EXPERTS_STATE,
  type ExpertsState,
  parseExpertsState,
  serializeExpertsState,
} from './state.ts';

const ratio = (x: number) => `${x.toFixed(2)}x`;

export function mountExpertsPage(): void {
  const [statusLine, caption, counter, note] = [
    $('status'),
    $('caption'),
    $('counter'),
    $('preset-note'),
  ];
  const canvas = $<HTMLCanvasElement>('scene');
  const results = $<HTMLTableElement>('results');
  let shown: ExpertsRun | undefined;

  const gpu = () => {
    const { ctx, cache, timer } = shell.gpu;
    return ctx && cache && timer ? { ctx, shaders: viteShaders, cache, timer } : undefined;
  };
  const describe = (s: ExpertsState) =>
    `${s.tokens} tokens on ${s.ranks} ranks, ${s.experts} experts, top-${s.topk}, capacity factor ${s.capacity}${s.skew ? `, skew ${s.skew}` : ''}`;

  async function load(next: ExpertsState): Promise<void> {
    const current = shell.begin();
    try {
      const g = gpu();
      statusLine.textContent = `Running the layer (${describe(next)}) ${g ? 'on the GPU' : 'on the CPU'}…`;
      const run =
        shown && EXPERTS_STATE.sameRun(shown.state, next) && shown.measured === Boolean(g)
          ? shown
          : await runExperts(next, g);
      if (!current()) return;
      shell.state = shell.fitStep(next, TICKS);
      shown = { ...run, state: shell.state };
      const { ctx } = shell.gpu;
      const checked = run.check.ok
        ? 'equals the f64 layer within its bound'
        : `${run.check.wrong} values outside the bound${run.check.routing_agrees ? '' : ', and the routing differs'}`;
      statusLine.textContent = run.measured
        ? `${describe(next)}: run on ${ctx ? describeAdapter(ctx.adapter) : 'this GPU'}; the result ${checked}; times priced on ${next.fabric} with this GPU's kernel times`
        : `${describe(next)}: interpreted on the CPU (no WebGPU), the result ${checked}; modelled, not measured: kernels at an assumed ${ASSUMED_DEVICE.flops_per_s / 1e9} GFLOP/s and ${ASSUMED_DEVICE.bytes_per_s / 1e9} GB/s`;
      note.textContent = EXPERTS_STATE.preset(next.preset)?.description ?? '';
      renderResults(shown);
      shell.clearAlert();
      if (!run.check.ok) shell.showAlert(`The layer differs from the f64 reference: ${checked}.`);
      shell.writeUrl();
      gui.sync(shell.state);
      drawStep(shell.state.step);
    } catch (e) {
      if (!current()) return;
      shell.showAlert(`${(e as Error).message}\n\nThe last good layer is still shown.`);
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
    drawExperts(canvas, shown.spec, shown.routing, shown.layout, step);
    const r = shown.routing;
    const phase = phaseOf(step);
    const texts = {
      routed: `each token's ${shown.spec.topK} copies routed: ${r.dropped} of ${shown.spec.tokens * shown.spec.topK} dropped (red), the busiest expert ${ratio(shown.imbalance.experts)} the mean`,
      dispatch: `dispatch AllToAllv: ${formatBytes(shown.alltoall_bytes.dispatch)} across ranks to the experts' ranks`,
      experts: `each expert's MLP on its ${Math.max(...r.tokens_per_expert)} rows at most: the busiest rank holds ${ratio(shown.imbalance.ranks)} the mean`,
      combine: 'combine AllToAllv: the weighted rows back to their tokens',
      done: `done: ${formatSeconds(shown.step_s.emulated)} on ${shown.state.fabric}, ${formatSeconds(shown.step_s.analytic)} by the balanced formula`,
    };
    caption.textContent = texts[phase];
    counter.textContent = `step ${step} of ${TICKS}`;
    document.body.dataset.step = String(step);
  }

  function renderResults(run: ExpertsRun): void {
    const r = run.routing;
    const rows: [string, string][] = [
      [
        'tokens per expert',
        `${r.tokens_per_expert.join(', ')} kept (capacity ${r.capacity}); asked ${r.wanted_per_expert.join(', ')}`,
      ],
      ['tokens per rank', run.tokens_per_rank.join(', ')],
      ['dropped', `${r.dropped} of ${run.spec.tokens * run.spec.topK} copies`],
      [
        'imbalance',
        `experts ${ratio(run.imbalance.experts)}, ranks ${ratio(run.imbalance.ranks)} (max / mean)`,
      ],
      [
        'alltoall bytes',
        `dispatch ${formatBytes(run.alltoall_bytes.dispatch)}, combine ${formatBytes(run.alltoall_bytes.combine)} across ranks`,
      ],
      [
        'step, emulated',
        `${formatSeconds(run.step_s.emulated)} on ${run.state.fabric} (${run.measured ? "this GPU's kernels" : 'assumed kernels'})`,
      ],
      [
        'step, balanced formula',
        `${formatSeconds(run.step_s.analytic)}: the imbalance costs ${formatSeconds(run.step_s.emulated - run.step_s.analytic)}`,
      ],
    ];
    if (run.measured_s !== undefined) {
      rows.push([
        'step, measured',
        `${formatSeconds(run.measured_s)}, every rank on this one GPU in turn`,
      ]);
    }
    rows.push([
      'check',
      `${run.check.ok ? 'ok' : 'FAILED'}: max |err| ${run.check.max_abs_err.toExponential(2)} within ${run.check.bound.toExponential(2)}${run.measured ? '' : ' (CPU interpreter)'}`,
    ]);
    fillResultsTable(results, rows);
  }

  function makeGui(): StateGui<ExpertsState> {
    const g = stateGui<ExpertsState>({
      container: $('gui'),
      title: 'MoE layer',
      defaults: DEFAULT_EXPERTS_STATE,
      current: (): ExpertsState => shell.state,
      preset: (name) => EXPERTS_STATE.preset(name)?.state,
      load: (next) => void load(next),
    });
    const range = (key: keyof typeof EXPERTS_LIMITS, step = 1) =>
      g.range(key, EXPERTS_LIMITS[key], step);
    g.add(
      'preset',
      EXPERTS_PRESETS.map((p) => p.name),
    );
    g.add('fabric', ['nvswitch', 'nvlink-ring', 'pcie4', 'ib-ndr', '100gbe']);
    g.add('algo', ['pairwise', 'direct']).name('AllToAllv');
    range('ranks');
    range('experts').name('experts E');
    g.add('topk', [1, 2]).name('top-k');
    range('tokens').name('tokens T');
    range('d').name('width d');
    range('capacity', 0.05).name('capacity factor C');
    range('skew', 0.1).name('skew (hot experts)');
    range('seed');
    range('speed', 0.1).name('speed (steps/s)');
    return g;
  }
  let gui: StateGui<ExpertsState>;

  const shell = new PageShell<ExpertsState>({
    url: { parse: parseExpertsState, serialize: serializeExpertsState },
    urlAlert: (errors) => errors.join('\n'),
    urlAlertFirst: true,
    noGpu:
      'The layer is still run below, by the CPU interpreter, and priced with kernels at assumed rates: modelled, not measured.',
    lost: 'The layer shown is the last good one; reload to measure again. Until then, new layers run on the CPU, not measured.',
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
    fleetlabExperts: {
      run: () =>
        shown && {
          measured: shown.measured,
          ok: shown.check.ok,
          tokens_per_expert: shown.routing.tokens_per_expert,
          capacity: shown.routing.capacity,
          dropped: shown.routing.dropped,
          imbalance: shown.imbalance,
          step_s: shown.step_s,
        },
      simulateDeviceLoss: () => shell.simulateDeviceLoss(),
    },
  });

  shell.start();
}
