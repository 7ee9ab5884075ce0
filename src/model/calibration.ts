// Calibration of the `local` fabric: alpha, beta and gamma fitted by least squares from the
// microbenchmarks of `fleetlab calibrate`, so that the model predicts this GPU and the gap to
// what the executor measures is a number, not a guess.
//
//   copy rows:    t = alpha + bytes / beta          (one dispatch copying `bytes` bytes)
//   reduce rows:  t = alpha + bytes / beta + gamma bytes   (alpha, beta from the copy fit)
//
// beta counts message bytes, as plan ops do: each is read once and written once, so beta is
// half the roofline's read + write rate. alpha is the fixed cost of one step (a dispatch),
// to set beside the measured dispatch latency. Both fits weigh relative error (1/t^2).
import type { Fabric } from '../fabric/fabric.ts';
import { localFabric } from '../fabric/topologies.ts';
import { type FitQuality, fitLine, fitQuality, fitSlope } from './least-squares.ts';

/** The figures of one size, as `fleetlab calibrate --json` writes them (CalibrationRow). */
export interface CalibrationSample {
  readonly bytes: number;
  readonly copy_buffer_s: number;
  readonly copy_kernel_s: number;
  readonly reduce_kernel_s: number;
}

/** What the fit reads of a calibration (the exec layer's Calibration has all of it). */
export interface CalibrationFigures {
  readonly sizes: readonly CalibrationSample[];
  readonly dispatch_latency_s?: number;
}

/** Which copy the executor's ops are: the copy kernel (default) or copyBufferToBuffer. */
export type CopySource = 'copy_kernel_s' | 'copy_buffer_s';

export interface LocalCalibration {
  readonly alpha_s: number;
  readonly beta_Bps: number;
  readonly gamma_s_per_B: number;
  readonly source: CopySource;
  /** Sizes the fit used (rows with a non-finite or non-positive time are left out). */
  readonly points: number;
  readonly copy_fit: FitQuality;
  readonly reduce_fit: FitQuality;
  /** The measured cost of an empty dispatch, beside the fitted alpha. */
  readonly dispatch_latency_s?: number;
  /** Where the fit had to bend a figure to stay physical. */
  readonly notes: readonly string[];
}

const usable = (t: number) => Number.isFinite(t) && t > 0;

export function fitLocalCalibration(
  calibration: CalibrationFigures,
  source: CopySource = 'copy_kernel_s',
): LocalCalibration {
  const rows = calibration.sizes.filter(
    (r) => r.bytes > 0 && usable(r[source]) && usable(r.reduce_kernel_s),
  );
  const xs = rows.map((r) => r.bytes);
  const copies = rows.map((r) => r[source]);
  const notes: string[] = [];
  let { intercept: alpha_s, slope, ...copy_fit } = fitLine(xs, copies);
  if (alpha_s < 0) {
    // Negative alpha is noise, not physics: fit the bandwidth alone, through the origin.
    notes.push(`alpha fitted ${alpha_s.toExponential(3)} s < 0: refitted through the origin`);
    alpha_s = 0;
    ({ slope, ...copy_fit } = fitSlope(xs, copies));
  }
  if (!(slope > 0)) {
    throw new RangeError(`${source} times do not grow with size (slope ${slope} s/B)`);
  }
  const beta_Bps = 1 / slope;
  const reduces = rows.map((r) => r.reduce_kernel_s);
  const copyPart = xs.map((x) => alpha_s + x / beta_Bps);
  let { slope: gamma_s_per_B, ...reduce_fit } = fitSlope(xs, reduces, copyPart);
  if (gamma_s_per_B < 0) {
    notes.push(`gamma fitted ${gamma_s_per_B.toExponential(3)} s/B < 0: reducing costs no more`);
    gamma_s_per_B = 0;
    reduce_fit = fitQuality(reduces, copyPart);
  }
  return {
    alpha_s,
    beta_Bps,
    gamma_s_per_B,
    source,
    points: rows.length,
    copy_fit,
    reduce_fit,
    ...(calibration.dispatch_latency_s === undefined
      ? {}
      : { dispatch_latency_s: calibration.dispatch_latency_s }),
    notes,
  };
}

/** The local fabric of `ranks` ranks with calibrated alpha, beta and gamma. */
export function calibratedLocalFabric(ranks: number, c: LocalCalibration): Fabric {
  return localFabric(ranks, {
    alpha_s: c.alpha_s,
    beta_Bps: c.beta_Bps,
    gamma_s_per_B: c.gamma_s_per_B,
  });
}
