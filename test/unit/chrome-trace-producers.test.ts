// The Chrome traces of `bench`, `tp` and `serve` (src/cli/*-trace.ts) built from runs made
// without a GPU (the same records the runner and the serving engine give, times made up): the
// schema every viewer needs (test/unit/trace-schema.ts), every task of the graph as a slice of
// its rank, the measured face as its own process group, and --trace's bad paths exiting 2.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.ts';
import { type BenchTraceRun, benchTrace } from '../../src/cli/bench-trace.ts';
import { traceFileOf } from '../../src/cli/run-flags.ts';
import { passesByIteration, serveTrace } from '../../src/cli/serve-trace.ts';
import { tpTrace } from '../../src/cli/tp-trace.ts';
import { traceOf, trafficBytes } from '../../src/exec/measure/trace.ts';
import type { Fabric } from '../../src/fabric/fabric.ts';
import { switchFabric } from '../../src/fabric/topologies.ts';
import { type ChromeTrace, endToEnd, withMeasured } from '../../src/model/chrome-trace.ts';
import { graphOf } from '../../src/plans/from-steps.ts';
import type { Graph } from '../../src/plans/graph.ts';
import type { Plan } from '../../src/plans/plan.ts';
import { builderFor } from '../../src/plans/registry.ts';
import { tensorParallel } from '../../src/plans/tensor-parallel.ts';
import { emulatedFace, emulatedSteps } from '../../src/run/faces.ts';
import type { TpMeasurement } from '../../src/run/tp-measure.ts';
import type { Batch, Engine } from '../../src/serving/engine.ts';
import type { GpuPass } from '../../src/serving/gpu-engine.ts';
import { runMetrics } from '../../src/serving/metrics.ts';
import { simulate } from '../../src/serving/scheduler.ts';
import type { ServeRun } from '../../src/serving/serve-run.ts';
import { generateWorkload } from '../../src/serving/workload.ts';
import { expectUsageError } from '../cli-run.ts';
import { expectTraceSchema, slicesOf, type TraceJson } from './trace-schema.ts';

const link = { alpha_s: 2e-6, beta_Bps: 50e9 };
/** The trace as the file holds it: through JSON, as a viewer reads it. */
const json = (t: ChromeTrace): TraceJson => JSON.parse(JSON.stringify(t));

/** Every task of `graph` is one X slice on its rank's pid (args.task), labelled `part`. */
function expectEveryTask(trace: TraceJson, graph: Graph, part?: string): void {
  const slices = trace.traceEvents.filter(
    (e) =>
      e.ph === 'X' &&
      (e.cat === 'move' || e.cat === 'kernel') &&
      e.args?.part === part &&
      !e.name.includes('send to'),
  );
  for (const t of graph.tasks) {
    const mine = slices.filter((e) => e.args?.task === t.id);
    expect(mine, `task ${t.id}`).toHaveLength(1);
    expect(mine[0]?.pid).toBe(t.rank);
  }
}

/** A run as runPlan returns it, with made-up step times: 1 us + 0.1 us a step. */
function fakeRun(plan: Plan, fabric?: Fabric): BenchTraceRun['run'] {
  const step_s = plan.steps.map((_, i) => 1e-6 + i * 1e-7);
  const total = step_s.reduce((a, b) => a + b, 0);
  return {
    plan,
    measured: {
      plan,
      time_s: total,
      median_s: total,
      step_s,
      wrong: 0,
      traffic_bytes: trafficBytes(plan),
      trace: traceOf(plan, step_s),
    },
    model: { time_s: Number.NaN, unavailable: 'not calibrated' },
    ...(fabric ? { emulated: { ...emulatedFace(plan, fabric), fabric: 'switch' } } : {}),
  };
}

describe('bench --trace', () => {
  const ranks = 4;
  const fabric = switchFabric(ranks, link);
  const spec = { ranks, count: 2048, dtype: 'float', redop: 'sum', inPlace: false } as const;
  const plans = ['ring', 'tree'].map((a) => ({
    algorithm: a,
    plan: builderFor('allreduce', a)(spec),
  }));
  const about = { collective: 'allreduce', ranks, iters: 3, bytes: 8192 };

  it('with --fabric: every task of each algorithm on its rank, then the measured steps', () => {
    const runs = plans.map(({ algorithm, plan }) => ({ algorithm, run: fakeRun(plan, fabric) }));
    const trace = json(benchTrace(runs, about, fabric));
    const names = expectTraceSchema(trace);
    expect([...names.values()]).toEqual([
      'rank 0',
      'rank 1',
      'rank 2',
      'rank 3',
      'fabric: switch of 4',
      'measured (GPU): all 4 ranks on this one GPU, one timed pass a step (not per rank)',
    ]);
    expect(trace.otherData).toMatchObject({
      command: 'bench',
      face: 'emulated and measured',
      measured_pids: [5],
      algorithms: ['ring', 'tree'],
    });
    for (const { algorithm, run } of runs) {
      expectEveryTask(trace, run.emulated?.graph as Graph, algorithm);
    }
    // The second algorithm's emulated slices start where the first's timeline ended.
    const ringEnd = runs[0]?.run.emulated?.time_s as number;
    const tree = trace.traceEvents.filter(
      (e) => e.ph === 'X' && e.args?.part === 'tree' && e.pid < 4,
    );
    expect(Math.min(...tree.map((e) => e.ts as number))).toBeCloseTo(ringEnd * 1e6, 9);
    // The measured face: a slice per step of each run, end to end, at the steps' medians.
    const measured = slicesOf(trace, /^measured/);
    const steps = runs.flatMap(({ run }) => run.measured.step_s);
    expect(measured).toHaveLength(steps.length);
    let t = 0;
    measured.forEach((e, i) => {
      expect(e.ts).toBeCloseTo(t * 1e6, 9);
      expect(e.dur).toBeCloseTo((steps[i] as number) * 1e6, 9);
      t += steps[i] as number;
    });
    // Each step's args count its ops as the plan has them (a local copy is not a transfer).
    const ring = runs[0]?.run.plan as Plan;
    ring.steps.forEach((step, k) => {
      expect(measured[k]).toMatchObject({ name: `ring: step ${k} (${step.phase})`, cat: 'step' });
      expect(measured[k]?.args).toMatchObject({
        part: 'ring',
        step: k,
        ops: step.ops.length,
        transfers: step.ops.filter((op) => op.src.rank !== op.dst.rank).length,
      });
    });
  });

  it('without --fabric: the measured face alone; a step with no timestamp is left out', () => {
    const run = fakeRun(plans[0]?.plan as Plan);
    const broken = {
      ...run,
      measured: {
        ...run.measured,
        trace: {
          ...run.measured.trace,
          steps: run.measured.trace.steps.map((s, i) =>
            i === 1 ? { ...s, gpu_s: Number.NaN } : s,
          ),
        },
      },
    };
    const trace = json(benchTrace([{ algorithm: 'ring', run: broken }], about));
    expect([...expectTraceSchema(trace).values()]).toEqual([
      'measured (GPU): all 4 ranks on this one GPU, one timed pass a step (not per rank)',
    ]);
    expect(trace.otherData).toMatchObject({ face: 'measured', measured_pids: [0] });
    const steps = slicesOf(trace, /^measured/).map((e) => e.args?.step);
    expect(steps).toEqual(run.plan.steps.map((_, i) => i).filter((i) => i !== 1));
  });
});

describe('tp --trace', () => {
  const plan = tensorParallel({ layout: 'mlp', ranks: 2, m: 8, k: 16, n: 32 });
  const fabric = switchFabric(2, link);
  /** A measurement as measureTensorParallel gives it, kernels at made-up seconds alone. */
  function measurement(): TpMeasurement {
    const kernel_s = plan.steps.map((s, i) =>
      Array.from({ length: plan.ranks }, (_, r) =>
        s.kernels?.some((k) => k.rank === r) ? 1e-5 * (i + 1) * (r + 1) : Number.NaN,
      ),
    );
    const graph = graphOf(plan);
    const face = emulatedFace(graph, fabric, {
      kernelSeconds: (task) => {
        const s = graph.stepOf[task.id] as number;
        const onRank = plan.steps[s]?.kernels?.filter((k) => k.rank === task.rank).length ?? 1;
        return (kernel_s[s]?.[task.rank] as number) / onRank;
      },
    });
    const emulated = emulatedSteps(plan, face);
    const measured_steps_s = plan.steps.map((_, i) => 3e-5 + i * 1e-6);
    return {
      plan,
      max_abs_error: 0,
      wrong: 0,
      measured_steps_s,
      measured_s: measured_steps_s.reduce((a, b) => a + b, 0),
      kernel_s,
      rank_compute_s: [0, 0],
      emulated,
      compute_s: 0,
      comm_s: 0,
      flops: 0,
    };
  }

  it('the emulated ranks with every task, and the measured steps as their own process', () => {
    const m = measurement();
    const trace = json(tpTrace(m, fabric, { preset: 'test' }));
    const names = expectTraceSchema(trace);
    expect(names.get(3)).toBe(
      'measured (GPU): all 2 ranks on this one GPU, one timed pass a step (not per rank)',
    );
    expect(trace.otherData).toMatchObject({
      command: 'tp',
      layout: 'mlp',
      ranks: 2,
      preset: 'test',
    });
    expect(trace.otherData.total_s).toBeCloseTo(m.emulated.total_s, 15);
    expectEveryTask(trace, graphOf(plan));
    const kernels = trace.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'kernel');
    expect(kernels.length).toBeGreaterThan(0);
    const measured = slicesOf(trace, /^measured/);
    expect(measured.map((e) => e.dur)).toEqual(m.measured_steps_s.map((s) => s * 1e6));
    const kernelStep = plan.steps.findIndex((s) => (s.kernels?.length ?? 0) > 0);
    expect(measured[kernelStep]?.args?.rank_alone_s).toEqual(m.kernel_s[kernelStep]);
  });

  it('refuses a measurement whose timeline it cannot price again to the same end', () => {
    const m = measurement();
    const off = { ...m, emulated: { ...m.emulated, total_s: m.emulated.total_s * 2 } };
    expect(() => tpTrace(off, fabric)).toThrow(/priced again ends at/);
  });
});

describe('serve --trace', () => {
  const MAX_ROWS = 4;
  /** The GPU engine's pass bookkeeping (src/serving/gpu-engine.ts) over made-up seconds. */
  function passEngine(): Engine & { passes: GpuPass[] } {
    const passes: GpuPass[] = [];
    const run = async (kind: GpuPass['kind'], batch: Batch) => {
      const rows = batch.flatMap((s) =>
        Array.from({ length: s.tokens }, (_, j) => ({ seq: s.slot, pos: s.context + j })),
      );
      let seconds = 0;
      for (let from = 0; from < rows.length; from += MAX_ROWS) {
        const chunk = rows.slice(from, from + MAX_ROWS);
        // Times that are not sums of one another exactly (0.1 + 0.2 !== 0.3): the matching
        // must follow the engine's own order of addition.
        const gpu_s = 1e-4 * (1 + 0.1 * chunk.length) + 1e-7 * passes.length;
        seconds += gpu_s;
        passes.push({
          kind,
          seqs: new Set(chunk.map((r) => r.seq)).size,
          rows: chunk.length,
          kv_tokens_read: chunk.reduce((n, r) => n + r.pos + 1, 0),
          gpu_s,
        });
      }
      return seconds;
    };
    return { passes, prefill: (b) => run('prefill', b), decode: (b) => run('decode', b) };
  }

  async function served(scheduler: 'static' | 'continuous'): Promise<ServeRun> {
    const requests = generateWorkload({
      requests: 12,
      rate_per_s: 2000,
      promptMean: 6,
      promptCv: 0.5,
      outputMean: 8,
      outputCv: 1,
      seed: 3,
      maxPromptTokens: 12,
      maxOutputTokens: 16,
    });
    const engine = passEngine();
    const run = await simulate(
      scheduler,
      requests,
      { blocks: 8, blockTokens: 4, maxBatch: 6 },
      engine,
    );
    const none = { median_abs: 0, worst_abs: 0, median_signed: 0 };
    return {
      run,
      metrics: runMetrics(run),
      passes: engine.passes,
      model_error: none,
      model_rows_error: none,
    };
  }

  it.each(['static', 'continuous'] as const)(
    '%s: an iteration slice each, every pass inside its iteration, a thread per request',
    async (scheduler) => {
      const s = await served(scheduler);
      if (scheduler === 'continuous') expect(s.run.preemptions).toBeGreaterThan(0);
      // Prefills longer than a pass and decode steps wider than one: several passes apiece.
      expect(s.passes.filter((p) => p.rows === MAX_ROWS).length).toBeGreaterThan(0);
      const trace = json(serveTrace(s, { scheduler, ranks: 2, maxRows: MAX_ROWS }));
      const names = expectTraceSchema(trace);
      expect([...names.values()]).toEqual([
        'serving (measured): 2 tensor-parallel ranks on this one GPU, each pass timed whole (not per rank)',
        'requests: arrival to first token, then to the last',
      ]);
      expect(trace.otherData).toMatchObject({ command: 'serve', face: 'measured', scheduler });
      const its = trace.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'iteration');
      expect(its).toHaveLength(s.run.iterations.length);
      const passes = trace.traceEvents.filter(
        (e) => e.ph === 'X' && (e.cat === 'prefill' || e.cat === 'decode'),
      );
      expect(passes).toHaveLength(s.passes.length);
      passes.forEach((p, i) => {
        expect(p.args).toMatchObject({ ...s.passes[i] });
        const it = its[p.args?.iteration as number];
        const eps = 1e-9;
        expect(p.ts as number).toBeGreaterThanOrEqual((it?.ts as number) - eps);
        expect((p.ts as number) + (p.dur as number)).toBeLessThanOrEqual(
          (it?.ts as number) + (it?.dur as number) + eps,
        );
      });
      const kv = trace.traceEvents.filter((e) => e.ph === 'C' && e.name === 'KV blocks used');
      expect(kv.map((e) => e.args?.blocks)).toEqual(s.run.iterations.map((it) => it.blocks_used));
      const requests = trace.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'request');
      expect(new Set(requests.map((e) => e.args?.id)).size).toBe(12);
      const r0 = s.run.requests.find((r) => r.id === 0);
      const first = requests.find((e) => e.args?.id === 0 && e.name === 'to first token');
      expect(first?.ts).toBeCloseTo((r0?.arrival_s as number) * 1e6, 9);
    },
  );

  it('a pass no iteration accounts for is an error, not a trace that drops it', async () => {
    const s = await served('continuous');
    const extra = { kind: 'decode', seqs: 1, rows: 1, kv_tokens_read: 1, gpu_s: 1e-4 } as const;
    expect(() => passesByIteration(s.run.iterations, [...s.passes, extra], MAX_ROWS)).toThrow(
      /1 GPU passes matched no iteration/,
    );
  });
});

describe('the measured face, alone or after the emulated one', () => {
  it('endToEnd lays lengths one after another and skips what was not timed', () => {
    const { slices, end_s } = endToEnd(
      [
        { name: 'a', seconds: 1 },
        { name: 'b', seconds: Number.NaN },
        { name: 'c', seconds: 2 },
      ],
      10,
    );
    expect(slices.map((s) => [s.name, s.start_s])).toEqual([
      ['a', 10],
      ['c', 11],
    ]);
    expect(end_s).toBe(13);
  });

  it('withMeasured numbers its pids after the trace it extends and names their threads', () => {
    const trace = json(
      withMeasured(undefined, [
        {
          name: 'gpu',
          threads: [
            { name: 'x', slices: [{ name: 's', start_s: 0, seconds: 1e-6 }] },
            { name: 'y', slices: [] },
          ],
          counters: [{ name: 'c', unit: 'n', points: [[0, 3]] }],
        },
      ]),
    );
    expectTraceSchema(trace);
    expect(trace.traceEvents.find((e) => e.ph === 'C')).toMatchObject({ ts: 0, args: { n: 3 } });
    expect(trace.traceEvents.find((e) => e.ph === 'X')).toMatchObject({ ts: 0, dur: 1, tid: 0 });
  });
});

describe('--trace FILE that cannot be written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetlab-trace-bad-'));
  const missing = join(dir, 'no-such-folder', 'trace.json');

  it('traceFileOf: a missing folder or a folder given as the file is one UsageError line', () => {
    expect(() => traceFileOf(missing)).toThrow(UsageError);
    expect(() => traceFileOf(missing)).toThrow(
      `--trace '${missing}': cannot write it (its folder does not exist)`,
    );
    expect(() => traceFileOf(dir)).toThrow(`--trace '${dir}': cannot write it (it is a folder)`);
    expect(traceFileOf(join(dir, 'fine.json'))).toBe(join(dir, 'fine.json'));
    expect(traceFileOf(undefined)).toBeUndefined();
  });

  it.each([
    `bench allreduce -b 1K -e 1K --trace ${missing}`,
    `tp --layout mlp --m 4 --k 8 --n 8 --trace ${missing}`,
    `serve --requests 2 --trace ${missing}`,
  ])('%s exits 2 before any GPU work, naming the path', async (args) => {
    await expectUsageError(
      args,
      new RegExp(`--trace '${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`),
    );
  });
});
