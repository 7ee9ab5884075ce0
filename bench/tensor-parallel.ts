// The tensor-parallel suite: the Fleet Law measured on this GPU. Column-parallel (+ AllGather),
// row-parallel (+ AllReduce) and the Megatron MLP (+ AllReduce), each over N = 1, 2, 4, 8 on a
// one-node NVSwitch fabric, and the MLP again on 100 GbE where the communication tax shows.
// Per N: the slowest rank's compute, the communication priced on the fabric, eta and the tax,
// the Fleet Law's analytic eta, the rate of a rank's kernels as a fraction of the FMA peak
// measured in the same run, and the check against the unsharded layer. Writes JSON + Markdown.
//   npx tsx bench/tensor-parallel.ts [--quick] [--out bench/reports/tensor-parallel]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cliContext } from '../src/cli/public.ts';
import { measureFmaPeak } from '../src/exec/kernels/matmul.ts';
import { fabricPreset } from '../src/fabric/fabric-presets.ts';
import { describeAdapter } from '../src/gpu/device.ts';
import { PipelineCache } from '../src/gpu/pipelines.ts';
import { nodeShaders } from '../src/gpu/shaders-node.ts';
import { detectTimestampRegime, GpuTimer } from '../src/gpu/timer.ts';
import type { TensorParallelSpec } from '../src/plans/tensor-parallel.ts';
import { type TpRow, tpSweep } from '../src/run/tp-sweep.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/reports/tensor-parallel' },
  },
});
// A GPT-style block in miniature: m tokens, hidden k, MLP width n = 4k.
const SHAPE = values.quick ? { m: 64, k: 128, n: 512 } : { m: 256, k: 256, n: 1024 };
const REPS = values.quick ? 2 : 3;
const RANKS = [1, 2, 4, 8];
const CASES: { name: string; fabric: string; spec: Omit<TensorParallelSpec, 'ranks'> }[] = [
  {
    name: 'column + allgather',
    fabric: 'nvswitch',
    spec: { layout: 'column', comm: 'allgather', ...SHAPE },
  },
  { name: 'row + allreduce', fabric: 'nvswitch', spec: { layout: 'row', ...SHAPE } },
  { name: 'mlp + allreduce', fabric: 'nvswitch', spec: { layout: 'mlp', ...SHAPE } },
  { name: 'mlp + allreduce', fabric: '100gbe', spec: { layout: 'mlp', ...SHAPE } },
];

const log = (line: string) => process.stderr.write(`${line}\n`);
const ctx = await cliContext();
const started = Date.now();
const timer = new GpuTimer(ctx);
const cache = new PipelineCache(ctx);
const regime = await detectTimestampRegime(ctx);
const peak = await measureFmaPeak(ctx, nodeShaders, cache, timer);
log(`FMA peak ${(peak.flops_per_s / 1e9).toFixed(2)} GFLOP/s`);

const results: { name: string; fabric: string; rows: TpRow[] }[] = [];
for (const c of CASES) {
  const preset = fabricPreset(c.fabric);
  const { rows } = await tpSweep(
    ctx,
    nodeShaders,
    cache,
    timer,
    RANKS.map((ranks) => ({ ...c.spec, ranks })),
    (ranks) => preset.build(ranks),
    { alpha: preset.link.alpha_s, beta: preset.link.beta_Bps },
    { reps: REPS },
    (done, of) => log(`${c.name} on ${c.fabric}: ${done}/${of}`),
  );
  results.push({ name: c.name, fabric: c.fabric, rows });
}
timer.destroy();
ctx.device.destroy();

const wrong = results.reduce((n, r) => n + r.rows.reduce((m, row) => m + row.wrong, 0), 0);
const report = {
  adapter: ctx.adapter,
  timestamps: regime,
  shape: SHAPE,
  reps: REPS,
  fma_peak_flops_per_s: peak.flops_per_s,
  wrong,
  seconds: (Date.now() - started) / 1e3,
  cases: results,
};
writeFileSync(`${values.out}.json`, `${JSON.stringify(report, null, 2)}\n`);

const ms = (s: number) => (s * 1e3).toFixed(3);
const lines = [
  '# Tensor parallelism on one GPU: the Fleet Law measured',
  '',
  `Adapter: ${describeAdapter(ctx.adapter)}; timestamps: ${regime.note}.`,
  `Shape: X ${SHAPE.m} x ${SHAPE.k}, W ${SHAPE.k} x ${SHAPE.n} (MLP: W1 ${SHAPE.k} x ${SHAPE.n}, W2 ${SHAPE.n} x ${SHAPE.k}), f32; medians of ${REPS} runs.`,
  `FMA peak (register-only kernel, same run): ${(peak.flops_per_s / 1e9).toFixed(2)} GFLOP/s.`,
  '',
  "compute: the slowest rank's kernels, each rank timed alone on this GPU (N devices as fast as this one);",
  'comm: the collective priced on the fabric; eta = T_1 / (N T_N), tax = 1 - eta; analytic: T_1 / N + the closed form.',
  '',
];
for (const r of results) {
  lines.push(`## ${r.name} on ${r.fabric}`, '');
  lines.push(
    '| N | compute (ms) | comm (ms) | emulated (ms) | eta | tax | analytic eta | measured, one GPU (ms) | rank GFLOP/s | of FMA peak | #wrong |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const row of r.rows) {
    lines.push(
      `| ${row.ranks} | ${ms(row.compute_s)} | ${ms(row.comm_s)} | ${ms(row.emulated_s)} | ${row.eta_emulated.toFixed(3)} | ${row.tax_emulated.toFixed(3)} | ${row.analytic.eta.toFixed(3)} | ${ms(row.measured_s)} | ${(row.rank_flops_per_s / 1e9).toFixed(3)} | ${(row.rank_flops_per_s / peak.flops_per_s).toFixed(3)} | ${row.wrong} |`,
    );
  }
  lines.push('');
}
lines.push(`Values out of tolerance: ${wrong}. Run time: ${report.seconds.toFixed(0)} s.`);
writeFileSync(`${values.out}.md`, `${lines.join('\n')}\n`);
log(lines.join('\n'));
process.exit(wrong === 0 ? 0 : 1);
