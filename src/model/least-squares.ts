// Weighted linear least squares in closed form, for the calibration's two-parameter fits.
// Weights 1/y^2 fit relative error: a 4 KiB copy of 10 us and a 64 MiB copy of 1 ms then
// count alike, where plain least squares would fit the largest sizes and ignore the alpha
// that the small ones reveal.

export interface FitQuality {
  /** Weighted coefficient of determination, 1 - SS_res / SS_tot (with the same weights). */
  readonly r2: number;
  /** max |y - fit| / y over the points. */
  readonly max_rel_residual: number;
}

export interface SlopeFit extends FitQuality {
  readonly slope: number;
}

export interface LineFit extends SlopeFit {
  readonly intercept: number;
}

const relativeWeights = (ys: readonly number[]) => ys.map((y) => 1 / (y * y));

function checkPoints(xs: readonly number[], ys: readonly number[], least: number): void {
  if (xs.length !== ys.length) throw new RangeError(`${xs.length} x values for ${ys.length} y`);
  if (new Set(xs).size < least) {
    throw new RangeError(`a fit needs ${least} distinct x values, got ${new Set(xs).size}`);
  }
  for (const y of ys) {
    if (!Number.isFinite(y) || y <= 0) throw new RangeError(`y ${y} must be a finite number > 0`);
  }
}

/** How well `predicted` matches `ys` under relative (1/y^2) weights. */
export function fitQuality(ys: readonly number[], predicted: readonly number[]): FitQuality {
  const ws = relativeWeights(ys);
  const sw = ws.reduce((s, w) => s + w, 0);
  const mean = ys.reduce((s, y, i) => s + (ws[i] as number) * y, 0) / sw;
  let ssRes = 0;
  let ssTot = 0;
  let worst = 0;
  ys.forEach((y, i) => {
    const w = ws[i] as number;
    const r = y - (predicted[i] as number);
    ssRes += w * r * r;
    ssTot += w * (y - mean) ** 2;
    worst = Math.max(worst, Math.abs(r) / y);
  });
  return { r2: ssTot === 0 ? 1 : 1 - ssRes / ssTot, max_rel_residual: worst };
}

/** y = intercept + slope x, minimizing sum ((y - fit) / y)^2. */
export function fitLine(xs: readonly number[], ys: readonly number[]): LineFit {
  checkPoints(xs, ys, 2);
  const ws = relativeWeights(ys);
  let [s, sx, sy, sxx, sxy] = [0, 0, 0, 0, 0];
  xs.forEach((x, i) => {
    const [w, y] = [ws[i] as number, ys[i] as number];
    s += w;
    sx += w * x;
    sy += w * y;
    sxx += w * x * x;
    sxy += w * x * y;
  });
  const slope = (s * sxy - sx * sy) / (s * sxx - sx * sx);
  const intercept = (sy - slope * sx) / s;
  return {
    intercept,
    slope,
    ...fitQuality(
      ys,
      xs.map((x) => intercept + slope * x),
    ),
  };
}

/**
 * y = offset + slope x with each point's offset known, minimizing sum ((y - fit) / y)^2:
 * slope = sum w x (y - offset) / sum w x^2.
 */
export function fitSlope(
  xs: readonly number[],
  ys: readonly number[],
  offsets: readonly number[] = xs.map(() => 0),
): SlopeFit {
  checkPoints(xs, ys, 1);
  const ws = relativeWeights(ys);
  let [num, den] = [0, 0];
  xs.forEach((x, i) => {
    const w = ws[i] as number;
    num += w * x * ((ys[i] as number) - (offsets[i] as number));
    den += w * x * x;
  });
  if (den === 0) throw new RangeError('a slope fit needs an x value other than 0');
  const slope = num / den;
  const predicted = xs.map((x, i) => (offsets[i] as number) + slope * x);
  return { slope, ...fitQuality(ys, predicted) };
}

export interface LinearFit extends FitQuality {
  /** One coefficient a column: y ~ sum_j coefficients[j] columns[j][i]. */
  readonly coefficients: readonly number[];
}

/**
 * y ~ sum_j c_j columns[j], minimizing sum ((y - fit) / y)^2, with every c_j >= 0: a term that
 * would come out negative (no physical meaning for a time per byte or per row) is dropped and
 * the rest refitted, until all are >= 0. Columns are scaled to their largest value before the
 * normal equations are solved, so bytes (1e6) and rows (1..64) sit side by side.
 */
export function fitNonNegative(
  columns: readonly (readonly number[])[],
  ys: readonly number[],
): LinearFit {
  for (const y of ys) {
    if (!Number.isFinite(y) || y <= 0) throw new RangeError(`y ${y} must be a finite number > 0`);
  }
  if (columns.some((c) => c.length !== ys.length)) {
    throw new RangeError(`every column needs ${ys.length} values`);
  }
  const ws = relativeWeights(ys);
  let active = columns.map((_, j) => j);
  for (;;) {
    const coefficients = solveWeighted(
      active.map((j) => columns[j] as readonly number[]),
      ys,
      ws,
    );
    const negative = coefficients.findIndex((c) => c < 0);
    if (negative < 0 || active.length === 1) {
      const all = columns.map(() => 0);
      active.forEach((j, k) => {
        all[j] = Math.max(0, coefficients[k] as number);
      });
      const predicted = ys.map((_, i) =>
        all.reduce((s, c, j) => s + c * ((columns[j] as readonly number[])[i] as number), 0),
      );
      return { coefficients: all, ...fitQuality(ys, predicted) };
    }
    active = active.filter((_, k) => k !== negative);
  }
}

/** Weighted normal equations on scaled columns, by Gaussian elimination with pivoting. */
function solveWeighted(
  columns: readonly (readonly number[])[],
  ys: readonly number[],
  ws: readonly number[],
): number[] {
  const n = columns.length;
  const scale = columns.map((c) => Math.max(...c.map(Math.abs)) || 1);
  const a = Array.from({ length: n }, () => new Array<number>(n + 1).fill(0));
  ys.forEach((y, i) => {
    const w = ws[i] as number;
    for (let r = 0; r < n; r++) {
      const xr = ((columns[r] as readonly number[])[i] as number) / (scale[r] as number);
      for (let c = 0; c < n; c++) {
        const xc = ((columns[c] as readonly number[])[i] as number) / (scale[c] as number);
        (a[r] as number[])[c] = ((a[r] as number[])[c] as number) + w * xr * xc;
      }
      (a[r] as number[])[n] = ((a[r] as number[])[n] as number) + w * xr * y;
    }
  });
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) {
      if (
        Math.abs((a[r] as number[])[col] as number) >
        Math.abs((a[pivot] as number[])[col] as number)
      )
        pivot = r;
    }
    [a[col], a[pivot]] = [a[pivot] as number[], a[col] as number[]];
    const p = (a[col] as number[])[col] as number;
    if (Math.abs(p) < 1e-300)
      throw new RangeError('the fit is singular: the columns do not vary independently');
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = ((a[r] as number[])[col] as number) / p;
      for (let c = col; c <= n; c++) {
        (a[r] as number[])[c] =
          ((a[r] as number[])[c] as number) - f * ((a[col] as number[])[c] as number);
      }
    }
  }
  return a.map((row, r) => (row[n] as number) / (row[r] as number) / (scale[r] as number));
}
