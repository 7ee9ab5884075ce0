// The soak benchmark: many plans run and checked in one process, to show that nothing a run
// allocates outlives it. A page left stepping through presets for a lecture, or a sweep of
// hundreds of sizes, runs this many plans on one device; a GPU buffer or a pipeline kept per run
// would grow until the device or the tab gives out.
//
// Runs `--runs` plans (default 1000) in a fixed cycle on one device and one pipeline cache:
//   - collectives (every collective x algorithm of the registry, 2..8 ranks, small counts)
//     through the runner (`runPlan`: measured, checked bit for bit against the interpreter,
//     priced on NVSwitch);
//   - the same plans as Plan v2 graphs through the graph executor, checked against
//     `interpretGraph`;
//   - tensor-parallel layers (column, row, mlp, attention on 2 and 4 ranks) through
//     `measureTensorParallel`, checked against the unsharded layer within its bound.
// Every `--every` runs (default 100) it reports the GPU buffers alive (created minus destroyed,
// counted by wrapping the device's createBuffer), their bytes, the pipeline cache's size, the
// JS heap after a full GC (run under --expose-gc, as the command below does) and the resident
// set. Gates (exit 1): any wrong result; a live GPU buffer between runs; pipelines still being
// added after the first full cycle; heap at the end above 1.25 x the heap after the first cycle
// (a leak of a few KB a run over 1000 runs shows; GC noise does not).
//   node --expose-gc --import tsx bench/soak.ts [--runs 1000] [--every 100] [--out bench/reports/soak]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cliContext } from '../src/cli/public.ts';
import { GraphExecutor } from '../src/exec/executor/graph.ts';
import { allocateGraphBuffers, interpretGraph } from '../src/exec/interpreter/graph.ts';
import { fill } from '../src/exec/random/fill.ts';
import { fabricPreset } from '../src/fabric/fabric-presets.ts';
import { describeAdapter } from '../src/gpu/device.ts';
import { PipelineCache } from '../src/gpu/pipelines.ts';
import { nodeShaders } from '../src/gpu/shaders-node.ts';
import { GpuTimer } from '../src/gpu/timer.ts';
import type { UnavailableModel } from '../src/model/executor-model.ts';
import { graphOf } from '../src/plans/from-steps.ts';
import { COLLECTIVES, type Plan } from '../src/plans/plan.ts';
import { ALGORITHMS } from '../src/plans/registry.ts';
import type { TensorParallelSpec } from '../src/plans/tensor-parallel.ts';
import { runPlan } from '../src/run/run-plan.ts';
import { measureTensorParallel } from '../src/run/tp-measure.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000' },
    every: { type: 'string', default: '100' },
    out: { type: 'string', default: 'bench/reports/soak' },
  },
});
const whole = (flag: string, text: string, max: number): number => {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > max) {
    process.stderr.write(`soak: --${flag} '${text}' must be a whole number from 1 to ${max}\n`);
    process.exit(2);
  }
  return n;
};
const RUNS = whole('runs', values.runs, 1_000_000);
const EVERY = whole('every', values.every, RUNS);
const log = (line: string) => process.stderr.write(`${line}\n`);
const gc = (globalThis as { gc?: () => void }).gc;

const ctx = await cliContext();
const cache = new PipelineCache(ctx);
const run = { ctx, shaders: nodeShaders, cache };

// Every buffer the device hands out, until it is destroyed. Wrapping the device is the only
// count WebGPU allows (there is no query of live buffers), and it sees every allocation:
// executors, timers, staging buffers, uniforms.
const live = new Map<GPUBuffer, number>();
const device = ctx.device;
const createBuffer = device.createBuffer.bind(device);
device.createBuffer = (descriptor: GPUBufferDescriptor): GPUBuffer => {
  const buffer = createBuffer(descriptor);
  live.set(buffer, descriptor.size);
  const destroy = buffer.destroy.bind(buffer);
  buffer.destroy = () => {
    live.delete(buffer);
    destroy();
  };
  return buffer;
};

const noModel: UnavailableModel = {
  available: false,
  reason: 'the soak measures no model',
  notes: [],
};
const nvswitch = fabricPreset('nvswitch');

type Case =
  | { kind: 'runner'; name: string; plan: Plan }
  | { kind: 'graph'; name: string; plan: Plan }
  | { kind: 'tp'; name: string; spec: TensorParallelSpec };

function cases(): Case[] {
  const out: Case[] = [];
  for (const collective of COLLECTIVES) {
    for (const [algo, build] of Object.entries(ALGORITHMS[collective])) {
      for (const ranks of [2, 3, 4, 8]) {
        const count = 96 * ranks + 7 * (ranks - 1); // uneven chunks on purpose
        let plan: Plan;
        try {
          plan = build({ ranks, count, dtype: 'float', redop: 'sum', inPlace: false });
        } catch {
          continue; // an algorithm that does not take this rank count (rhd's folds, nodes)
        }
        const name = `${collective} ${algo} x${ranks}`;
        out.push({ kind: 'runner', name, plan }, { kind: 'graph', name, plan });
      }
    }
  }
  for (const layout of ['column', 'row', 'mlp', 'attention'] as const) {
    for (const ranks of [2, 4]) {
      out.push({
        kind: 'tp',
        name: `tp ${layout} x${ranks}`,
        spec: { layout, ranks, m: 16, k: 32, n: 32 },
      });
    }
  }
  return out;
}

/** One case run and checked; the count of wrong elements. */
async function runCase(c: Case, seed: number): Promise<number> {
  if (c.kind === 'runner') {
    const ran = await runPlan(run, c.plan, {
      iters: 1,
      warmup: 0,
      check: true,
      seed,
      model: noModel,
      emulated: { fabric: nvswitch.name, built: nvswitch.build(c.plan.ranks), link: nvswitch.link },
    });
    return ran.measured.wrong;
  }
  if (c.kind === 'graph') {
    const graph = graphOf(c.plan);
    const exec = new GraphExecutor(ctx, nodeShaders, graph, undefined, cache);
    try {
      await exec.prepare();
      const input = allocateGraphBuffers(graph);
      input.forEach((own, r) => {
        const send = own.send;
        if (send) send.set(fill(graph.dtype, send.length, seed * 977 + r));
      });
      exec.upload(input);
      await exec.runUntimed();
      const got = await exec.download();
      const want = interpretGraph(graph, input);
      let wrong = 0;
      want.forEach((own, r) => {
        for (const [name, w] of Object.entries(own)) {
          const g = got[r]?.[name];
          const a = new Uint32Array(w.buffer, w.byteOffset, w.length);
          const b = g ? new Uint32Array(g.buffer, g.byteOffset, g.length) : undefined;
          for (let i = 0; i < a.length; i++) if (b?.[i] !== a[i]) wrong++;
        }
      });
      return wrong;
    } finally {
      exec.destroy();
    }
  }
  // A timer per run, as the runner makes one per plan: its query buffers are a run's too.
  const timer = new GpuTimer(ctx);
  try {
    const fabric = nvswitch.build(c.spec.ranks);
    const m = await measureTensorParallel(ctx, nodeShaders, cache, timer, c.spec, fabric, {
      reps: 1,
      seed,
    });
    return m.wrong;
  } finally {
    timer.destroy();
  }
}

interface Checkpoint {
  readonly runs: number;
  readonly live_buffers: number;
  readonly live_buffer_bytes: number;
  readonly pipelines: number;
  readonly heap_bytes: number;
  readonly rss_bytes: number;
  readonly elapsed_s: number;
}

const all = cases();
const started = Date.now();
const checkpoints: Checkpoint[] = [];
const failures: string[] = [];
let wrongTotal = 0;
log(`# fleetlab soak: ${RUNS} runs over a cycle of ${all.length} cases`);
log(`# adapter ${describeAdapter(ctx.adapter)}`);
if (!gc) log('# no --expose-gc: the heap is read without a full GC and is noisier');
log('#   runs  live buffers  live bytes  pipelines     heap (MiB)   RSS (MiB)  elapsed (s)');
for (let i = 1; i <= RUNS; i++) {
  const c = all[(i - 1) % all.length] as Case;
  try {
    const wrong = await runCase(c, i);
    if (wrong !== 0) {
      wrongTotal += wrong;
      failures.push(`run ${i} (${c.name}): ${wrong} wrong`);
    }
  } catch (e) {
    // A run that fails is reported and the soak goes on: the question is what a long session
    // leaves behind, and a failure's leftovers are part of it.
    failures.push(`run ${i} (${c.name}): ${(e as Error).message.split('\n')[0]}`);
  }
  if (i % EVERY === 0 || i === RUNS) {
    gc?.();
    const point: Checkpoint = {
      runs: i,
      live_buffers: live.size,
      live_buffer_bytes: [...live.values()].reduce((a, b) => a + b, 0),
      pipelines: cache.size,
      heap_bytes: process.memoryUsage().heapUsed,
      rss_bytes: process.memoryUsage().rss,
      elapsed_s: (Date.now() - started) / 1000,
    };
    checkpoints.push(point);
    const mib = (b: number) => (b / 2 ** 20).toFixed(1);
    log(
      `${String(i).padStart(8)}${String(point.live_buffers).padStart(14)}${`${point.live_buffer_bytes} B`.padStart(12)}${String(point.pipelines).padStart(11)}${mib(point.heap_bytes).padStart(15)}${mib(point.rss_bytes).padStart(12)}${point.elapsed_s.toFixed(1).padStart(13)}`,
    );
  }
}
// The first checkpoint past one full cycle of cases is the reference: by then every pipeline
// exists and every lazy cache (shaders, reflected layouts) is warm.
const reference = checkpoints.find((p) => p.runs >= all.length) ?? checkpoints[0];
const last = checkpoints[checkpoints.length - 1];
const gates: string[] = [];
if (reference && last) {
  const heapRatio = last.heap_bytes / reference.heap_bytes;
  const rssRatio = last.rss_bytes / reference.rss_bytes;
  log(
    `# heap at ${last.runs} runs / heap at ${reference.runs}: ${heapRatio.toFixed(3)}; RSS: ${rssRatio.toFixed(3)}`,
  );
  if (checkpoints.some((p) => p.live_buffers !== 0))
    gates.push('GPU buffers alive between runs (see live buffers)');
  if (last.pipelines !== reference.pipelines)
    gates.push(
      `pipelines grew from ${reference.pipelines} to ${last.pipelines} after a full cycle`,
    );
  if (heapRatio > 1.25) gates.push(`heap grew ${heapRatio.toFixed(2)}x after a full cycle`);
  if (reference === last)
    log(`# note: ${RUNS} runs are under one cycle of ${all.length}: no growth can be judged`);
  writeFileSync(
    `${values.out}.json`,
    `${JSON.stringify(
      {
        bench: 'soak',
        adapter: describeAdapter(ctx.adapter),
        runs: RUNS,
        cases: all.length,
        wrong: wrongTotal,
        failures,
        checkpoints,
        heap_ratio: heapRatio,
        rss_ratio: rssRatio,
        gc: gc !== undefined,
        gates,
      },
      null,
      2,
    )}\n`,
  );
}
for (const f of failures) log(`# FAILED ${f}`);
for (const g of gates) log(`# GATE ${g}`);
log(
  `# ${RUNS} runs, ${failures.length} failed, ${wrongTotal} wrong elements, ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
ctx.device.destroy();
process.stdout.write('', () => process.exit(failures.length > 0 || gates.length > 0 ? 1 : 0));
