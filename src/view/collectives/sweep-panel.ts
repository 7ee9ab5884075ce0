// The page's sweep: on demand, every algorithm of the chosen collective measured on this GPU
// over a few sizes, beside two model families: this GPU's calibrated model (what the measured
// points should follow) and the chosen fabric's (where ring and tree cross, as on a real fleet).
// Beside them, results loaded from files (a "Load results…" button, or files dropped on the
// sweep): a real cluster's nccl-tests run (`fleetlab import nccl-tests --json`) or a `fleetlab
// bench --json`, each a series of markers with a × to take it off again.

import { fabricPreset } from '../../fabric/fabric-presets.ts';
import type { GpuContext } from '../../gpu/device.ts';
import type { PipelineCache } from '../../gpu/pipelines.ts';
import { viteShaders } from '../../gpu/shaders-vite.ts';
import type { ExecutorModel } from '../../model/executor-model.ts';
import { ALGORITHMS } from '../../plans/registry.ts';
import type { ViewState } from './state.ts';
import {
  type Crossover,
  crossover,
  logSizes,
  type MeasuredPoint,
  type ModelCurve,
  measureSweep,
  modelCurves,
} from './sweep.ts';
import { type LoadedRun, ResultsFileError, readResultsFile } from './sweep-import.ts';
import { LOADED_COLOURS, mountSweepPlot, type SweepPlot } from './sweep-plot.ts';

export interface SweepContext {
  readonly state: ViewState;
  readonly session: { ctx?: GpuContext; cache?: PipelineCache; model?: ExecutorModel };
  /** The page's alert (common/alert.ts): where a results file that cannot be read is named. */
  readonly alert?: (message: string) => void;
}

// Measured sizes stay small (SwiftShader runs every algorithm at each); the models span a
// range wide enough to show where ring and tree cross on a real fabric.
const MEASURED = logSizes(4096, 256 * 1024, 1);
const MODELLED = logSizes(1024, 256 * 2 ** 20, 1);

/** What the plot shows of the page's own sweep: the models of one state, and its measurements. */
interface SweepView {
  readonly collective: string;
  readonly models: readonly ModelCurve[];
  readonly crossover: Crossover;
  readonly title: string;
  /** The algorithms with a measured series; none until the sweep is measured. */
  readonly algorithms: readonly string[];
  readonly measured: MeasuredPoint[];
}

/** The model curves and crossover of `state` (pricing only: no GPU). */
function modelView(
  { state, session }: SweepContext,
  algorithms: readonly string[],
  measuring: boolean,
): SweepView {
  const all = Object.keys(ALGORITHMS[state.collective]);
  const base = {
    collective: state.collective,
    algorithms: all,
    ranks: state.ranks,
    dtype: state.dtype,
  };
  const preset = fabricPreset(state.fabric);
  const link = {
    alpha_s: state.alpha ?? preset.link.alpha_s,
    beta_Bps: state.beta ?? preset.link.beta_Bps,
  };
  const fabricCurves = modelCurves({
    ...base,
    sizes: MODELLED,
    fabric: preset.build(state.ranks, {}, link),
  }).map((c) => ({ ...c, label: `${preset.name} model ${c.algorithm}` }));
  const local = session.model?.available
    ? modelCurves({ ...base, sizes: MEASURED, executor: session.model })
    : [];
  return {
    collective: state.collective,
    models: [...local, ...fabricCurves],
    crossover: crossover({
      collective: state.collective,
      ranks: state.ranks,
      link,
      curves: fabricCurves,
    }),
    title: measuring
      ? `${state.collective}, ${state.ranks} ranks: measured on this GPU, modelled on this GPU and on ${preset.name}`
      : `${state.collective}, ${state.ranks} ranks: modelled on this GPU and on ${preset.name}, beside loaded results`,
    algorithms,
    measured: [],
  };
}

/** A loaded run's legend name: a run of another collective than the plot's says so. */
function loadedLabel(run: LoadedRun, collective: string): string {
  if (run.collective === collective) return run.label;
  return run.collective === 'unknown'
    ? `${run.label} (collective unknown)`
    : `${run.label} (not ${collective})`;
}

export function mountSweep(
  container: HTMLElement,
  button: HTMLButtonElement,
  status: HTMLElement,
  current: () => SweepContext,
): void {
  let plot: SweepPlot | undefined;
  let view: SweepView | undefined;
  let running = false;
  const loaded: { run: LoadedRun; colour: string }[] = [];
  let nextColour = 0;

  // The loader: a button that opens a hidden file input (one look with "Measure the sweep"),
  // and the list of loaded runs under the plot, each with its colour and a remove button.
  const input = document.createElement('input');
  input.type = 'file';
  input.id = 'sweep-load';
  input.accept = '.json,application/json';
  input.multiple = true;
  input.hidden = true;
  const load = document.createElement('button');
  load.type = 'button';
  load.id = 'sweep-load-button';
  load.textContent = 'Load results…';
  load.title =
    'the JSON of fleetlab import nccl-tests --json or fleetlab bench --json (or drop files on the sweep)';
  button.after(' ', load, input);
  const list = document.createElement('ul');
  list.id = 'sweep-loaded';
  list.setAttribute('aria-label', 'loaded results');
  container.after(list);

  const draw = () => {
    if (!view) return;
    const data = {
      measured: view.measured,
      models: view.models,
      crossover: view.crossover,
      metric: 'busbw' as const,
      title: view.title,
      algorithms: view.algorithms,
      loaded: loaded.map(({ run, colour }) => ({
        label: loadedLabel(run, view?.collective ?? run.collective),
        colour,
        points: run.points,
      })),
    };
    if (plot) plot.update(data);
    else plot = mountSweepPlot(container, data);
  };

  const renderList = () => {
    list.replaceChildren(
      ...loaded.map((entry) => {
        const label = loadedLabel(entry.run, view?.collective ?? entry.run.collective);
        const item = document.createElement('li');
        item.dataset.label = label;
        item.dataset.points = String(entry.run.points.length);
        const swatch = document.createElement('span');
        swatch.className = 'swatch';
        swatch.style.borderColor = entry.colour;
        const text = document.createElement('span');
        const n = entry.run.skipped;
        const skipped =
          n > 0 ? `; ${n} row${n === 1 ? '' : 's'} not drawn (size 0, or no time or busbw)` : '';
        text.textContent = `${label}: ${entry.run.points.length} points${skipped}`;
        const remove = document.createElement('button');
        remove.type = 'button';
        remove.className = 'remove';
        remove.textContent = '×';
        remove.setAttribute('aria-label', `remove ${label}`);
        remove.addEventListener('click', () => {
          const at = loaded.indexOf(entry);
          if (at >= 0) loaded.splice(at, 1);
          draw();
          renderList();
        });
        item.append(swatch, text, remove);
        return item;
      }),
    );
  };

  /** Reads each file; a file that cannot be read is named in the page's alert, the rest load. */
  async function loadFiles(files: readonly File[]): Promise<void> {
    const problems: string[] = [];
    let added = 0;
    for (const file of files) {
      try {
        const runs = readResultsFile(file.name, await file.text());
        for (const run of runs) {
          // The same file again replaces its runs rather than drawing them twice.
          const same = loaded.find((e) => e.run.label === run.label);
          if (same) same.run = run;
          else {
            const colour = LOADED_COLOURS[nextColour++ % LOADED_COLOURS.length] as string;
            loaded.push({ run, colour });
          }
          added++;
        }
      } catch (e) {
        problems.push(
          e instanceof ResultsFileError
            ? e.message
            : `${file.name}: cannot be read (${(e as Error).message})`,
        );
      }
    }
    if (added > 0) {
      try {
        // Nothing measured yet: the curves of the page's scene, so the runs stand beside a model.
        view ??= modelView(current(), [], false);
        draw();
      } catch (e) {
        problems.push(`The loaded results cannot be drawn: ${(e as Error).message}`);
      }
      renderList();
    }
    if (problems.length > 0) {
      const message = `Results that cannot be shown on the sweep plot:\n${problems.join('\n')}`;
      const alert = current().alert;
      if (alert) alert(message);
      else status.textContent = message;
    }
  }

  load.addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    const files = [...(input.files ?? [])];
    // Cleared, so choosing the same file again (after editing it) fires change again.
    input.value = '';
    void loadFiles(files);
  });

  // Files dropped anywhere on the sweep's section, plot included.
  const zone = container.closest('section') ?? container;
  const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes('Files') ?? false;
  zone.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    zone.classList.add('sweep-drop');
  });
  zone.addEventListener('dragleave', (e) => {
    // Leaving a child for another fires too: only leaving the section ends the highlight.
    if (!zone.contains(e.relatedTarget as Node | null)) zone.classList.remove('sweep-drop');
  });
  zone.addEventListener('drop', (e) => {
    zone.classList.remove('sweep-drop');
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length === 0) return;
    e.preventDefault();
    void loadFiles(files);
  });

  async function run(): Promise<void> {
    if (running) return;
    running = true;
    button.disabled = true;
    const context = current();
    const { state, session } = context;
    const algorithms = Object.keys(ALGORITHMS[state.collective]);
    try {
      status.textContent = `Pricing ${algorithms.length} algorithms on ${fabricPreset(state.fabric).name}…`;
      const next = modelView(context, algorithms, true);
      view = next;
      draw();
      renderList(); // the plot's collective may have changed: the labels follow
      const { ctx, cache } = session;
      if (!ctx) {
        status.textContent = `No WebGPU: the curves are the models; nothing is measured.`;
        return;
      }
      await measureSweep(
        ctx,
        viteShaders,
        {
          collective: state.collective,
          algorithms,
          ranks: state.ranks,
          dtype: state.dtype,
          sizes: MEASURED,
          redop: state.redop,
          iters: 1,
          ...(cache ? { cache } : {}),
        },
        (point, index, total) => {
          next.measured.push(point);
          status.textContent = `Measured ${index + 1} of ${total} points (${point.algorithm}, ${point.bytes} B)`;
          draw();
        },
      );
      const wrong = next.measured.reduce((n, p) => n + Math.max(0, p.wrong), 0);
      status.textContent = `${next.measured.length} points measured on this GPU; ${wrong === 0 ? 'every result equal to the CPU interpreter' : `${wrong} wrong values`}.`;
    } catch (e) {
      status.textContent = `The sweep stopped: ${(e as Error).message}`;
    } finally {
      running = false;
      button.disabled = false;
    }
  }

  button.addEventListener('click', () => void run());
}
