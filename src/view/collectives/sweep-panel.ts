// The page's sweep: on demand, every algorithm of the chosen collective measured on this GPU
// over a few sizes, beside two model families: this GPU's calibrated model (what the measured
// points should follow) and the chosen fabric's (where ring and tree cross, as on a real fleet).

import { fabricPreset } from '../../fabric/fabric-presets.ts';
import type { GpuContext } from '../../gpu/device.ts';
import type { PipelineCache } from '../../gpu/pipelines.ts';
import { viteShaders } from '../../gpu/shaders-vite.ts';
import type { ExecutorModel } from '../../model/executor-model.ts';
import { ALGORITHMS } from '../../plans/registry.ts';
import type { ViewState } from './state.ts';
import { crossover, logSizes, type MeasuredPoint, measureSweep, modelCurves } from './sweep.ts';
import { mountSweepPlot, type SweepPlot } from './sweep-plot.ts';

export interface SweepContext {
  readonly state: ViewState;
  readonly session: { ctx?: GpuContext; cache?: PipelineCache; model?: ExecutorModel };
}

// Measured sizes stay small (SwiftShader runs every algorithm at each); the models span a
// range wide enough to show where ring and tree cross on a real fabric.
const MEASURED = logSizes(4096, 256 * 1024, 1);
const MODELLED = logSizes(1024, 256 * 2 ** 20, 1);

export function mountSweep(
  container: HTMLElement,
  button: HTMLButtonElement,
  status: HTMLElement,
  current: () => SweepContext,
): void {
  let plot: SweepPlot | undefined;
  let running = false;

  async function run(): Promise<void> {
    if (running) return;
    running = true;
    button.disabled = true;
    const { state, session } = current();
    const algorithms = Object.keys(ALGORITHMS[state.collective]);
    const base = {
      collective: state.collective,
      algorithms,
      ranks: state.ranks,
      dtype: state.dtype,
      sizes: MODELLED,
    };
    try {
      const preset = fabricPreset(state.fabric);
      const link = {
        alpha_s: state.alpha ?? preset.link.alpha_s,
        beta_Bps: state.beta ?? preset.link.beta_Bps,
      };
      status.textContent = `Pricing ${algorithms.length} algorithms on ${preset.name}…`;
      const spec = { ...base, fabric: preset.build(state.ranks, {}, link) };
      const fabricCurves = modelCurves(spec).map((c) => ({
        ...c,
        label: `${preset.name} model ${c.algorithm}`,
      }));
      const local = session.model?.available
        ? modelCurves({ ...base, sizes: MEASURED, executor: session.model })
        : [];
      const cross = crossover({
        collective: state.collective,
        ranks: state.ranks,
        link,
        curves: fabricCurves,
      });
      const measured: MeasuredPoint[] = [];
      const draw = () => {
        const data = {
          measured,
          models: [...local, ...fabricCurves],
          crossover: cross,
          metric: 'busbw' as const,
          title: `${state.collective}, ${state.ranks} ranks: measured on this GPU, modelled on this GPU and on ${preset.name}`,
          algorithms,
        };
        if (plot) plot.update(data);
        else plot = mountSweepPlot(container, data);
      };
      draw();
      const { ctx, cache } = session;
      if (!ctx) {
        status.textContent = `No WebGPU: the curves are the models; nothing is measured.`;
        return;
      }
      await measureSweep(
        ctx,
        viteShaders,
        { ...base, sizes: MEASURED, redop: state.redop, iters: 1, ...(cache ? { cache } : {}) },
        (point, index, total) => {
          measured.push(point);
          status.textContent = `Measured ${index + 1} of ${total} points (${point.algorithm}, ${point.bytes} B)`;
          draw();
        },
      );
      const wrong = measured.reduce((n, p) => n + Math.max(0, p.wrong), 0);
      status.textContent = `${measured.length} points measured on this GPU; ${wrong === 0 ? 'every result equal to the CPU interpreter' : `${wrong} wrong values`}.`;
    } catch (e) {
      status.textContent = `The sweep stopped: ${(e as Error).message}`;
    } finally {
      running = false;
      button.disabled = false;
    }
  }

  button.addEventListener('click', () => void run());
}
