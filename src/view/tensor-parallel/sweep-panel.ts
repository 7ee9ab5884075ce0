// The page's scaling sweep (DOM): on demand, the layer measured at N = 1, 2, 4, 8 ranks on this
// GPU (src/run/tp-sweep.ts), drawn against N beside the Fleet Law, with a table of the rows.

import { fabricPreset } from '../../fabric/fabric-presets.ts';
import type { GpuContext } from '../../gpu/device.ts';
import type { PipelineCache } from '../../gpu/pipelines.ts';
import type { ShaderLibrary } from '../../gpu/shader-library.ts';
import type { GpuTimer } from '../../gpu/timer.ts';
import type { TensorParallelSpec } from '../../plans/tensor-parallel.ts';
import { tpSweep } from '../../run/tp-sweep.ts';
import { renderScalingRows } from './panels.ts';
import { scalingData, sweepRanks } from './scaling.ts';
import { mountScalingPlot, type ScalingPlot } from './scaling-plot.ts';
import type { TpState } from './state.ts';

export interface SweepSession {
  readonly ctx?: GpuContext;
  readonly cache?: PipelineCache;
  readonly timer?: GpuTimer;
}

export interface SweepElements {
  readonly button: HTMLButtonElement;
  readonly status: HTMLElement;
  readonly plot: HTMLElement;
  readonly rows: HTMLTableElement;
}

/** The layer of `s` as a spec at `ranks`. */
export const specOf = (s: TpState, ranks = s.ranks): TensorParallelSpec => ({
  layout: s.layout,
  ranks,
  m: s.m,
  k: s.k,
  n: s.n,
  comm: s.comm,
  algorithm: s.algorithm,
});

/** Wires the button: each click measures the current state's layer over N. */
export function mountScalingSweep(
  el: SweepElements,
  shaders: ShaderLibrary,
  current: () => { state: TpState; session: SweepSession },
): void {
  let plot: ScalingPlot | undefined;
  let running = false;
  const run = async () => {
    const { state: s, session } = current();
    const { ctx, cache, timer } = session;
    if (!ctx || !cache || !timer) {
      el.status.textContent =
        'Not measured: the sweep needs WebGPU (T_1 must be measured on a GPU).';
      return;
    }
    if (running) return;
    running = el.button.disabled = true;
    const ranks = sweepRanks(s);
    const preset = fabricPreset(s.fabric);
    try {
      el.status.textContent = `Measuring N = ${ranks.join(', ')} on this GPU…`;
      const { rows } = await tpSweep(
        ctx,
        shaders,
        cache,
        timer,
        ranks.map((r) => specOf(s, r)),
        (r) => preset.build(r),
        { alpha: preset.link.alpha_s, beta: preset.link.beta_Bps },
        { reps: 3 },
        (done, of) => {
          el.status.textContent = `Measured ${done} of ${of} rank counts (N = ${ranks.slice(0, done).join(', ')})…`;
        },
      );
      const data = scalingData(rows);
      if (plot) plot.update(data);
      else plot = mountScalingPlot(el.plot, data);
      renderScalingRows(el.rows, rows);
      const wrong = rows.reduce((n, r) => n + r.wrong, 0);
      el.status.textContent = `${rows.length} rank counts measured on this GPU, ${s.layout} ${s.m}x${s.k}x${s.n} on ${preset.name}; ${wrong === 0 ? 'every result within tolerance' : `${wrong} wrong values`}.`;
    } catch (e) {
      el.status.textContent = `The sweep stopped: ${(e as Error).message}`;
    } finally {
      running = el.button.disabled = false;
    }
  };
  el.button.addEventListener('click', () => void run());
}
