// `fleetlab bench <collective>`: nccl-tests' table for collectives that really run on this GPU,
// one table per algorithm, with the calibrated model's time and its error beside every
// measurement, and (with --fabric) the same plan priced on a real fabric.
import { readFileSync, writeFileSync } from 'node:fs';
import { type Calibration, calibrate, sweepSizes } from '../exec/calibration/microbench.ts';
import { GpuExecutor } from '../exec/executor/steps.ts';
import { fabricPreset } from '../fabric/fabric-presets.ts';
import { describeAdapter, type GpuContext } from '../gpu/device.ts';
import { PipelineCache } from '../gpu/pipelines.ts';
import { nodeShaders } from '../gpu/shaders-node.ts';
import { detectTimestampRegime, GpuTimer } from '../gpu/timer.ts';
import { fitLocalCalibration, type LocalCalibration } from '../model/calibration.ts';
import { describeExecutorModel, localExecutorModel } from '../model/executor-model.ts';
import { formatBandwidth, formatSeconds } from '../model/units.ts';
import { type BenchArgs, parseBenchArgs } from './bench-args.ts';
import { runBenchMatmul } from './bench-matmul.ts';
import {
  type BenchResult,
  type BenchSetup,
  benchPlanOf,
  countOf,
  measureSize,
  type PlacementResult,
} from './bench-measure.ts';
import { type BenchTraceRun, benchTrace } from './bench-trace.ts';
import { cliContext } from './node-context.ts';
import { writeTraceFile } from './run-flags.ts';
import { Table } from './table.ts';

export { BENCH_USAGE } from './bench-args.ts';

/** The calibration the model is fitted from: --calibration FILE, or measured now. */
async function modelCalibration(
  ctx: GpuContext,
  args: BenchArgs,
): Promise<{ calibration: Calibration; source: string }> {
  if (args.calibration !== undefined) {
    const calibration = JSON.parse(readFileSync(args.calibration, 'utf8')) as Calibration;
    const on = calibration.adapter ? ` (measured on ${describeAdapter(calibration.adapter)})` : '';
    return { calibration, source: `from ${args.calibration}${on}, not measured here` };
  }
  // Span the chunk sizes the plans' ops will move, from a step's smallest op to a whole
  // message, over at least 4 sizes so the fit has a slope to find.
  const minBytes = Math.max(4096, Math.floor(args.minBytes / args.ranks));
  const maxBytes = Math.max(minBytes * 64, Math.min(args.maxBytes, 64 * 2 ** 20));
  return {
    calibration: await calibrate(ctx, nodeShaders, { minBytes, maxBytes, stepFactor: 4 }),
    source: `measured here, now, on this GPU (${minBytes} B to ${maxBytes} B, steps of 4x, and plans through the executor)`,
  };
}

/** Checks the largest size fits the device before any GPU work: the executor names the limit. */
function checkFits(ctx: GpuContext, args: BenchArgs): void {
  for (const algorithm of args.algorithms) {
    const plan = benchPlanOf(args, algorithm, countOf(args, args.maxBytes), false);
    if (plan) new GpuExecutor(ctx, nodeShaders, plan);
  }
}

/** The alpha-beta-gamma fit the JSON has always carried, or why it could not be made. */
function localFit(calibration: Calibration): LocalCalibration | { readonly unavailable: string } {
  try {
    return fitLocalCalibration(calibration);
  } catch (e) {
    return { unavailable: (e as Error).message };
  }
}

const fixed = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : '-');

export async function runBench(argv: string[], out: (line: string) => void): Promise<number> {
  if (argv[0] === 'matmul') return runBenchMatmul(argv.slice(1), out);
  const args = parseBenchArgs(argv);
  const fabric = args.fabric === undefined ? undefined : fabricPreset(args.fabric);
  fabric?.build(args.ranks); // a fabric that cannot hold these ranks fails before any GPU work
  const ctx = await cliContext();
  try {
    checkFits(ctx, args);
    const regime = await detectTimestampRegime(ctx);
    const { calibration, source } = await modelCalibration(ctx, args);
    // Never a throw: a calibration too noisy to fit leaves the model columns saying why.
    const model = localExecutorModel(calibration);
    // Each emulated device reduces as fast as this GPU's reduce kernel does (the preset's own
    // rate where this GPU's could not be fitted).
    const emulatedFabric = fabric?.build(
      args.ranks,
      model.available && model.coefficients.reduce_s_per_B > 0
        ? { gamma_s_per_B: model.coefficients.reduce_s_per_B }
        : {},
    );
    out(
      `# fleetlab bench ${args.collective}: ${args.ranks} ranks on one GPU, ${args.dtype} ${args.redop}`,
    );
    if (args.collective === 'alltoallv') {
      out(
        `# counts      every rank sends 'count' elements, to rank j a share 1/(j+1)^${args.skew} of them (--skew ${args.skew}); no in-place form: N/A`,
      );
    }
    out(`# adapter     ${describeAdapter(ctx.adapter)}`);
    out(`# timestamps  ${regime.note}`);
    out(`# calibration ${source}`);
    out(`# model       ${describeExecutorModel(model)}`);
    out(
      `# time        mean GPU time of one call over ${args.iters} iters (as nccl-tests), warmup ${args.warmup}, check ${args.check ? 1 : 0}`,
    );
    out(
      '# median      median GPU time of one call: what model and err compare with (robust to the odd slow iteration)',
    );
    out('# err         (model - median) / median');
    if (fabric && emulatedFabric) {
      const reduce =
        model.available && model.coefficients.reduce_s_per_B > 0
          ? `this GPU's reduce kernel, ${formatBandwidth(1 / model.coefficients.reduce_s_per_B)}`
          : `the preset's own rate (this GPU's could not be fitted)`;
      out(
        `# emulated    ${args.ranks} devices as fast as this GPU, reducing at ${reduce}, the plan's transfers priced on ${fabric.name} (${fabric.title}) by the event-driven pricer`,
      );
      out(
        `# analytic    the closed form of the algorithm on ${fabric.name}'s bottleneck link: alpha ${formatSeconds(fabric.link.alpha_s)}, beta ${formatBandwidth(fabric.link.beta_Bps)} (no kernel time)`,
      );
    }
    out('#');
    const timer = new GpuTimer(ctx);
    const setup: BenchSetup = {
      ctx,
      cache: new PipelineCache(ctx),
      timer,
      model,
      ...(fabric && emulatedFabric
        ? { emulated: { fabric: fabric.name, built: emulatedFabric, link: fabric.link } }
        : {}),
    };
    const results: BenchResult[] = [];
    // --trace: each algorithm's out-of-place run at the largest size (the last of the sweep).
    const traced: BenchTraceRun[] = [];
    let wrongTotal = 0;
    try {
      for (const algorithm of args.algorithms) {
        let last: BenchTraceRun | undefined;
        const keep =
          args.trace === undefined
            ? undefined
            : (run: BenchTraceRun['run'], inPlace: boolean) => {
                if (!inPlace) last = { algorithm, run };
              };
        const table = benchTable(Boolean(fabric));
        out(`# ${args.collective} ${algorithm}`);
        const group = fabric ? 9 : 7;
        out(
          table.labels([
            [5, 'out-of-place'],
            [5 + group, 'in-place'],
          ]),
        );
        for (const line of table.header()) out(line);
        for (const size of sweepSizes({
          minBytes: args.minBytes,
          maxBytes: args.maxBytes,
          stepFactor: args.stepFactor,
        })) {
          const result = await measureSize(setup, args, algorithm, size, keep);
          wrongTotal +=
            Math.max(0, result.out_of_place.nwrong) + Math.max(0, result.in_place?.nwrong ?? 0);
          results.push(result);
          out(
            table.row([
              String(result.size),
              String(result.count),
              args.dtype,
              args.redop,
              String(result.root),
              ...cells(result.out_of_place, args.check, Boolean(fabric)),
              ...cells(result.in_place, args.check, Boolean(fabric)),
            ]),
          );
        }
        if (last) traced.push(last);
        out('#');
      }
    } finally {
      timer.destroy();
    }
    if (args.trace !== undefined) {
      const largest = results.reduce((max, r) => Math.max(max, r.size), 0);
      writeTraceFile(
        args.trace,
        benchTrace(
          traced,
          { collective: args.collective, ranks: args.ranks, iters: args.iters, bytes: largest },
          setup.emulated?.built,
        ),
      );
    }
    const busbws = results
      .flatMap((r) => [r.out_of_place.bus_bw, r.in_place?.bus_bw ?? Number.NaN])
      .filter(Number.isFinite);
    const avgBusBw = busbws.reduce((a, b) => a + b, 0) / Math.max(1, busbws.length);
    out(`# Out of bounds values : ${wrongTotal} ${wrongTotal === 0 ? 'OK' : 'FAILED'}`);
    out(`# Avg bus bandwidth    : ${avgBusBw.toFixed(6)} GB/s`);
    out(
      `# Model error          : ${model.available ? modelErrorSummary(results) : describeExecutorModel(model)}`,
    );
    if (args.json !== undefined) {
      const json = {
        tool: 'fleetlab bench',
        date: new Date().toISOString(),
        adapter: ctx.adapter,
        timestamp: regime,
        collective: args.collective,
        ranks: args.ranks,
        iters: args.iters,
        warmup_iters: args.warmup,
        // The alpha-beta-gamma fit as before (or why it failed), and the model now used.
        model_calibration: { ...localFit(calibration), executor_model: model },
        results,
        out_of_bounds: wrongTotal,
        avg_bus_bw: avgBusBw,
      };
      const text = `${JSON.stringify(json, null, 2)}\n`;
      if (args.json === '-') process.stdout.write(text);
      else writeFileSync(args.json, text);
    }
    if (wrongTotal > 0) {
      process.stderr.write(
        `fleetlab: ${wrongTotal} wrong values: the GPU disagrees with the CPU interpreter\n`,
      );
      return 1;
    }
    if (args.minBusBw !== undefined && avgBusBw * 1e9 < args.minBusBw) {
      process.stderr.write(
        `fleetlab: average bus bandwidth ${avgBusBw.toFixed(3)} GB/s is below --min-busbw ${(args.minBusBw / 1e9).toFixed(3)} GB/s\n`,
      );
      return 1;
    }
    return 0;
  } finally {
    ctx.device.destroy();
  }
}

function benchTable(withFabric: boolean): Table {
  const group = [
    { title: 'time', unit: '(us)' },
    { title: 'algbw', unit: '(GB/s)', width: 7 },
    { title: 'busbw', unit: '(GB/s)', width: 7 },
    { title: '#wrong', unit: '', width: 6 },
    { title: 'median', unit: '(us)' },
    { title: 'model', unit: '(us)' },
    { title: 'err', unit: '(%)', width: 6 },
    ...(withFabric
      ? [
          { title: 'emulated', unit: '(us)' },
          { title: 'analytic', unit: '(us)' },
        ]
      : []),
  ];
  return new Table([
    { title: 'size', unit: '(B)', width: 12 },
    { title: 'count', unit: '(elements)', width: 12 },
    { title: 'type', unit: '', width: 6 },
    { title: 'redop', unit: '', width: 5 },
    { title: 'root', unit: '', width: 4 },
    ...group,
    ...group,
  ]);
}

function cells(p: PlacementResult | undefined, checked: boolean, withFabric: boolean): string[] {
  // No in-place form (alltoallv): every column N/A, as nccl-tests prints what it did not run.
  if (!p) return Array.from({ length: withFabric ? 9 : 7 }, () => 'N/A');
  return [
    fixed(p.time, 2),
    fixed(p.alg_bw, 3),
    fixed(p.bus_bw, 3),
    checked ? String(p.nwrong) : 'N/A',
    fixed(p.median_time, 2),
    fixed(p.model.time, 2),
    fixed(100 * p.model_error, 1),
    ...(withFabric
      ? [
          fixed(p.emulated?.time ?? Number.NaN, 2),
          fixed(p.emulated?.analytic_time ?? Number.NaN, 2),
        ]
      : []),
  ];
}

/** Median and worst |model error| over sizes >= 256 KiB, where fixed costs no longer dominate. */
export function modelErrorSummary(results: readonly BenchResult[]): string {
  const errors = results
    .filter((r) => r.size >= 256 * 1024)
    .flatMap((r) => [r.out_of_place.model_error, r.in_place?.model_error ?? Number.NaN])
    .filter(Number.isFinite)
    .map(Math.abs)
    .sort((a, b) => a - b);
  if (errors.length === 0) return 'no sizes >= 256 KiB';
  const median = errors[Math.floor((errors.length - 1) / 2)] as number;
  const worst = errors[errors.length - 1] as number;
  return `median ${(100 * median).toFixed(1)} %, worst ${(100 * worst).toFixed(1)} % (sizes >= 256 KiB)`;
}
