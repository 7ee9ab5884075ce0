// The flags of every command that runs a layer or a step on the GPU and prices it on a fabric
// (dp, pp, moe): where the emulated ranks talk, how many timed repetitions, the seed, the JSON.
import { accessSync, constants, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FABRIC_PRESETS } from '../fabric/fabric-presets.ts';
import { parseStragglers, type Straggler } from '../fabric/stragglers.ts';
import { UsageError } from './args.ts';

/** --trace FILE: the emulated timeline in the Chrome trace event format (Perfetto). */
export const TRACE_FLAG = {
  kind: 'text',
  help: 'write the emulated timeline as a Chrome trace (load it in ui.perfetto.dev or chrome://tracing)',
  meta: 'FILE',
} as const;

/** Writes `trace` to `file` as JSON. */
export function writeTrace(file: string, trace: unknown): void {
  writeFileSync(file, `${JSON.stringify(trace)}\n`);
}

/** --straggler RANK:FACTOR[,...]: ranks slowed in the emulated timeline. */
export const STRAGGLER_FLAG = {
  kind: 'text',
  help: 'ranks slowed by a factor, RANK:FACTOR[,RANK:FACTOR...]: their kernels and outgoing links (alpha x F, beta / F) in the emulated timeline',
  meta: 'R:F',
} as const;

export const RUN_FLAGS = {
  fabric: {
    kind: 'choice',
    choices: FABRIC_PRESETS.map((p) => p.name),
    default: 'nvswitch',
    help: 'where the emulated ranks talk',
    meta: 'P',
  },
  reps: { kind: 'count', min: 1, max: 1000, default: '3', help: 'timed repetitions, medians' },
  seed: { kind: 'count', min: 0, max: 2 ** 32 - 1, default: '1', help: 'seed of the inputs' },
  json: { kind: 'text', help: 'also write the figures as JSON (- for stdout)', meta: 'FILE' },
  trace: TRACE_FLAG,
  straggler: STRAGGLER_FLAG,
} as const;

/** `--straggler` read for `ranks`: a UsageError of one line naming what is wrong. */
export function stragglersOf(text: string | undefined, ranks: number): Straggler[] {
  if (text === undefined) return [];
  try {
    return parseStragglers(text, ranks);
  } catch (e) {
    throw e instanceof RangeError ? new UsageError(`--straggler: ${e.message}`) : e;
  }
}

/** --fail RANK@WAVE: the rank stops before that wave; the survivors re-form and finish. */
export const FAIL_FLAG = {
  kind: 'text',
  help: "allreduce ring, tree, rhd, direct, dbtree, out of place: rank RANK stops before wave WAVE; the survivors time out (--detect-timeout), agree on who is left, and run the AllReduce again on themselves (the failed rank's contribution is out)",
  meta: 'R@W',
} as const;

/** --detect-timeout T: how long a survivor waits on the failed rank before it gives up. */
export const DETECT_TIMEOUT_FLAG = {
  kind: 'time',
  min: 0,
  max: 3600,
  default: '10ms',
  help: 'with --fail: how long a survivor waits on the failed rank before it declares it dead (emulated time; a heartbeat detector takes milliseconds, a collective watchdog minutes)',
  meta: 'T',
} as const;

/** Why a path cannot be written, in words, from the error Node gave. */
function unwritable(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  if (code === 'ENOENT') return 'its folder does not exist';
  if (code === 'ENOTDIR') return 'a part of the path is not a folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'read-only file system';
  if (code === 'EISDIR') return 'it is a folder';
  return typeof code === 'string' ? code : (e as Error).message;
}

/**
 * --trace FILE (bench, tp, serve) checked when the options are read, before any GPU work: a
 * folder, or a file whose folder is missing or read-only, is bad usage (exit 2, one line naming
 * the path), not a failure after a minute on the GPU. Nothing is created here.
 */
export function traceFileOf(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try {
    const path = resolve(file);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat?.isDirectory()) throw Object.assign(new Error('a folder'), { code: 'EISDIR' });
    accessSync(stat ? path : dirname(path), constants.W_OK);
  } catch (e) {
    throw new UsageError(`--trace '${file}': cannot write it (${unwritable(e)})`);
  }
  return file;
}

/** As writeTrace, a failure (the folder went away during the run) the same one-line UsageError. */
export function writeTraceFile(file: string, trace: unknown): void {
  const text = `${JSON.stringify(trace)}\n`;
  try {
    writeFileSync(file, text);
  } catch (e) {
    throw new UsageError(`--trace '${file}': cannot write it (${unwritable(e)})`);
  }
}
