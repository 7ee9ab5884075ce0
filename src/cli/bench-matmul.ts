// `fleetlab bench matmul`: GFLOP/s of the naive and tiled matmul kernels per shape, beside the
// adapter's measured FMA peak (shaders/fma-peak.wgsl) and the memory roofline
// (copyBufferToBuffer bandwidth x the matmul's arithmetic intensity), each result checked
// against the CPU oracle within its derived tolerance.
import { writeFileSync } from 'node:fs';
import { measureCopyBuffer } from '../exec/calibration/microbench.ts';
import { type FmaPeak, MatmulRecorder, measureFmaPeak } from '../exec/kernels/matmul.ts';
import { median } from '../exec/measure/median.ts';
import { describeAdapter } from '../gpu/device.ts';
import { PipelineCache } from '../gpu/pipelines.ts';
import { nodeShaders } from '../gpu/shaders-node.ts';
import { detectTimestampRegime, GpuTimer } from '../gpu/timer.ts';
import {
  compareMatmul,
  MATMUL_KERNELS,
  type MatmulKernel,
  type MatmulShape,
  matmulCpu,
  matmulFlops,
  matmulMinBytes,
  matmulTolerance,
} from '../kernels/matmul.ts';
import { formatBandwidth } from '../model/units.ts';
import { UsageError } from './args.ts';
import { cliContext } from './node-context.ts';
import { type CommandSchema, parseCommand, usage } from './schema.ts';
import { Table } from './table.ts';

export const BENCH_MATMUL_SCHEMA = {
  name: 'bench matmul',
  about:
    'f32 C = A x B (A: M x K, B: K x N) with the naive and the tiled kernel; GFLOP/s = 2MNK / ' +
    'median GPU time, beside the measured FMA peak and the copyBufferToBuffer memory roofline.',
  flags: {
    sizes: {
      kind: 'text',
      default: '128,256,512',
      help:
        'comma-separated shapes: N for N x N x N, or MxKxN, each dimension 1 to 65536 (on ' +
        'SwiftShader 1024 takes about a minute, most of it the naive kernel)',
      meta: 'LIST',
    },
    check: {
      kind: 'choice',
      short: 'c',
      choices: ['0', '1'],
      default: '1',
      help: 'check each result against the CPU within 2 gamma_K sum|a b|',
      meta: '0|1',
    },
    json: { kind: 'text', help: 'also write the figures as JSON (- for stdout)', meta: 'FILE' },
  },
} as const satisfies CommandSchema;

export const BENCH_MATMUL_USAGE = usage(BENCH_MATMUL_SCHEMA);

/** Largest dimension accepted (any larger matrix would exceed 2^32 elements or the buffer limit). */
const MAX_DIM = 65536;

export interface BenchMatmulArgs {
  readonly shapes: readonly MatmulShape[];
  readonly check: boolean;
  readonly json?: string;
}

function parseDim(text: string, whole: string): number {
  if (!/^\d+$/.test(text))
    throw new UsageError(`--sizes '${whole}': '${text}' is not a whole number`);
  const v = Number(text);
  if (v < 1 || v > MAX_DIM)
    throw new UsageError(`--sizes '${whole}': ${v} must be from 1 to ${MAX_DIM}`);
  return v;
}

/** 'N' is N x N x N; 'MxKxN' is M x K times K x N. */
export function parseShapes(text: string): MatmulShape[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UsageError(`--sizes '${text}' has an empty entry`);
  return items.map((item) => {
    const parts = item.toLowerCase().split('x');
    if (parts.length === 1) {
      const d = parseDim(parts[0] as string, text);
      return { m: d, k: d, n: d };
    }
    if (parts.length !== 3)
      throw new UsageError(`--sizes '${text}': '${item}' is neither N nor MxKxN`);
    const [m, k, n] = parts.map((p) => parseDim(p, text)) as [number, number, number];
    return { m, k, n };
  });
}

export function parseBenchMatmulArgs(args: string[]): BenchMatmulArgs {
  const { values } = parseCommand(BENCH_MATMUL_SCHEMA, args);
  return {
    shapes: parseShapes(values.sizes),
    check: values.check === '1',
    ...(values.json === undefined ? {} : { json: values.json }),
  };
}

export interface KernelResult {
  readonly median_s: number;
  readonly reps: number;
  readonly flops_per_s: number;
  readonly fraction_of_peak: number;
  /** -1 when not checked. */
  readonly wrong: number;
  readonly max_abs_error: number;
}

export interface MatmulBenchRow extends MatmulShape {
  readonly flops: number;
  readonly min_bytes: number;
  /** flops / min_bytes: A and B read once, C written once. */
  readonly arithmetic_intensity: number;
  /** min(FMA peak, intensity x copy bandwidth): the best any kernel could do. */
  readonly roofline_flops_per_s: number;
  readonly kernels: Record<MatmulKernel, KernelResult>;
}

/** Reproducible inputs in [-1, 1) (a linear congruential generator). */
function randomMatrix(count: number, seed: number): Float32Array<ArrayBuffer> {
  let s = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

const fixed = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : '-');

export async function runBenchMatmul(argv: string[], out: (line: string) => void): Promise<number> {
  const args = parseBenchMatmulArgs(argv);
  const ctx = await cliContext();
  const timer = new GpuTimer(ctx);
  try {
    const cache = new PipelineCache(ctx);
    const regime = await detectTimestampRegime(ctx);
    const peak: FmaPeak = await measureFmaPeak(ctx, nodeShaders, cache, timer);
    const copyBytes = 16 * 2 ** 20;
    const bandwidth = await measureCopyBuffer(ctx, timer, copyBytes);
    out('# fleetlab bench matmul: f32 C = A x B, row-major; GFLOP/s = 2MNK / median GPU time');
    out(`# adapter     ${describeAdapter(ctx.adapter)}`);
    out(`# timestamps  ${regime.note}`);
    out(
      `# FMA peak    ${(peak.flops_per_s / 1e9).toFixed(3)} GFLOP/s (register-only vec4 fma kernel, 2 flops per lane, median of ${peak.reps})`,
    );
    out(
      `# memory      ${formatBandwidth(bandwidth)} copyBufferToBuffer of 16 MiB (bytes read + written); roof = min(peak, AI x bandwidth)`,
    );
    out(
      `# check       ${args.check ? 'every C against the CPU, |gpu - cpu| <= 2 gamma_K sum_k |a_ik b_kj|' : 'off'}`,
    );
    out('#');
    const group = [
      { title: 'time', unit: '(ms)' },
      { title: 'GFLOP/s', unit: '', width: 8 },
      { title: 'peak', unit: '(%)', width: 6 },
      { title: '#wrong', unit: '', width: 6 },
    ];
    const table = new Table([
      { title: 'M', unit: '', width: 6 },
      { title: 'K', unit: '', width: 6 },
      { title: 'N', unit: '', width: 6 },
      { title: 'AI', unit: '(flop/B)', width: 8 },
      { title: 'roof', unit: '(GFLOP/s)', width: 9 },
      ...group,
      ...group,
    ]);
    out(`#${' '.repeat(45)}naive${' '.repeat(34)}tiled`);
    for (const line of table.header()) out(line);
    const rows: MatmulBenchRow[] = [];
    let wrongTotal = 0;
    for (const shape of args.shapes) {
      const { m, k, n } = shape;
      const a = randomMatrix(m * k, 1 + m + 3 * k);
      const b = randomMatrix(k * n, 2 + n + 5 * k);
      const want = args.check ? matmulCpu(a, b, m, k, n) : undefined;
      const tolerance = args.check ? matmulTolerance(a, b, m, k, n) : undefined;
      const flops = matmulFlops(shape);
      const minBytes = matmulMinBytes(shape);
      const kernels = {} as Record<MatmulKernel, KernelResult>;
      for (const kernel of MATMUL_KERNELS) {
        const recorder = await MatmulRecorder.create(ctx, nodeShaders, cache, shape, kernel);
        try {
          recorder.upload(a, b);
          // One untimed-for-the-result run sizes the repetitions: about 0.5 s, 3 to 20 of them.
          const first = median(await recorder.time(timer, 1));
          const reps = Math.max(3, Math.min(20, Math.ceil(0.5 / (first || 1e-3))));
          const median_s = median(await recorder.time(timer, reps));
          let wrong = -1;
          let maxAbsError = Number.NaN;
          if (want && tolerance) {
            const got = await recorder.download();
            ({ wrong, maxAbsError } = compareMatmul(got, want, tolerance));
            wrongTotal += wrong;
          }
          const flops_per_s = flops / median_s;
          kernels[kernel] = {
            median_s,
            reps,
            flops_per_s,
            fraction_of_peak: flops_per_s / peak.flops_per_s,
            wrong,
            max_abs_error: maxAbsError,
          };
        } finally {
          recorder.destroy();
        }
      }
      const row: MatmulBenchRow = {
        ...shape,
        flops,
        min_bytes: minBytes,
        arithmetic_intensity: flops / minBytes,
        roofline_flops_per_s: Math.min(peak.flops_per_s, (flops / minBytes) * bandwidth),
        kernels,
      };
      rows.push(row);
      out(
        table.row([
          String(m),
          String(k),
          String(n),
          fixed(row.arithmetic_intensity, 2),
          fixed(row.roofline_flops_per_s / 1e9, 3),
          ...MATMUL_KERNELS.flatMap((kernel) => {
            const r = kernels[kernel];
            return [
              fixed(r.median_s * 1e3, 3),
              fixed(r.flops_per_s / 1e9, 3),
              fixed(100 * r.fraction_of_peak, 1),
              r.wrong < 0 ? 'N/A' : String(r.wrong),
            ];
          }),
        ]),
      );
    }
    out('#');
    out(
      `# Out of tolerance values : ${args.check ? `${wrongTotal} ${wrongTotal === 0 ? 'OK' : 'FAILED'}` : 'N/A'}`,
    );
    if (args.json !== undefined) {
      const json = {
        tool: 'fleetlab bench matmul',
        date: new Date().toISOString(),
        adapter: ctx.adapter,
        timestamp: regime,
        fma_peak: peak,
        copy_buffer_Bps: bandwidth,
        copy_buffer_bytes: copyBytes,
        results: rows,
        out_of_tolerance: args.check ? wrongTotal : null,
      };
      const text = `${JSON.stringify(json, null, 2)}\n`;
      if (args.json === '-') process.stdout.write(text);
      else writeFileSync(args.json, text);
    }
    if (wrongTotal > 0) {
      process.stderr.write(
        `fleetlab: ${wrongTotal} values outside the tolerance: the GPU disagrees with the CPU\n`,
      );
      return 1;
    }
    return 0;
  } finally {
    timer.destroy();
    ctx.device.destroy();
  }
}
