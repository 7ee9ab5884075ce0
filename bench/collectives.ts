// The collectives suite: every collective x algorithm x rank count x size, measured on this GPU
// in one run and set beside the calibrated model. Writes a JSON and a Markdown report:
// busbw vs size, roofline_fraction per size (traffic the GPU read and wrote / time / the
// copyBufferToBuffer bandwidth measured in the same run), model error (median and worst over
// sizes >= 256 KiB), and the headline row: ring AllReduce, 8 ranks x 64 MiB.
//   npx tsx bench/collectives.ts [--quick] [--out bench/reports/collectives]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { BenchArgs } from '../src/cli/public.ts';
import { type BenchResult, cliContext, measureSize } from '../src/cli/public.ts';
import { calibrate, sweepSizes } from '../src/exec/calibration/microbench.ts';
import { describeAdapter } from '../src/gpu/device.ts';
import { PipelineCache } from '../src/gpu/pipelines.ts';
import { nodeShaders } from '../src/gpu/shaders-node.ts';
import { detectTimestampRegime, GpuTimer } from '../src/gpu/timer.ts';
import { fitLocalCalibration, type LocalCalibration } from '../src/model/calibration.ts';
import { describeExecutorModel, localExecutorModel } from '../src/model/executor-model.ts';
import { COLLECTIVES } from '../src/plans/plan.ts';
import { ALGORITHMS } from '../src/plans/registry.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/reports/collectives' },
  },
});
const quick = values.quick;
const RANKS = quick ? [2, 8] : [2, 4, 8, 16];
const SIZES = {
  minBytes: 64 * 1024,
  maxBytes: quick ? 1024 * 1024 : 4 * 1024 * 1024,
  stepFactor: 4,
};
const HEADLINE_BYTES = quick ? 8 * 2 ** 20 : 64 * 2 ** 20;
const ITERS = 5;

const ctx = await cliContext();
const started = Date.now();
const regime = await detectTimestampRegime(ctx);
const calibration = await calibrate(ctx, nodeShaders, {
  minBytes: 4096,
  maxBytes: 64 * 2 ** 20,
  stepFactor: 4,
});
// Never a throw: a calibration too noisy to fit leaves the model columns empty, saying why.
const model = localExecutorModel(calibration);
let fit: LocalCalibration | { readonly unavailable: string };
try {
  fit = fitLocalCalibration(calibration);
} catch (e) {
  fit = { unavailable: (e as Error).message };
}
const cache = new PipelineCache(ctx);
const timer = new GpuTimer(ctx);
const log = (line: string) => process.stderr.write(`${line}\n`);

function argsFor(collective: BenchArgs['collective'], ranks: number, algorithm: string): BenchArgs {
  return {
    collective,
    skew: 0,
    algorithms: [algorithm],
    ranks,
    minBytes: SIZES.minBytes,
    maxBytes: SIZES.maxBytes,
    stepFactor: SIZES.stepFactor,
    iters: ITERS,
    warmup: 1,
    check: true,
    dtype: 'float',
    redop: 'sum',
    root: 0,
  };
}

async function run(args: BenchArgs, algorithm: string, size: number): Promise<BenchResult> {
  const setup = { ctx, cache, timer, model };
  const r = await measureSize(setup, args, algorithm, size);
  log(
    `${args.collective} ${algorithm} ${args.ranks} ranks ${size} B: ${r.out_of_place.time.toFixed(0)} us`,
  );
  return r;
}

// The headline first: it is the largest run, and the one a reader looks for.
const headline = await run(argsFor('allreduce', 8, 'ring'), 'ring', HEADLINE_BYTES);
const results: BenchResult[] = [];
// A row that fails (a size past this device's memory, say) is reported, and the suite goes on.
const failures: { what: string; error: string }[] = [];
for (const collective of COLLECTIVES) {
  for (const algorithm of Object.keys(ALGORITHMS[collective])) {
    for (const ranks of RANKS) {
      for (const size of sweepSizes(SIZES)) {
        try {
          results.push(await run(argsFor(collective, ranks, algorithm), algorithm, size));
        } catch (e) {
          const what = `${collective} ${algorithm} ${ranks} ranks ${size} B`;
          const error = (e as Error).message.split('\n')[0] as string;
          failures.push({ what, error });
          log(`${what}: FAILED ${error}`);
        }
      }
    }
  }
}
timer.destroy();

function errorStats(rows: readonly BenchResult[]) {
  const e = rows
    .filter((r) => r.size >= 256 * 1024)
    .flatMap((r) => [r.out_of_place.model_error, r.in_place?.model_error ?? Number.NaN])
    .filter(Number.isFinite)
    .map(Math.abs)
    .sort((a, b) => a - b);
  return {
    median: e[Math.floor((e.length - 1) / 2)] ?? Number.NaN,
    worst: e[e.length - 1] ?? Number.NaN,
    n: e.length,
  };
}

const all = errorStats([...results, headline]);
const wrong = [...results, headline].reduce(
  (n, r) => n + Math.max(0, r.out_of_place.nwrong) + Math.max(0, r.in_place?.nwrong ?? 0),
  0,
);
const report = {
  tool: 'fleetlab bench suite',
  date: new Date().toISOString(),
  seconds: (Date.now() - started) / 1000,
  adapter: ctx.adapter,
  timestamp: regime,
  calibration: { fit, dispatch_latency_s: calibration.dispatch_latency_s, executor_model: model },
  headline: {
    what: `ring AllReduce, 8 ranks x ${HEADLINE_BYTES} B, out of place`,
    roofline_fraction: headline.roofline_fraction,
    in_place_roofline_fraction: headline.in_place?.roofline_fraction ?? Number.NaN,
    model_error: headline.out_of_place.model_error,
    bus_bw_GBps: headline.out_of_place.bus_bw,
  },
  model_error: all,
  out_of_bounds: wrong,
  failures,
  results: [...results, headline],
};
writeFileSync(`${values.out}.json`, `${JSON.stringify(report, null, 2)}\n`);

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : '-');
const md: string[] = [
  '# fleetlab collectives bench',
  '',
  `${report.date}, ${report.seconds.toFixed(0)} s; adapter ${describeAdapter(ctx.adapter)}; ${regime.note}.`,
  `Model: ${describeExecutorModel(model)}.`,
  `Times are the mean GPU time of one call over ${ITERS} iterations (as nccl-tests); the model's error is against their median; GB/s = 1e9 B/s; every result checked against the CPU interpreter (${wrong} wrong).`,
  '',
  '## Headline: ring AllReduce, 8 ranks',
  '',
  `${HEADLINE_BYTES} B: busbw ${headline.out_of_place.bus_bw.toFixed(3)} GB/s, roofline_fraction ${headline.roofline_fraction.toFixed(3)} out of place, ${(headline.in_place?.roofline_fraction ?? Number.NaN).toFixed(3)} in place (target 0.8); model error ${pct(headline.out_of_place.model_error)}.`,
  '',
  `## Model error over sizes >= 256 KiB: median ${pct(all.median)}, worst ${pct(all.worst)} (${all.n} measurements; targets 10 % and 30 %)`,
  '',
  '| collective | algorithm | ranks | size (B) | busbw (GB/s) | roofline fraction | model (us) | measured (us) | error |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ...results.map(
    (r) =>
      `| ${r.collective} | ${r.algorithm} | ${r.ranks} | ${r.size} | ${r.out_of_place.bus_bw.toFixed(3)} | ${r.roofline_fraction.toFixed(3)} | ${r.model.time.toFixed(0)} | ${r.out_of_place.time.toFixed(0)} | ${pct(r.out_of_place.model_error)} |`,
  ),
  '',
];
writeFileSync(`${values.out}.md`, md.join('\n'));
log(
  `wrote ${values.out}.json and ${values.out}.md; model error median ${pct(all.median)}, worst ${pct(all.worst)}`,
);
ctx.device.destroy();
process.exit(wrong > 0 || failures.length > 0 ? 1 : 0);
