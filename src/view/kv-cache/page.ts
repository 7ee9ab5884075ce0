// The KV-cache playground: a seeded workload served by a small decoder that really runs on this
// GPU (tensor-parallel ranks, a paged KV cache), batched statically or continuously. Step
// through the scheduler's iterations and watch the block pool fill, requests grow, finish and
// be preempted; the charts and the table set the two policies side by side on the same
// workload. All state lives in the URL hash; every failure shows in the alert. The shell
// (common/page-shell.ts) does the device, the URL, the alert and the keys.
import GUI from 'lil-gui';
import { describeAdapter } from '../../gpu/device.ts';
import { viteShaders } from '../../gpu/shaders-vite.ts';
import { continuousBatchingGain } from '../../model/kv-cache.ts';
import { formatSeconds } from '../../model/units.ts';
import { byId as $, PageShell } from '../common/page-shell.ts';
import { mountKvCharts } from './charts.ts';
import { drawPool, type PoolDrawing } from './draw.ts';
import { frameCaption } from './frames.ts';
import { requestViews } from './requests.ts';
import { ASSUMED_MODEL, type KvProgress, type KvRun, runKv } from './run.ts';
import {
  DEFAULT_KV_STATE,
  KV_LIMITS,
  KV_PRESETS,
  type KvState,
  parseKvState,
  type Scheduler,
  sameKvRun,
  serializeKvState,
} from './state.ts';

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : '–');
const sec = (x: number) => (Number.isFinite(x) ? formatSeconds(x) : '–');

/** Mounts the KV-cache page on its HTML (demos/kv-cache/index.html). */
export function mountKvCachePage(): void {
  const [statusLine, caption, counter, note] = [
    $('status'),
    $('caption'),
    $('counter'),
    $('preset-note'),
  ];
  const poolCanvas = $<HTMLCanvasElement>('pool');
  const results = $<HTMLTableElement>('results');
  const compareButton = $<HTMLButtonElement>('compare');
  const compareStatus = $('compare-status');
  const charts = mountKvCharts($('charts'));

  let shown: KvRun | undefined;
  /** Runs of the workload now shown, by scheduler (the comparison table reads both). */
  let runs = new Map<Scheduler, KvRun>();

  const gpu = () => {
    const { ctx, cache, timer } = shell.gpu;
    return ctx && cache && timer ? { ctx, shaders: viteShaders, cache, timer } : undefined;
  };

  /** "Serving 16 requests (continuous batching) on the GPU… iteration 23, 9 of 16 finished". */
  function progressText(s: KvState, p?: KvProgress): string {
    const how = gpu() ? 'on the GPU' : 'by the model';
    const head = `Serving ${s.requests} requests (${s.scheduler} batching) ${how}…`;
    return p
      ? `${head} iteration ${p.iterations}, ${p.finished} of ${p.requests} finished, t = ${p.t.toFixed(2)} s`
      : head;
  }

  /** The run of `s` (served now, or kept from before if the same workload and scheduler). */
  async function runOf(s: KvState, say: (progress: string) => void): Promise<KvRun> {
    const kept = runs.get(s.scheduler);
    if (kept && sameKvRun(kept.state, s)) return kept;
    say(progressText(s));
    const run = await runKv(s, gpu(), (p) => say(progressText(s, p)));
    const other = [...runs.values()].find((r) => sameKvRun(r.state, s, ['scheduler']));
    runs = new Map(other ? [[other.state.scheduler, other]] : []);
    runs.set(s.scheduler, run);
    return run;
  }

  /** Serves `next` and shows it; on failure the alert says why and the last run stays. */
  async function load(next: KvState): Promise<void> {
    const current = shell.begin();
    try {
      const run = await runOf(next, (text) => {
        if (current()) statusLine.textContent = text;
      });
      if (!current()) return;
      shell.state = shell.fitStep(next, run.frames.length);
      shown = run;
      charts.update(run.frames, run.result.requests, next.blocks);
      renderResults();
      const { ctx } = shell.gpu;
      const where = run.measured
        ? `measured on ${ctx ? describeAdapter(ctx.adapter) : 'this GPU'}`
        : `modelled, not measured (${formatSeconds(ASSUMED_MODEL.step_latency_s)} a pass + bytes at 1 GB/s, assumed)`;
      statusLine.textContent = `${run.metrics.requests_completed} of ${run.requests.length} requests served in ${run.frames.length} iterations, ${where}`;
      note.textContent = KV_PRESETS.find((p) => p.name === next.preset)?.description ?? '';
      shell.clearAlert();
      shell.writeUrl();
      gui.sync(shell.state);
      drawFrame(shell.state.step);
    } catch (e) {
      if (!current()) return;
      shell.showAlert(`${(e as Error).message}\n\nThe last good run is still shown.`);
      statusLine.textContent = 'The last run failed; see the alert.';
      if (shown) {
        // The state is undefined while no load has succeeded (and then nothing is shown).
        shell.state = { ...shown.state, step: shell.state?.step ?? 0 };
        gui.sync(shell.state);
        shell.writeUrl();
      }
    } finally {
      if (current()) document.body.dataset.ready = 'true';
      document.body.dataset.loads = String(Number(document.body.dataset.loads ?? 0) + 1);
    }
  }

  let drawing: PoolDrawing = {};
  function drawFrame(step: number): void {
    if (!shown) return;
    const frames = shown.frames;
    drawing = drawPool(
      poolCanvas,
      frames[step - 1],
      frames[step - 2],
      shown.state.blocks,
      requestViews(frames, shown.requests, step - 1),
    );
    caption.textContent =
      step === 0
        ? frameCaption(frames, -1, shown.state.blocks)
        : frameCaption(frames, step - 1, shown.state.blocks);
    counter.textContent = `iteration ${step} of ${frames.length}`;
    charts.mark(frames[step - 1]?.t);
    document.body.dataset.step = String(step);
  }

  function renderResults(): void {
    const order: Scheduler[] = ['static', 'continuous'];
    const have = order.filter((s) => runs.has(s));
    const rows: [string, (r: KvRun) => string][] = [
      ['requests completed', (r) => `${r.metrics.requests_completed} of ${r.requests.length}`],
      ['output tokens/s', (r) => r.metrics.tokens_per_s.toFixed(1)],
      ['TTFT p50 / p99', (r) => `${sec(r.metrics.ttft_s.p50)} / ${sec(r.metrics.ttft_s.p99)}`],
      ['TPOT p50 / p99', (r) => `${sec(r.metrics.tpot_s.p50)} / ${sec(r.metrics.tpot_s.p99)}`],
      ['end to end p50 / p99', (r) => `${sec(r.metrics.e2e_s.p50)} / ${sec(r.metrics.e2e_s.p99)}`],
      ['KV utilization, paged', (r) => pct(r.metrics.kv_utilization)],
      ['KV utilization, contiguous reservation', (r) => pct(r.metrics.kv_utilization_contiguous)],
      ['preemptions', (r) => String(r.metrics.preemptions)],
      ['time', (r) => (r.measured ? 'measured on this GPU' : 'modelled, not measured')],
    ];
    const head = `<tr><th scope="col"></th>${have.map((s) => `<th scope="col">${s}</th>`).join('')}</tr>`;
    const body = rows
      .map(
        ([label, f]) =>
          `<tr><th scope="row">${label}</th>${have.map((s) => `<td>${f(runs.get(s) as KvRun)}</td>`).join('')}</tr>`,
      )
      .join('');
    const a = runs.get('static');
    const b = runs.get('continuous');
    const gain =
      a && b
        ? `<tr><th scope="row">continuous / static tokens/s</th><td colspan="2">${(b.metrics.tokens_per_s / a.metrics.tokens_per_s).toFixed(2)}x measured; the textbook's 1 + CV^2/2 = ${continuousBatchingGain(b.state.cv).toFixed(2)}x at CV ${b.state.cv}</td></tr>`
        : '';
    results.innerHTML = head + body + gain;
    compareButton.textContent =
      a && b
        ? 'Both schedulers ran'
        : `Run ${shell.state.scheduler === 'static' ? 'continuous' : 'static'} batching too`;
    compareButton.disabled = Boolean(a && b);
  }

  async function compare(): Promise<void> {
    const other: Scheduler = shell.state.scheduler === 'static' ? 'continuous' : 'static';
    compareButton.disabled = true; // one run of the other scheduler at a time
    try {
      await runOf({ ...shell.state, scheduler: other }, (text) => {
        compareStatus.textContent = text;
      });
      compareStatus.textContent = '';
      renderResults();
    } catch (e) {
      compareStatus.textContent = '';
      shell.showAlert((e as Error).message);
      renderResults();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Controls

  function makeGui() {
    const gui = new GUI({ container: $('gui'), title: 'serving', width: 340 });
    const model: Record<string, unknown> = {};
    const controllers = new Map<string, ReturnType<GUI['add']>>();
    const change = (key: keyof KvState, value: unknown) => {
      const { state } = shell;
      const next = { ...state, [key]: value, step: 0 } as KvState;
      void load(
        key === 'preset'
          ? (KV_PRESETS.find((p) => p.name === value)?.state ?? next)
          : { ...next, preset: key === 'speed' ? state.preset : '' },
      );
    };
    const add = (key: keyof KvState, ...args: unknown[]) => {
      // lil-gui picks the control from the value's type: start from the default state's.
      model[key] = DEFAULT_KV_STATE[key];
      const c = (gui.add as (...a: unknown[]) => ReturnType<GUI['add']>)(model, key, ...args);
      c.onFinishChange((v: unknown) => change(key, v));
      controllers.set(key, c);
      return c;
    };
    add(
      'preset',
      KV_PRESETS.map((p) => p.name),
    );
    add('scheduler', ['continuous', 'static']);
    const range = (key: keyof typeof KV_LIMITS, step = 1) =>
      add(key, KV_LIMITS[key][0], KV_LIMITS[key][1], step);
    range('requests');
    range('rate', 1).name('rate (requests/s, 0: all at once)');
    range('cv', 0.1).name('output length CV');
    range('promptMean').name('prompt mean (tokens)');
    range('outputMean').name('output mean (tokens)');
    range('blocks').name('KV blocks');
    range('blockTokens').name('tokens a block');
    range('maxBatch').name('batch slots');
    add('ranks', [1, 2]).name('tensor-parallel ranks');
    range('seed');
    range('speed', 0.1).name('speed (iterations/s)');
    return {
      panel: gui,
      sync(s: KvState) {
        for (const [key, c] of controllers) {
          model[key] = s[key as keyof KvState];
          c.updateDisplay();
        }
      },
    };
  }
  let gui: ReturnType<typeof makeGui>;

  const shell = new PageShell<KvState>({
    url: { parse: parseKvState, serialize: serializeKvState },
    urlAlert: (errors) => errors.join('\n'),
    // A run takes seconds: the link's alert shows at once, and again once the run is shown.
    urlAlertFirst: true,
    noGpu:
      "The workload is still served below, by the textbook's memory-bound model with assumed numbers: modelled, not measured.",
    lost: 'The run shown is the last good one; reload to measure again. Until then, new runs are modelled, not measured.',
    timer: true,
    mount: () => {
      gui = makeGui();
      compareButton.addEventListener('click', () => void compare());
    },
    load,
    steps: () => shown?.frames.length ?? 0,
    panel: () => gui?.panel,
    draw: drawFrame,
    // An iteration has no flight to show: a short pause so play reads as motion.
    animate: (_, backward) =>
      new Promise((done) =>
        setTimeout(done, backward ? 0 : 120 / Math.max(0.1, shell.state.speed)),
      ),
    resize: () => drawFrame(shell.state?.step ?? 0),
  });

  // For tests and recordings: read-only views of what the page shows.
  Object.assign(window, {
    fleetlabKv: {
      run: () =>
        shown && {
          scheduler: shown.state.scheduler,
          requests: shown.requests.length,
          completed: shown.metrics.requests_completed,
          frames: shown.frames.length,
          preemptions: shown.metrics.preemptions,
          measured: shown.measured,
          tokens: shown.result.requests.reduce((n, r) => n + r.output_tokens, 0),
        },
      schedulersRun: () => [...runs.keys()],
      /** The step (1-based) of the shown run's first preemption; 0 when none. */
      firstPreemption: () => (shown?.frames.findIndex((f) => f.preempted.length > 0) ?? -1) + 1,
      compare,
      /** Where the pool's strip legend was last drawn (CSS px of the canvas). */
      legend: () => drawing.legend,
      simulateDeviceLoss: () => shell.simulateDeviceLoss(),
    },
  });

  shell.start();
}
