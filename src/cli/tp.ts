// `fleetlab tp`: a tensor-parallel layer on the GPU across simulated ranks, checked against the
// unsharded layer, with the three faces of time and the Fleet Law's efficiency per rank count.
import { writeFileSync } from 'node:fs';
import { fabricPreset } from '../fabric/fabric-presets.ts';
import { describeAdapter } from '../gpu/device.ts';
import { PipelineCache } from '../gpu/pipelines.ts';
import { nodeShaders } from '../gpu/shaders-node.ts';
import { detectTimestampRegime, GpuTimer } from '../gpu/timer.ts';
import { formatBandwidth, formatSeconds } from '../model/units.ts';
import type { LayerInfo } from '../plans/plan.ts';
import type { TpMeasurement } from '../run/tp-measure.ts';
import { type TpRow, tpSweep } from '../run/tp-sweep.ts';
import { cliContext } from './node-context.ts';
import { writeTraceFile } from './run-flags.ts';
import { Table } from './table.ts';
import { parseTpArgs, type TpArgs } from './tp-args.ts';
import { tpTrace } from './tp-trace.ts';

export { TP_USAGE } from './tp-args.ts';

const ms = (s: number) => (Number.isFinite(s) ? (s * 1e3).toFixed(3) : '-');
const fixed = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : '-');

function describeLayer(layer: LayerInfo): string {
  const { m, k, n } = layer;
  const comm = layer.comm ? `${layer.comm.collective} ${layer.comm.algorithm}` : 'no communication';
  if (layer.layout === 'attention') {
    return `attention, causal, X ${m}x${k}, ${n} heads of ${k / n} (Wq, Wk, Wv by columns: whole heads a rank; Wo by rows), then ${comm}`;
  }
  if (layer.layout === 'mlp') {
    return `MLP Y = GeLU(X W1 + b1) W2, X ${m}x${k}, W1 ${k}x${n} by columns, W2 ${n}x${k} by rows, then ${comm}`;
  }
  const split = layer.layout === 'column' ? 'W by columns' : 'X by columns and W by rows';
  return `${layer.layout}-parallel Y = X W, X ${m}x${k}, W ${k}x${n}, ${split}, then ${comm}`;
}

export async function runTp(argv: string[], out: (line: string) => void): Promise<number> {
  const args: TpArgs = parseTpArgs(argv);
  const preset = fabricPreset(args.fabric);
  const ctx = await cliContext();
  const timer = new GpuTimer(ctx);
  try {
    const cache = new PipelineCache(ctx);
    const regime = await detectTimestampRegime(ctx);
    const { rows: table, measured } = await tpSweep(
      ctx,
      nodeShaders,
      cache,
      timer,
      args.specs,
      (ranks) => preset.build(ranks, undefined, args.link),
      { alpha: args.link.alpha_s, beta: args.link.beta_Bps },
      { reps: args.reps, seed: args.seed },
    );
    const last = measured.at(-1) as TpMeasurement;
    const lastLayer = last.plan.layer as LayerInfo;

    out(`# fleetlab tp: ${describeLayer(lastLayer)}`);
    out(`# adapter     ${describeAdapter(ctx.adapter)}`);
    out(`# timestamps  ${regime.note}`);
    out(
      `# fabric      ${preset.name} (${preset.title}); bottleneck link alpha ${formatSeconds(args.link.alpha_s)}, beta ${formatBandwidth(args.link.beta_Bps)}${args.linkOverridden ? ' (overridden)' : ''}`,
    );
    out('# measured    every rank on this one GPU (ranks share its cores and memory)');
    out(
      '# emulated    N devices as fast as this GPU: each rank timed alone, slowest rank per step, collective priced on the fabric',
    );
    out(
      '# analytic    the Fleet Law: T_1 / N + closed form of the collective on the bottleneck link (T_sync = T_overlap = 0)',
    );
    out(
      `# check       the result on every rank against the unsharded layer on the CPU, within the tolerance of src/exec/tensor-parallel/reference.ts`,
    );
    out('#');
    const t = new Table([
      { title: 'ranks', unit: '', width: 5 },
      { title: 'compute', unit: '(ms)' },
      { title: 'comm', unit: '(ms)' },
      { title: 'emulated', unit: '(ms)' },
      { title: 'eta', unit: '', width: 6 },
      { title: 'tax', unit: '', width: 6 },
      { title: 'analytic', unit: '(ms)' },
      { title: 'eta', unit: 'model', width: 6 },
      { title: 'comm', unit: 'model(ms)' },
      { title: 'measured', unit: '(ms)' },
      { title: 'rank rate', unit: '(GFLOP/s)' },
      { title: 'max|err|', unit: '', width: 9 },
      { title: '#wrong', unit: '', width: 6 },
    ]);
    for (const line of t.header()) out(line);
    for (const r of table) {
      out(
        t.row([
          String(r.ranks),
          ms(r.compute_s),
          ms(r.comm_s),
          ms(r.emulated_s),
          fixed(r.eta_emulated, 3),
          fixed(r.tax_emulated, 3),
          ms(r.analytic.step_s),
          fixed(r.analytic.eta, 3),
          ms(r.analytic.comm_s),
          ms(r.measured_s),
          fixed(r.rank_flops_per_s / 1e9, 3),
          r.max_abs_error.toExponential(1),
          String(r.wrong),
        ]),
      );
    }
    const lastRow = table.at(-1) as TpRow;
    out('#');
    out(
      `# per-rank compute at ${lastRow.ranks} ranks (each rank alone, ms): ${lastRow.rank_compute_s.map(ms).join(', ')}`,
    );
    out(`# steps at ${lastRow.ranks} ranks:`);
    const st = new Table([
      { title: 'step', unit: '', width: 4 },
      { title: 'phase', unit: '', width: 16 },
      { title: 'measured', unit: '(ms)' },
      { title: 'emulated', unit: '(ms)' },
      { title: 'compute', unit: '(ms)' },
      { title: 'transfer', unit: '(ms)' },
    ]);
    for (const line of st.header()) out(line);
    lastRow.steps.forEach((s, i) => {
      out(
        st.row([
          String(i),
          s.phase,
          ms(s.measured_s),
          ms(s.emulated_s),
          ms(s.compute_s),
          ms(s.transfer_s),
        ]),
      );
    });
    const wrong = table.reduce((n, r) => n + r.wrong, 0);
    if (args.trace !== undefined) {
      // The largest rank count: the run whose steps are printed above.
      const fabric = preset.build(last.plan.ranks, undefined, args.link);
      writeTraceFile(args.trace, tpTrace(last, fabric, { preset: preset.name }));
    }
    out('#');
    out(`# Out of tolerance values : ${wrong} ${wrong === 0 ? 'OK' : 'FAILED'}`);
    if (args.json !== undefined) {
      const json = JSON.stringify(
        {
          adapter: ctx.adapter,
          timestamps: regime,
          layout: lastLayer.layout,
          m: lastLayer.m,
          k: lastLayer.k,
          n: lastLayer.n,
          comm: lastLayer.comm,
          fabric: preset.name,
          link: args.link,
          reps: args.reps,
          rows: table,
        },
        null,
        2,
      );
      if (args.json === '-') out(json);
      else writeFileSync(args.json, `${json}\n`);
    }
    return wrong === 0 ? 0 : 1;
  } finally {
    timer.destroy();
    ctx.device.destroy();
  }
}
