// How long building, listing as a graph, validating and pricing a fleet-sized plan takes, and
// how much memory it holds: `npx tsx bench/plan-scale.ts [collective algo ranks count]...`.
// Not a test: it times things, on whatever machine runs it (report `uptime` beside it).
import { performance } from 'node:perf_hooks';
import { fabricPreset } from '../src/fabric/fabric-presets.ts';
import { priceGraph } from '../src/model/event-pricer.ts';
import { graphOf } from '../src/plans/from-steps.ts';
import type { Collective } from '../src/plans/plan.ts';
import { builderFor } from '../src/plans/registry.ts';
import { validateGraph } from '../src/plans/validate-graph.ts';

const CASES: [Collective, string, number, number][] = [
  ['allreduce', 'ring', 1024, 65536],
  ['allreduce', 'rhd', 4096, 65536],
  ['allreduce', 'tree', 4096, 65536],
];

function parseCases(args: string[]): [Collective, string, number, number][] {
  if (args.length === 0) return CASES;
  const out: [Collective, string, number, number][] = [];
  for (let i = 0; i + 3 < args.length; i += 4) {
    out.push([
      args[i] as Collective,
      args[i + 1] as string,
      Number(args[i + 2]),
      Number(args[i + 3]),
    ]);
  }
  return out;
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
for (const [collective, algo, ranks, count] of parseCases(process.argv.slice(2))) {
  const spec = { ranks, count, dtype: 'float', redop: 'sum', inPlace: false } as const;
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  const timer = setInterval(sample, 20);
  const t0 = performance.now();
  const plan = builderFor(collective, algo)(spec);
  const t1 = performance.now();
  const graph = graphOf(plan);
  const t2 = performance.now();
  validateGraph(graph);
  const t3 = performance.now();
  const price = priceGraph(graph, fabricPreset('nvswitch').build(ranks));
  const t4 = performance.now();
  sample();
  clearInterval(timer);
  const s = (a: number, b: number) => `${((b - a) / 1e3).toFixed(2)} s`;
  console.log(
    `${collective} ${algo} ${ranks} ranks, ${graph.tasks.length} tasks: build ${s(t0, t1)}, ` +
      `graphOf ${s(t1, t2)}, validate ${s(t2, t3)}, price ${s(t3, t4)} (total ${s(t0, t4)}); ` +
      `emulated ${price.total_s.toExponential(4)} s; peak rss ${mib(peak)}, heap now ${mib(process.memoryUsage().heapUsed)}`,
  );
}
