// Option parsing for the CLI: bad input becomes a UsageError (exit 2, one line on stderr)
// naming the value and what would be accepted.

export class UsageError extends Error {
  override name = 'UsageError';
}

const BYTE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 2 ** 10,
  kib: 2 ** 10,
  m: 2 ** 20,
  mib: 2 ** 20,
  g: 2 ** 30,
  gib: 2 ** 30,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
};

/**
 * A byte count as nccl-tests takes it ('4K', '64M' are binary, as there) or with an explicit
 * unit: KiB/MiB/GiB (2^10...) or KB/MB/GB (1e3...). The result must be a whole number of bytes.
 */
export function parseBytes(option: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?(?:e\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? BYTE_UNITS[(m[2] ?? '').toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new UsageError(
      `${option} '${text}' is not a size: use bytes or a unit K/M/G, KiB/MiB/GiB (2^10) or KB/MB/GB (1e3)`,
    );
  }
  const bytes = Number(m[1]) * unit;
  if (!Number.isSafeInteger(bytes)) {
    throw new UsageError(`${option} '${text}' is not a whole number of bytes`);
  }
  return bytes;
}

export function parseNumber(option: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`${option} '${text}' must be a number from ${min} to ${max}`);
  }
  return value;
}

export function parseWhole(option: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || value < min || value > max) {
    throw new UsageError(`${option} '${text}' must be a whole number from ${min} to ${max}`);
  }
  return value;
}
