// The training benchmark: data- and pipeline-parallel steps of the MLP run on this GPU, checked
// against the f64 reference, and priced on a fabric of devices as fast as this GPU.
//   - the pipeline bubble: gpipe, 1f1b and interleaved (V = 2) over p = 2, 4 stages and
//     m = 1, 2, 4, 8 micro-batches: the emulated idle share of the stages' compute beside
//     (p - 1) / (p - 1 + m V), and the peak in-flight activations per stage;
//   - overlap against bucket size: data parallel on 4 ranks, buckets of 1, 2, 4 layers and the
//     whole model, on NVSwitch and 100 GbE: the share of the AllReduce hidden under the
//     backward pass, the emulated step with and without overlap, the layer-overlap model.
//   - ZeRO 0-3 on 4 ranks: measured and emulated step, comm a rank, bytes a rank counted from
//     the plan beside the formula.
// Writes bench/reports/training.{json,md}.
//   npx tsx bench/training.ts [--quick] [--out bench/reports/training]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cliContext } from '../src/cli/public.ts';
import { fabricPreset } from '../src/fabric/fabric-presets.ts';
import { describeAdapter } from '../src/gpu/device.ts';
import { PipelineCache } from '../src/gpu/pipelines.ts';
import { nodeShaders } from '../src/gpu/shaders-node.ts';
import { detectTimestampRegime, GpuTimer } from '../src/gpu/timer.ts';
import { zeroBytesPerRank } from '../src/model/training.ts';
import { memoryPerRank } from '../src/plans/training/memory.ts';
import { paramCount } from '../src/plans/training/mlp.ts';
import { measureTraining, type TrainingSpec } from '../src/run/training.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/reports/training' },
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
const nvswitch = fabricPreset('nvswitch');

interface BubbleRow {
  schedule: string;
  stages: number;
  microbatches: number;
  virtual: number;
  ok: boolean;
  measured_s: number;
  emulated_s: number;
  bubble_emulated: number;
  bubble_analytic: number;
  peak_activations: readonly number[];
}
const bubbles: BubbleRow[] = [];
const MODEL = { layers: 8, d: 32, batch: 16 };
for (const stages of quick ? [2] : [2, 4]) {
  for (const microbatches of quick ? [1, 4] : [1, 2, 4, 8]) {
    for (const [schedule, virtual] of [
      ['gpipe', 1],
      ['1f1b', 1],
      ['interleaved', 2],
    ] as const) {
      if (schedule === 'interleaved' && microbatches % stages !== 0) continue;
      const spec: TrainingSpec = { mode: 'pp', ...MODEL, stages, microbatches, schedule, virtual };
      const fabric = { fabric: 'nvswitch', built: nvswitch.build(stages), link: nvswitch.link };
      const m = await measureTraining(run, spec, fabric, { reps: REPS, timer });
      const b = m.bubble_fraction as NonNullable<typeof m.bubble_fraction>;
      const info = m.graph.info.kind === 'training' ? m.graph.info.training : undefined;
      bubbles.push({
        schedule,
        stages,
        microbatches,
        virtual,
        ok: m.check.ok,
        measured_s: m.measured_s,
        emulated_s: m.emulated.time_s,
        bubble_emulated: b.emulated,
        bubble_analytic: b.analytic,
        peak_activations: info?.pipeline?.peak_activations ?? [],
      });
      log(
        `pp ${schedule} p=${stages} m=${microbatches} V=${virtual}: bubble ${b.emulated.toFixed(3)} vs ${b.analytic.toFixed(3)}`,
      );
    }
  }
}

interface OverlapRow {
  fabric: string;
  bucket_layers: number;
  bucket_bytes: number;
  buckets: number;
  ok: boolean;
  emulated_s: number;
  emulated_no_overlap_s: number;
  overlap_fraction: number;
  analytic_s: number | null;
  analytic_no_overlap_s: number | null;
}
const overlaps: OverlapRow[] = [];
const DP = { layers: 8, d: 64, batch: 32, ranks: 4 };
const layerBytes = 4 * (DP.d * DP.d + DP.d);
for (const name of ['nvswitch', '100gbe']) {
  const preset = fabricPreset(name);
  for (const bucketLayers of quick ? [1, DP.layers] : [1, 2, 4, DP.layers]) {
    const spec: TrainingSpec = { mode: 'dp', ...DP, bucketBytes: bucketLayers * layerBytes };
    const fabric = { fabric: name, built: preset.build(DP.ranks), link: preset.link };
    const m = await measureTraining(run, spec, fabric, { reps: REPS, timer });
    const info = m.graph.info.kind === 'training' ? m.graph.info.training : undefined;
    overlaps.push({
      fabric: name,
      bucket_layers: bucketLayers,
      bucket_bytes: bucketLayers * layerBytes,
      buckets: info?.buckets.length ?? 0,
      ok: m.check.ok,
      emulated_s: m.emulated.time_s,
      emulated_no_overlap_s: m.emulated_no_overlap_s ?? Number.NaN,
      overlap_fraction: m.emulated.overlap_fraction,
      analytic_s: m.analytic?.time_s ?? null,
      analytic_no_overlap_s: m.analytic?.no_overlap_s ?? null,
    });
    log(
      `dp ${name} bucket ${bucketLayers} layers: overlap ${m.emulated.overlap_fraction.toFixed(3)}`,
    );
  }
}
interface ZeroRow {
  zero: number;
  ok: boolean;
  measured_s: number;
  emulated_s: number;
  comm_s: number;
  overlap_fraction: number;
  bytes_per_rank: number;
  formula_bytes: number;
}
const zeros: ZeroRow[] = [];
const ZERO = { layers: 4, d: 64, batch: 32, ranks: 4 };
for (const zero of [0, 1, 2, 3] as const) {
  const spec: TrainingSpec = { mode: 'dp', ...ZERO, zero, bucketBytes: layerBytes };
  const fabric = { fabric: 'nvswitch', built: nvswitch.build(ZERO.ranks), link: nvswitch.link };
  const m = await measureTraining(run, spec, fabric, { reps: REPS, timer });
  const info = m.graph.info.kind === 'training' ? m.graph.info.training : undefined;
  const memory = info ? memoryPerRank(info) : [];
  zeros.push({
    zero,
    ok: m.check.ok,
    measured_s: m.measured_s,
    emulated_s: m.emulated.time_s,
    comm_s: m.emulated.comm_s / ZERO.ranks,
    overlap_fraction: m.emulated.overlap_fraction,
    bytes_per_rank: Math.max(...memory.map((x) => x.total)),
    formula_bytes: zeroBytesPerRank(paramCount(ZERO), ZERO.ranks, zero, 8, { weight: 4, grad: 4 })
      .total,
  });
  log(`zero ${zero}: emulated ${(m.emulated.time_s * 1e3).toFixed(2)} ms`);
}
timer.destroy();
ctx.device.destroy();

const ms = (s: number | null) => (s === null || !Number.isFinite(s) ? '-' : (s * 1e3).toFixed(2));
const lines = [
  '# Training parallelism on this GPU',
  '',
  `Adapter: ${describeAdapter(ctx.adapter)}; timestamps: ${regime.note}; ${REPS} repetitions; ${((Date.now() - started) / 1e3).toFixed(0)} s.`,
  `Every step checked against the f64 reference within its derived bound: ${[...bubbles, ...overlaps, ...zeros].every((r) => r.ok) ? 'all within' : 'SOME OUTSIDE'}.`,
  '',
  `## Pipeline bubble (L = ${MODEL.layers}, d = ${MODEL.d}, B = ${MODEL.batch}, NVSwitch)`,
  '',
  '| schedule | p | m | V | measured (ms) | emulated (ms) | bubble emulated | (p-1)/(p-1+mV) | peak activations per stage |',
  '| --- | --: | --: | --: | --: | --: | --: | --: | --- |',
  ...bubbles.map(
    (r) =>
      `| ${r.schedule} | ${r.stages} | ${r.microbatches} | ${r.virtual} | ${ms(r.measured_s)} | ${ms(r.emulated_s)} | ${r.bubble_emulated.toFixed(3)} | ${r.bubble_analytic.toFixed(3)} | ${r.peak_activations.join(', ')} |`,
  ),
  '',
  `## Data parallel: overlap against bucket size (N = ${DP.ranks}, L = ${DP.layers}, d = ${DP.d}, B = ${DP.batch}, a layer ${layerBytes} B)`,
  '',
  '| fabric | bucket (layers) | buckets | emulated (ms) | no overlap (ms) | overlap fraction | model (ms) | model, no overlap (ms) |',
  '| --- | --: | --: | --: | --: | --: | --: | --: |',
  ...overlaps.map(
    (r) =>
      `| ${r.fabric} | ${r.bucket_layers} | ${r.buckets} | ${ms(r.emulated_s)} | ${ms(r.emulated_no_overlap_s)} | ${r.overlap_fraction.toFixed(3)} | ${ms(r.analytic_s)} | ${ms(r.analytic_no_overlap_s)} |`,
  ),
  '',
  `## ZeRO (N = ${ZERO.ranks}, L = ${ZERO.layers}, d = ${ZERO.d}, B = ${ZERO.batch}, a bucket a layer, NVSwitch; f32 SGD: 8 B a parameter, no optimizer state)`,
  '',
  '| stage | measured (ms) | emulated (ms) | comm a rank (ms) | overlap | bytes a rank (plan) | formula |',
  '| --: | --: | --: | --: | --: | --: | --: |',
  ...zeros.map(
    (r) =>
      `| ${r.zero} | ${ms(r.measured_s)} | ${ms(r.emulated_s)} | ${ms(r.comm_s)} | ${r.overlap_fraction.toFixed(3)} | ${r.bytes_per_rank} B | ${r.formula_bytes} B |`,
  ),
  '',
];
writeFileSync(`${values.out}.md`, `${lines.join('\n')}\n`);
writeFileSync(
  `${values.out}.json`,
  `${JSON.stringify({ adapter: ctx.adapter, timestamps: regime, reps: REPS, bubbles, overlaps, zeros }, null, 2)}\n`,
);
process.stdout.write(`${lines.join('\n')}\n`);
const failed = [...bubbles, ...overlaps, ...zeros].some((r) => !r.ok);
process.stdout.write('', () => process.exit(failed ? 1 : 0));
