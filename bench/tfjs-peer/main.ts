// fleetlab's tiled and naive matmul beside TF.js's WebGPU matmul, in one page, on one adapter.
// fleetlab: median of GPU timestamp pairs around the dispatch (GpuTimer). TF.js: median of
// tf.time()'s kernelMs (TF.js's own timestamp queries around each of its programs) and, beside
// it, the wall-clock median of `await tf.matMul(a, b).data()` (includes the readback).
// Results go on window.tfjsPeer; body[data-ready] is set when done (or failed).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import { MatmulRecorder } from '../../src/exec/kernels/matmul.ts';
import { median } from '../../src/exec/measure/median.ts';
import { acquireDevice, describeAdapter } from '../../src/gpu/device.ts';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { browserProvider } from '../../src/gpu/provider.ts';
import { viteShaders } from '../../src/gpu/shaders-vite.ts';
import { detectTimestampRegime, GpuTimer } from '../../src/gpu/timer.ts';
import {
  compareMatmul,
  matmulCpu,
  matmulFlops,
  matmulTolerance,
} from '../../src/kernels/matmul.ts';

export interface PeerTiming {
  readonly median_s: number;
  /** Fastest repetition: the figure least disturbed by other load on the (CPU) adapter. */
  readonly min_s: number;
  readonly samples_s: readonly number[];
  readonly reps: number;
  readonly gflops: number;
  readonly method: string;
}

export interface PeerRow {
  readonly n: number;
  readonly flops: number;
  readonly tiled: PeerTiming;
  readonly naive: PeerTiming;
  /** tf.time() kernelMs: TF.js's GPU timestamps summed over its programs. */
  readonly tfjs: PeerTiming;
  /** performance.now() around `await tf.matMul(a, b).data()`: dispatch + readback. */
  readonly tfjs_wall: PeerTiming;
  /** TF.js program(s) that ran, from tf.time()'s profile info. */
  readonly tfjs_programs: string;
  /** max |fleetlab tiled - TF.js| and the values outside the CPU-derived tolerance (-1: unchecked). */
  readonly max_abs_diff: number;
  readonly wrong_vs_cpu: number;
  /** max |result - CPU oracle (f64)| of each (NaN: unchecked). */
  readonly tiled_cpu_err: number;
  readonly tfjs_cpu_err: number;
}

export interface PeerResult {
  readonly ok: boolean;
  readonly error?: string;
  readonly fleetlab_adapter?: string;
  readonly tfjs_adapter?: string;
  readonly tfjs_version?: string;
  readonly tfjs_backend?: string;
  readonly timestamp_note?: string;
  readonly tfjs_timestamp_query?: boolean;
  readonly rows: PeerRow[];
}

type PeerWindow = Window & { tfjsPeer?: PeerResult };

const log = (line: string) => {
  const el = document.getElementById('log');
  if (el) el.textContent += `${line}\n`;
};

function sizesFromUrl(): number[] {
  const text = new URLSearchParams(location.search).get('sizes') ?? '256,512';
  const sizes = text.split(',').map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isSafeInteger(n) || n < 1 || n > 4096)) {
    throw new RangeError(`?sizes=${text}: each must be a whole number from 1 to 4096`);
  }
  return sizes;
}

/** Repetitions for about `budget_s` of work after a first timing, 3 to 10. */
const repsFor = (first_s: number, budget_s = 1.5) =>
  Math.max(3, Math.min(10, Math.ceil(budget_s / Math.max(first_s, 1e-4))));

function timing(flops: number, samples: number[], method: string): PeerTiming {
  const finite = samples.filter((s) => Number.isFinite(s));
  const median_s = median(finite);
  const min_s = Math.min(...finite);
  return {
    median_s,
    min_s,
    samples_s: samples,
    reps: samples.length,
    gflops: flops / median_s / 1e9,
    method,
  };
}

async function run(): Promise<PeerResult> {
  const sizes = sizesFromUrl();
  const ctx = await acquireDevice({
    provider: browserProvider(navigator, isSecureContext),
    label: 'fleetlab (tfjs-peer)',
  });
  const timer = new GpuTimer(ctx);
  const cache = new PipelineCache(ctx);
  const regime = await detectTimestampRegime(ctx);
  log(`fleetlab: ${describeAdapter(ctx.adapter)}; ${regime.note}`);

  let backendOk = false;
  try {
    backendOk = await tf.setBackend('webgpu');
  } catch (e) {
    throw new Error(`TF.js has no WebGPU backend: ${(e as Error).message}`);
  }
  if (!backendOk || tf.getBackend() !== 'webgpu') {
    throw new Error(`TF.js could not initialise its WebGPU backend (backend: ${tf.getBackend()})`);
  }
  await tf.ready();
  const backend = tf.backend() as unknown as {
    adapterInfo?: { vendor?: string; architecture?: string; description?: string };
    supportTimestampQuery?: boolean;
  };
  const info = backend.adapterInfo ?? {};
  const tfjsAdapter =
    [info.vendor, info.architecture, info.description ? `(${info.description})` : '']
      .filter(Boolean)
      .join(' ') || 'unknown';
  const tfTimestamps = Boolean(backend.supportTimestampQuery);
  log(`TF.js ${tf.version_core} webgpu: ${tfjsAdapter}; timestamp-query ${tfTimestamps}`);

  const rows: PeerRow[] = [];
  for (const n of sizes) {
    const shape = { m: n, k: n, n };
    const flops = matmulFlops(shape);
    const a = tf.randomNormal([n, n], 0, 1, 'float32', 1 + n);
    const b = tf.randomNormal([n, n], 0, 1, 'float32', 2 + n);
    // The same inputs for fleetlab, so the results can be compared.
    const aData = (await a.data()) as Float32Array<ArrayBuffer>;
    const bData = (await b.data()) as Float32Array<ArrayBuffer>;

    const ours: Record<'tiled' | 'naive', PeerTiming> = {} as Record<'tiled' | 'naive', PeerTiming>;
    let tiledOut: Float32Array | undefined;
    for (const kernel of ['tiled', 'naive'] as const) {
      const recorder = await MatmulRecorder.create(ctx, viteShaders, cache, shape, kernel);
      try {
        recorder.upload(aData, bData);
        const first = median(await recorder.time(timer, 1)); // also the warm-up
        const samples = await recorder.time(timer, repsFor(first));
        ours[kernel] = timing(
          flops,
          samples,
          timer.mode === 'timestamp-query'
            ? 'GPU timestamps around the dispatch (GpuTimer)'
            : 'wall-clock submit to onSubmittedWorkDone (no timestamp-query)',
        );
        if (kernel === 'tiled') tiledOut = await recorder.download();
      } finally {
        recorder.destroy();
      }
      log(`${n} ${kernel}: ${ours[kernel].gflops.toFixed(3)} GFLOP/s`);
    }

    // TF.js: warm up (compiles its program), then tf.time() for kernelMs, then wall-clock.
    const warm = tf.matMul(a, b);
    const tfOut = (await warm.data()) as Float32Array;
    warm.dispose();
    const kernelSamples: number[] = [];
    let programs = '';
    const t0 = await tf.time(() => tf.dispose(tf.matMul(a, b)));
    const reps = repsFor(Number(t0.kernelMs) / 1e3 || t0.wallMs / 1e3);
    for (let r = 0; r < reps; r++) {
      const t = await tf.time(() => tf.dispose(tf.matMul(a, b)));
      kernelSamples.push(Number(t.kernelMs) / 1e3);
      programs = (t as { getExtraProfileInfo?: () => string }).getExtraProfileInfo?.() ?? '';
    }
    const wallSamples: number[] = [];
    for (let r = 0; r < reps; r++) {
      const start = performance.now();
      const c = tf.matMul(a, b);
      await c.data();
      wallSamples.push((performance.now() - start) / 1e3);
      c.dispose();
    }
    const tfjs = timing(
      flops,
      kernelSamples,
      tfTimestamps
        ? 'tf.time() kernelMs (TF.js GPU timestamps per program)'
        : 'tf.time() kernelMs WITHOUT timestamp-query (reads 0: unusable)',
    );
    const tfjsWall = timing(
      flops,
      wallSamples,
      'performance.now() around await tf.matMul(a,b).data() (incl. readback)',
    );
    log(
      `${n} tfjs: ${tfjs.gflops.toFixed(3)} GFLOP/s (kernel), ${tfjsWall.gflops.toFixed(3)} (wall)`,
    );

    let maxAbsDiff = Number.NaN;
    let wrong = -1;
    let tiledErr = Number.NaN;
    let tfjsErr = Number.NaN;
    if (tiledOut) {
      maxAbsDiff = 0;
      for (let i = 0; i < tiledOut.length; i++) {
        maxAbsDiff = Math.max(maxAbsDiff, Math.abs((tiledOut[i] ?? 0) - (tfOut[i] ?? 0)));
      }
      // Both against the CPU oracle within its tolerance, for sizes where that is quick.
      if (n <= 512) {
        const want = matmulCpu(aData, bData, n, n, n);
        const tol = matmulTolerance(aData, bData, n, n, n);
        const ct = compareMatmul(tiledOut, want, tol);
        const cf = compareMatmul(tfOut, want, tol);
        wrong = ct.wrong + cf.wrong;
        tiledErr = ct.maxAbsError;
        tfjsErr = cf.maxAbsError;
      }
    }
    a.dispose();
    b.dispose();
    rows.push({
      n,
      flops,
      tiled: ours.tiled,
      naive: ours.naive,
      tfjs,
      tfjs_wall: tfjsWall,
      tfjs_programs: programs,
      max_abs_diff: maxAbsDiff,
      wrong_vs_cpu: wrong,
      tiled_cpu_err: tiledErr,
      tfjs_cpu_err: tfjsErr,
    });
  }
  timer.destroy();
  ctx.device.destroy();
  return {
    ok: true,
    fleetlab_adapter: describeAdapter(ctx.adapter),
    tfjs_adapter: tfjsAdapter,
    tfjs_version: tf.version_core,
    tfjs_backend: tf.getBackend(),
    timestamp_note: regime.note,
    tfjs_timestamp_query: tfTimestamps,
    rows,
  };
}

run()
  .then((result) => {
    (window as PeerWindow).tfjsPeer = result;
  })
  .catch((e: unknown) => {
    const error = e instanceof Error ? e.message : String(e);
    log(`error: ${error}`);
    (window as PeerWindow).tfjsPeer = { ok: false, error, rows: [] };
  })
  .finally(() => {
    document.body.dataset.ready = 'true';
  });
