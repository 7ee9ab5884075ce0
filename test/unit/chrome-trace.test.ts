// The Chrome trace of a priced graph (src/model/chrome-trace.ts): a process per rank and its two
// stream threads, a slice per task (and a send slice per transfer), flows paired from sender to
// receiver, and link counters whose integral is the bytes the pricer put on each link.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { switchFabric } from '../../src/fabric/topologies.ts';
import { chromeTrace, type TraceEvent } from '../../src/model/chrome-trace.ts';
import { priceGraph } from '../../src/model/event-pricer.ts';
import { graphOf } from '../../src/plans/from-steps.ts';
import { ringAllReduce } from '../../src/plans/ring.ts';

const link = { alpha_s: 2e-6, beta_Bps: 50e9 };

describe('chromeTrace', () => {
  const graph = graphOf(
    ringAllReduce({ ranks: 4, count: 4096, dtype: 'float', redop: 'sum', inPlace: false }),
  );
  const fabric = switchFabric(4, link);
  const price = priceGraph(graph, fabric);
  const trace = chromeTrace([{ graph, price }], fabric, { command: 'test' });
  const of = (ph: TraceEvent['ph']) => trace.traceEvents.filter((e) => e.ph === ph);

  it('names a process per rank, its compute and comm threads, and the fabric', () => {
    const names = of('M')
      .filter((e) => e.name === 'process_name')
      .map((e) => [e.pid, e.args?.name]);
    expect(names).toEqual([
      [0, 'rank 0'],
      [1, 'rank 1'],
      [2, 'rank 2'],
      [3, 'rank 3'],
      [4, 'fabric: switch of 4'],
    ]);
    const threads = of('M')
      .filter((e) => e.name === 'thread_name' && e.pid === 0)
      .map((e) => [e.tid, e.args?.name]);
    expect(threads).toEqual([
      [0, 'compute'],
      [1, 'comm'],
    ]);
    expect(trace.otherData).toMatchObject({ tool: 'fleetlab', face: 'emulated', command: 'test' });
    expect(trace.otherData.total_s).toBe(price.total_s);
  });

  it('a slice per task at its priced time, a send slice and a flow per transfer', () => {
    const transfers = graph.tasks.filter((t) => t.kind === 'move' && t.src.rank !== t.dst.rank);
    const slices = of('X');
    expect(slices).toHaveLength(graph.tasks.length + transfers.length);
    for (const t of graph.tasks) {
      const s = slices.find((e) => e.args?.task === t.id && e.pid === t.rank);
      expect(s?.ts).toBeCloseTo((price.start_s[t.id] as number) * 1e6, 9);
      expect(s?.dur).toBeCloseTo(
        ((price.end_s[t.id] as number) - (price.start_s[t.id] as number)) * 1e6,
        9,
      );
    }
    const starts = of('s');
    const ends = of('f');
    expect(starts).toHaveLength(transfers.length);
    expect(ends.map((e) => e.id)).toEqual(starts.map((e) => e.id));
  });

  it("each link's counter integrates to the bytes the pricer put on it", () => {
    for (const [i, id] of price.links.entries()) {
      const points = of('C').filter((e) => e.name === `link ${id}`);
      let bytes = 0;
      for (let k = 0; k + 1 < points.length; k++) {
        const rate = (points[k]?.args?.['B/s'] as number) ?? 0;
        bytes += (rate * ((points[k + 1]?.ts as number) - (points[k]?.ts as number))) / 1e6;
      }
      const want = price.link_bytes[i] as number;
      if (want === 0) expect(points).toHaveLength(0);
      else expect(Math.abs(bytes - want) / want).toBeLessThan(1e-6);
      for (const p of points) expect(p.args?.['B/s'] as number).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('fleetlab plan --trace', () => {
  it('writes the trace file beside the usual output', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fleetlab-trace-')), 'plan.json');
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(
        await main(['plan', 'allreduce', '--ranks', '4', '--count', '1024', '--trace', file]),
      ).toBe(0);
    } finally {
      out.mockRestore();
    }
    const trace = JSON.parse(readFileSync(file, 'utf8'));
    expect(trace.otherData).toMatchObject({ command: 'plan', algorithm: 'ring' });
    expect(trace.traceEvents.some((e: TraceEvent) => e.ph === 'X' && e.cat === 'move')).toBe(true);
  });
});
