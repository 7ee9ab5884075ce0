// GPU time of what really ran: timestamp pairs around compute passes, resolved and read back in
// one batch per run. Without timestamp-query, wall-clock time from submit to
// onSubmittedWorkDone, one submission per repetition, labelled as such.
import type { GpuContext } from './device.ts';
import { withErrorScopes } from './errors.ts';

export interface TimestampRegime {
  readonly source: 'timestamp-query' | 'wall-clock';
  /** The grid timestamps are rounded to, in seconds; 0 when exact. */
  readonly quantum_s: number;
  readonly exact: boolean;
  /** One sentence for a page or a table header. */
  readonly note: string;
}

/** The timestamp writes of one timed repetition; all undefined in wall-clock mode. */
export interface PairWrites {
  /** Both ends around one compute pass. */
  readonly both?: GPUComputePassTimestampWrites;
  /** Beginning of a pass only, and end of a later pass only: to time what lies between. */
  readonly begin?: GPUComputePassTimestampWrites;
  readonly end?: GPUComputePassTimestampWrites;
}

/** Encodes repetition k (0-based, in order) of a timed run. */
export type EncodeRepetition = (encoder: GPUCommandEncoder, writes: PairWrites, k: number) => void;

// A query set holds at most 4096 queries (shared/PLATFORM.md): 2048 pairs a batch.
const MAX_PAIRS = 2048;

/** An empty compute pass carrying a timestamp write: a marker in the command stream. */
export function timestampMarker(
  encoder: GPUCommandEncoder,
  writes: GPUComputePassTimestampWrites | undefined,
): void {
  if (writes) encoder.beginComputePass({ timestampWrites: writes }).end();
}

export class GpuTimer {
  readonly mode: 'timestamp-query' | 'wall-clock';
  /** Raw timestamps (ns, the device's own epoch) of the last batch, begin/end interleaved. */
  lastRaw: BigUint64Array = new BigUint64Array(0);
  private readonly querySet?: GPUQuerySet;
  private readonly resolveBuffer?: GPUBuffer;
  private readonly readBuffer?: GPUBuffer;

  constructor(private readonly ctx: GpuContext) {
    this.mode = ctx.features.timestampQuery ? 'timestamp-query' : 'wall-clock';
    if (this.mode === 'wall-clock') return;
    const { device } = ctx;
    const bytes = MAX_PAIRS * 2 * 8;
    this.querySet = device.createQuerySet({ type: 'timestamp', count: MAX_PAIRS * 2 });
    this.resolveBuffer = device.createBuffer({
      label: 'timestamps (resolve)',
      size: bytes,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    // A resolve target cannot be mapped; copy it to one that can.
    this.readBuffer = device.createBuffer({
      label: 'timestamps (read)',
      size: bytes,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
  }

  /**
   * Runs `reps` repetitions, each encoded by `encode`, and returns the GPU seconds of each.
   * A negative or zero-width pair (a clock that stepped back) becomes NaN: callers take medians
   * over finite values.
   */
  async run(label: string, reps: number, encode: EncodeRepetition): Promise<number[]> {
    const out: number[] = [];
    for (let done = 0; done < reps; done += MAX_PAIRS) {
      const n = Math.min(MAX_PAIRS, reps - done);
      const shifted: EncodeRepetition = (encoder, writes, k) => encode(encoder, writes, done + k);
      const batch =
        this.mode === 'wall-clock'
          ? await this.runWallClock(label, n, shifted)
          : await this.runTimestamps(label, n, shifted);
      out.push(...batch);
    }
    return out;
  }

  destroy(): void {
    this.querySet?.destroy();
    this.resolveBuffer?.destroy();
    this.readBuffer?.destroy();
  }

  private writes(k: number): PairWrites {
    const querySet = this.querySet as GPUQuerySet;
    return {
      both: { querySet, beginningOfPassWriteIndex: 2 * k, endOfPassWriteIndex: 2 * k + 1 },
      begin: { querySet, beginningOfPassWriteIndex: 2 * k },
      end: { querySet, endOfPassWriteIndex: 2 * k + 1 },
    };
  }

  private async runTimestamps(label: string, n: number, encode: EncodeRepetition) {
    const { device } = this.ctx;
    const readBuffer = this.readBuffer as GPUBuffer;
    await withErrorScopes(device, `timed run '${label}' (${n} repetitions)`, () => {
      const encoder = device.createCommandEncoder({ label });
      for (let k = 0; k < n; k++) encode(encoder, this.writes(k), k);
      const bytes = n * 2 * 8;
      encoder.resolveQuerySet(
        this.querySet as GPUQuerySet,
        0,
        2 * n,
        this.resolveBuffer as GPUBuffer,
        0,
      );
      encoder.copyBufferToBuffer(this.resolveBuffer as GPUBuffer, 0, readBuffer, 0, bytes);
      device.queue.submit([encoder.finish()]);
    });
    await readBuffer.mapAsync(GPUMapMode.READ, 0, n * 16);
    const raw = new BigUint64Array(readBuffer.getMappedRange(0, n * 16).slice(0));
    readBuffer.unmap();
    this.lastRaw = raw;
    const seconds: number[] = [];
    for (let k = 0; k < n; k++) {
      const delta = Number((raw[2 * k + 1] as bigint) - (raw[2 * k] as bigint));
      seconds.push(delta > 0 ? delta * 1e-9 : Number.NaN);
    }
    return seconds;
  }

  private async runWallClock(label: string, n: number, encode: EncodeRepetition) {
    const { device } = this.ctx;
    const seconds: number[] = [];
    for (let k = 0; k < n; k++) {
      const encoder = device.createCommandEncoder({ label });
      encode(encoder, {}, k);
      const commands = encoder.finish();
      const t0 = performance.now();
      device.queue.submit([commands]);
      await device.queue.onSubmittedWorkDone();
      seconds.push((performance.now() - t0) * 1e-3);
    }
    return seconds;
  }
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/**
 * Finds out whether this device's timestamps are exact or rounded to a grid (Chrome: 100 us
 * unless --enable-webgpu-developer-features; Dawn: 65,536 ns unless switched off): times 32
 * empty passes and takes the greatest common divisor of the raw values.
 */
export async function detectTimestampRegime(ctx: GpuContext): Promise<TimestampRegime> {
  if (!ctx.features.timestampQuery) {
    return {
      source: 'wall-clock',
      quantum_s: 0,
      exact: false,
      note: 'no timestamp-query: times are wall-clock from submit to onSubmittedWorkDone',
    };
  }
  const timer = new GpuTimer(ctx);
  try {
    await timer.run('timestamp regime probe', 32, (encoder, w) => timestampMarker(encoder, w.both));
    let g = 0n;
    for (const t of timer.lastRaw) g = gcd(g, t);
    // Exact nanosecond clocks give a gcd of a few ns; a grid gives its step.
    const quantum = g >= 1000n ? Number(g) * 1e-9 : 0;
    return {
      source: 'timestamp-query',
      quantum_s: quantum,
      exact: quantum === 0,
      note:
        quantum === 0
          ? 'timestamp-query, exact (nanosecond resolution)'
          : `timestamp-query, quantized to ${(quantum * 1e6).toPrecision(3)} us: short steps read as 0 or one quantum`,
    };
  } finally {
    timer.destroy();
  }
}
