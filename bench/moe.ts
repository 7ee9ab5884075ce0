// The expert-parallel benchmark: a MoE layer run on this GPU, checked against the f64 layer, and
// priced on NVSwitch and 100 GbE beside the balanced formula, as the router's prior (skew) makes
// experts hot, with room for every copy and at capacity factor 1.25; and the AllToAllv alone,
// pairwise and direct, even and skewed, against its closed form. The ratios (emulated / balanced,
// max / mean) are the figures: each comes from one run on one adapter.
// Writes bench/reports/moe.{json,md}.
//   npx tsx bench/moe.ts [--quick] [--out bench/reports/moe]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cliContext } from '../src/cli/public.ts';
import { fabricPreset } from '../src/fabric/fabric-presets.ts';
import { describeAdapter } from '../src/gpu/device.ts';
import { PipelineCache } from '../src/gpu/pipelines.ts';
import { nodeShaders } from '../src/gpu/shaders-node.ts';
import { detectTimestampRegime, GpuTimer } from '../src/gpu/timer.ts';
import { allToAllv, skewedCounts } from '../src/plans/experts/alltoallv.ts';
import type { MoeSpec } from '../src/plans/experts/moe-layer.ts';
import { runMoe } from '../src/run/moe.ts';
import { runPlan } from '../src/run/run-plan.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/reports/moe' },
  },
});
const quick = values.quick;
const REPS = quick ? 1 : 3;
const log = (line: string) => process.stderr.write(`${line}\n`);
const ctx = await cliContext();
const started = Date.now();
const run = { ctx, shaders: nodeShaders, cache: new PipelineCache(ctx) };
const timer = new GpuTimer(ctx);
const regime = await detectTimestampRegime(ctx);

const LAYER = { ranks: 4, experts: 8, topK: 2, tokens: quick ? 64 : 256, d: 32, hidden: 64 };
interface LayerRow {
  fabric: string;
  skew: number;
  capacity: number;
  ok: boolean;
  dropped: number;
  imbalance_experts: number;
  imbalance_ranks: number;
  measured_s: number;
  emulated_s: number;
  analytic_s: number;
}
const layers: LayerRow[] = [];
for (const fabricName of ['nvswitch', '100gbe']) {
  const preset = fabricPreset(fabricName);
  const fabric = { fabric: fabricName, built: preset.build(LAYER.ranks), link: preset.link };
  for (const skew of quick ? [0, 2] : [0, 1, 2]) {
    for (const capacity of [LAYER.experts, 1.25]) {
      const spec: MoeSpec = { ...LAYER, capacityFactor: capacity, skew, algorithm: 'pairwise' };
      const m = await runMoe(run, spec, fabric, { reps: REPS, timer });
      layers.push({
        fabric: fabricName,
        skew,
        capacity,
        ok: m.check.ok,
        dropped: m.routing.dropped,
        imbalance_experts: m.imbalance.experts,
        imbalance_ranks: m.imbalance.ranks,
        measured_s: m.step_s.measured,
        emulated_s: m.step_s.emulated,
        analytic_s: m.step_s.analytic,
      });
      log(
        `moe ${fabricName} skew ${skew} C ${capacity}: emulated / balanced ${(m.step_s.emulated / m.step_s.analytic).toFixed(2)}`,
      );
    }
  }
}

interface ExchangeRow {
  algorithm: string;
  skew: number;
  wrong: number;
  measured_s: number;
  emulated_s: number;
  analytic_s: number;
}
const exchanges: ExchangeRow[] = [];
const preset = fabricPreset('nvswitch');
const COUNT = quick ? 1 << 14 : 1 << 18;
for (const algorithm of ['pairwise', 'direct']) {
  for (const skew of [0, 1, 2]) {
    const plan = allToAllv(
      { ranks: 8, counts: skewedCounts(8, COUNT, skew), dtype: 'float' },
      algorithm,
    );
    const r = await runPlan(run, plan, {
      iters: REPS,
      warmup: 1,
      check: true,
      emulated: { fabric: preset.name, built: preset.build(8), link: preset.link },
    });
    exchanges.push({
      algorithm,
      skew,
      wrong: r.measured.wrong,
      measured_s: r.measured.median_s,
      emulated_s: r.emulated?.time_s ?? Number.NaN,
      analytic_s: r.analytic_s ?? Number.NaN,
    });
    log(
      `alltoallv ${algorithm} skew ${skew}: emulated ${((r.emulated?.time_s ?? 0) * 1e6).toFixed(1)} us`,
    );
  }
}
timer.destroy();
ctx.device.destroy();

const ms = (s: number) => (Number.isFinite(s) ? (s * 1e3).toFixed(2) : '-');
const us = (s: number) => (Number.isFinite(s) ? (s * 1e6).toFixed(1) : '-');
const lines = [
  '# Expert parallelism on this GPU',
  '',
  `Adapter: ${describeAdapter(ctx.adapter)}; timestamps: ${regime.note}; ${REPS} repetitions; ${((Date.now() - started) / 1e3).toFixed(0)} s.`,
  `Every layer checked against the f64 layer within its derived bound, the routing equal: ${layers.every((r) => r.ok) ? 'all' : 'SOME NOT'}; every AllToAllv bit for bit against the interpreter: ${exchanges.every((r) => r.wrong === 0) ? 'all' : 'SOME NOT'}.`,
  '',
  `## The layer (N = ${LAYER.ranks}, E = ${LAYER.experts}, top-${LAYER.topK}, T = ${LAYER.tokens}, d = ${LAYER.d}, h = ${LAYER.hidden}, pairwise AllToAllv)`,
  '',
  'emulated: both graphs on the fabric, each kernel at its time measured here; balanced: the router, dispatch and combine with every count the mean, every rank the mean share of the experts\u2019 kernel time. emulated / balanced is what the imbalance costs.',
  '',
  '| fabric | skew | capacity factor | dropped | max/mean experts | max/mean ranks | measured (ms) | emulated (ms) | balanced (ms) | emulated / balanced |',
  '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
  ...layers.map(
    (r) =>
      `| ${r.fabric} | ${r.skew} | ${r.capacity} | ${r.dropped} | ${r.imbalance_experts.toFixed(2)} | ${r.imbalance_ranks.toFixed(2)} | ${ms(r.measured_s)} | ${ms(r.emulated_s)} | ${ms(r.analytic_s)} | ${(r.emulated_s / r.analytic_s).toFixed(2)} |`,
  ),
  '',
  `## AllToAllv alone (8 ranks, each sending ${COUNT} floats split by Zipf weights 1/(j+1)^skew, NVSwitch)`,
  '',
  '| algorithm | skew | #wrong | measured median (us) | emulated (us) | closed form (us) | emulated / closed form |',
  '| --- | --: | --: | --: | --: | --: | --: |',
  ...exchanges.map(
    (r) =>
      `| ${r.algorithm} | ${r.skew} | ${r.wrong} | ${us(r.measured_s)} | ${us(r.emulated_s)} | ${us(r.analytic_s)} | ${(r.emulated_s / r.analytic_s).toFixed(2)} |`,
  ),
  '',
];
writeFileSync(`${values.out}.md`, `${lines.join('\n')}\n`);
writeFileSync(
  `${values.out}.json`,
  `${JSON.stringify({ adapter: ctx.adapter, timestamps: regime, reps: REPS, layers, exchanges }, null, 2)}\n`,
);
