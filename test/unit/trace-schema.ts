// What every fleetlab Chrome trace must be for Perfetto and chrome://tracing to read it whole:
// every event of a known phase with a whole pid, slices and counters with finite times in
// microseconds, every pid and (pid, tid) a slice uses named by metadata, every flow start
// paired with one end of the same id. Shared by the unit tests of each producer and the CLI
// tests that read the files back.
import { expect } from 'vitest';

export interface TraceEventJson {
  readonly name: string;
  readonly ph: string;
  readonly pid: number;
  readonly tid?: number;
  readonly ts?: number;
  readonly dur?: number;
  readonly id?: number;
  readonly cat?: string;
  readonly args?: Record<string, unknown>;
}

export interface TraceJson {
  readonly traceEvents: readonly TraceEventJson[];
  readonly displayTimeUnit: string;
  readonly otherData: Record<string, unknown>;
}

const isWhole = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0;
const isTime = (x: unknown) => typeof x === 'number' && Number.isFinite(x);

/** Checks `trace` against the schema; returns the process names by pid. */
export function expectTraceSchema(trace: TraceJson): Map<number, string> {
  expect(trace.displayTimeUnit).toBe('ns');
  expect(trace.otherData.tool).toBe('fleetlab');
  const processes = new Map<number, string>();
  const threads = new Set<string>();
  for (const e of trace.traceEvents) {
    expect(typeof e.name, JSON.stringify(e)).toBe('string');
    expect(['X', 'M', 's', 'f', 'C'], JSON.stringify(e)).toContain(e.ph);
    expect(isWhole(e.pid), JSON.stringify(e)).toBe(true);
    if (e.ph !== 'M') continue;
    if (e.name === 'process_name') {
      expect(typeof e.args?.name).toBe('string');
      expect(processes.has(e.pid), `pid ${e.pid} named twice`).toBe(false);
      processes.set(e.pid, e.args?.name as string);
    }
    if (e.name === 'thread_name') {
      expect(isWhole(e.tid)).toBe(true);
      expect(typeof e.args?.name).toBe('string');
      threads.add(`${e.pid}/${e.tid}`);
    }
  }
  const starts = new Map<number, number>();
  const ends = new Map<number, number>();
  for (const e of trace.traceEvents) {
    if (e.ph === 'M') continue;
    const what = JSON.stringify(e);
    expect(processes.has(e.pid), `unnamed pid: ${what}`).toBe(true);
    expect(isTime(e.ts), what).toBe(true);
    if (e.ph === 'C') {
      const values = Object.values(e.args ?? {});
      expect(values.length, what).toBeGreaterThan(0);
      for (const v of values) expect(isTime(v), what).toBe(true);
      continue;
    }
    expect(isWhole(e.tid), what).toBe(true);
    expect(threads.has(`${e.pid}/${e.tid}`), `unnamed thread: ${what}`).toBe(true);
    if (e.ph === 'X') {
      expect(isTime(e.dur), what).toBe(true);
      expect(e.dur as number, what).toBeGreaterThanOrEqual(0);
    } else {
      expect(isWhole(e.id), what).toBe(true);
      const seen = e.ph === 's' ? starts : ends;
      expect(seen.has(e.id as number), `flow ${e.id} ${e.ph} twice`).toBe(false);
      seen.set(e.id as number, e.ts as number);
    }
  }
  expect([...ends.keys()].sort((a, b) => a - b)).toEqual([...starts.keys()].sort((a, b) => a - b));
  for (const [id, ts] of starts) expect(ends.get(id) as number).toBeGreaterThanOrEqual(ts);
  return processes;
}

/** The X slices of the processes whose names match `name`. */
export function slicesOf(trace: TraceJson, name: RegExp): TraceEventJson[] {
  const pids = new Set(
    trace.traceEvents
      .filter((e) => e.name === 'process_name' && name.test(String(e.args?.name)))
      .map((e) => e.pid),
  );
  return trace.traceEvents.filter((e) => e.ph === 'X' && pids.has(e.pid));
}
