// The KV-cache playground: a seeded workload served by a small decoder that really runs on this
// GPU (tensor-parallel ranks, a paged KV cache), batched statically or continuously. Step
// through the scheduler's iterations and watch the block pool fill, requests grow, finish and
// be preempted; the charts and the table set the two policies side by side on the same
// workload. All state lives in the URL hash; every failure shows in the alert.
import GUI from 'lil-gui';
import { acquireDevice, describeAdapter, type GpuContext } from '../../src/gpu/device.ts';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { browserProvider } from '../../src/gpu/provider.ts';
import { viteShaders } from '../../src/gpu/shaders-vite.ts';
import { GpuTimer } from '../../src/gpu/timer.ts';
import { continuousBatchingGain } from '../../src/model/kv-cache.ts';
import { formatSeconds } from '../../src/model/units.ts';
import { pageAlert } from '../../src/view/common/alert.ts';
import { bindTransport, Transport } from '../../src/view/common/transport.ts';
import { mountKvCharts } from '../../src/view/kv-cache/charts.ts';
import { drawPool } from '../../src/view/kv-cache/draw.ts';
import { frameCaption } from '../../src/view/kv-cache/frames.ts';
import { requestViews } from '../../src/view/kv-cache/requests.ts';
import { ASSUMED_MODEL, type KvProgress, type KvRun, runKv } from '../../src/view/kv-cache/run.ts';
import {
  DEFAULT_KV_STATE,
  KV_LIMITS,
  KV_PRESETS,
  type KvState,
  parseKvState,
  type Scheduler,
  sameKvRun,
  serializeKvState,
} from '../../src/view/kv-cache/state.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const [alertBox, statusLine, caption, counter, note] = [
  $('alert'),
  $('status'),
  $('caption'),
  $('counter'),
  $('preset-note'),
];
const playButton = $<HTMLButtonElement>('play');
const poolCanvas = $<HTMLCanvasElement>('pool');
const results = $<HTMLTableElement>('results');
const compareButton = $<HTMLButtonElement>('compare');
const compareStatus = $('compare-status');
const charts = mountKvCharts($('charts'));

interface Session {
  ctx?: GpuContext;
  cache?: PipelineCache;
  timer?: GpuTimer;
  /** Why nothing is measured, shown for as long as the page lives. */
  standing?: string;
}
const session: Session = {};
let state: KvState;
let shown: KvRun | undefined;
/** Runs of the workload now shown, by scheduler (the comparison table reads both). */
let runs = new Map<Scheduler, KvRun>();
let generation = 0;

const { show: showAlert, clear: clearAlert } = pageAlert(alertBox, () => session.standing);

const gpu = () =>
  session.ctx && session.cache && session.timer
    ? { ctx: session.ctx, shaders: viteShaders, cache: session.cache, timer: session.timer }
    : undefined;

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
  const mine = ++generation;
  transport.stop();
  try {
    const run = await runOf(next, (text) => {
      if (mine === generation) statusLine.textContent = text;
    });
    if (mine !== generation) return;
    state = { ...next, step: Math.min(next.step, run.frames.length) };
    shown = run;
    charts.update(run.frames, run.result.requests, next.blocks);
    renderResults();
    const where = run.measured
      ? `measured on ${session.ctx ? describeAdapter(session.ctx.adapter) : 'this GPU'}`
      : `modelled, not measured (${formatSeconds(ASSUMED_MODEL.step_latency_s)} a pass + bytes at 1 GB/s, assumed)`;
    statusLine.textContent = `${run.metrics.requests_completed} of ${run.requests.length} requests served in ${run.frames.length} iterations, ${where}`;
    note.textContent = KV_PRESETS.find((p) => p.name === next.preset)?.description ?? '';
    clearAlert();
    writeUrl();
    gui.sync(state);
    drawFrame(state.step);
  } catch (e) {
    if (mine !== generation) return;
    showAlert(`${(e as Error).message}\n\nThe last good run is still shown.`);
    statusLine.textContent = 'The last run failed; see the alert.';
    if (shown) {
      state = { ...shown.state, step: state?.step ?? 0 };
      gui.sync(state);
      writeUrl();
    }
  } finally {
    if (mine === generation) document.body.dataset.ready = 'true';
    document.body.dataset.loads = String(Number(document.body.dataset.loads ?? 0) + 1);
  }
}

function drawFrame(step: number): void {
  if (!shown) return;
  const frames = shown.frames;
  drawPool(
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

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : '–');
const sec = (x: number) => (Number.isFinite(x) ? formatSeconds(x) : '–');

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
      : `Run ${state.scheduler === 'static' ? 'continuous' : 'static'} batching too`;
  compareButton.disabled = Boolean(a && b);
}

async function compare(): Promise<void> {
  const other: Scheduler = state.scheduler === 'static' ? 'continuous' : 'static';
  compareButton.disabled = true; // one run of the other scheduler at a time
  try {
    await runOf({ ...state, scheduler: other }, (text) => {
      compareStatus.textContent = text;
    });
    compareStatus.textContent = '';
    renderResults();
  } catch (e) {
    compareStatus.textContent = '';
    showAlert((e as Error).message);
    renderResults();
  }
}

const transport = new Transport(
  {
    count: () => shown?.frames.length ?? 0,
    current: () => state.step,
    show: (k) => {
      state = { ...state, step: k };
      writeUrl();
      drawFrame(k);
    },
    // An iteration has no flight to show: a short pause so play reads as motion.
    animate: (_, backward) =>
      new Promise((done) => setTimeout(done, backward ? 0 : 120 / Math.max(0.1, state.speed))),
    speed: () => state.speed,
  },
  playButton,
);

let writingUrl = false;
function writeUrl(): void {
  writingUrl = true;
  history.replaceState(null, '', serializeKvState(state));
  writingUrl = false;
}

function fromUrl(): void {
  const parsed = parseKvState(location.hash);
  if (parsed.errors.length > 0) {
    session.standing = undefined;
    showAlert(parsed.errors.join('\n'));
  }
  void load(parsed.state).then(() => {
    if (parsed.errors.length > 0) showAlert(parsed.errors.join('\n'));
  });
}

// ---------------------------------------------------------------------------------------------
// Controls

function makeGui() {
  const gui = new GUI({ container: $('gui'), title: 'serving', width: 340 });
  const model: Record<string, unknown> = {};
  const controllers = new Map<string, ReturnType<GUI['add']>>();
  const change = (key: keyof KvState, value: unknown) => {
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
    sync(s: KvState) {
      for (const [key, c] of controllers) {
        model[key] = s[key as keyof KvState];
        c.updateDisplay();
      }
    },
  };
}
let gui: ReturnType<typeof makeGui>;

/** The device is gone: say so, keep the run, serve later runs with the assumed model. */
function deviceLost(info: { reason: string; message: string }): void {
  session.standing = `The GPU device was lost (${info.reason}): ${info.message}. The run shown is the last good one; reload to measure again. Until then, new runs are modelled, not measured.`;
  showAlert(session.standing);
  session.timer?.destroy();
  [session.ctx, session.cache, session.timer] = [undefined, undefined, undefined];
}

async function start(): Promise<void> {
  gui = makeGui();
  bindTransport(transport, {
    reset: $('reset'),
    back: $('back'),
    forward: $('forward'),
    play: playButton,
  });
  compareButton.addEventListener('click', () => void compare());
  window.addEventListener('hashchange', () => {
    if (!writingUrl) fromUrl();
  });
  window.addEventListener('resize', () => drawFrame(state?.step ?? 0));
  try {
    session.ctx = await acquireDevice({
      provider: browserProvider(navigator, isSecureContext),
      onLost: deviceLost,
    });
    session.cache = new PipelineCache(session.ctx);
    session.timer = new GpuTimer(session.ctx);
  } catch (e) {
    session.standing = `${(e as Error).message}\n\nThe workload is still served below, by the textbook's memory-bound model with assumed numbers: modelled, not measured.`;
    showAlert(session.standing);
  }
  fromUrl();
}

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
    simulateDeviceLoss: () => deviceLost({ reason: 'unknown', message: 'simulated by a test' }),
  },
});

start().catch((e: unknown) => {
  showAlert(`fleetlab could not start this page: ${(e as Error).message}`);
  document.body.dataset.ready = 'true';
});
