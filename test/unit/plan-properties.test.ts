// Property tests of every registered plan builder over random specs (seeded, so a failure
// replays): ranks 1..256, counts 0..5000, in or out of place, any root, dtype and redop. Each
// plan validates, the CPU interpreter turns its inputs into what the collective's definition
// says, and it takes the number of steps the textbook gives its algorithm.
import { describe, expect, it } from 'vitest';
import { allocateBuffers, interpret } from '../../src/exec/interpreter/steps.ts';
import { MAX_PLAN_RANKS, MAX_RANKS } from '../../src/plans/build.ts';
import { DBTREE_CHUNKS, dbtreeAllReduce } from '../../src/plans/dbtree.ts';
import { DTYPES, REDOPS } from '../../src/plans/dtype.ts';
import { hierarchyOf } from '../../src/plans/hierarchical.ts';
import { ringBroadcast, ringReduce } from '../../src/plans/pipelined.ts';
import { type Collective, type CollectiveSpec, linkOf, type Plan } from '../../src/plans/plan.ts';
import { ALGORITHMS } from '../../src/plans/registry.ts';
import { expectedOutputs } from '../../src/plans/semantics.ts';
import { validatePlan } from '../../src/plans/validate.ts';
import { integerInputs, placeInputs, readOutputs } from '../plan-check.ts';
import { prng } from '../prng.ts';

const seedOf = (text: string) =>
  [...text].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261);

const CASES = 12;
const MAX_COUNT = 5000;

function randomSpecs(seed: number, cases = CASES): CollectiveSpec[] {
  const rand = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  // The edges first (one rank and no data; the most ranks and the most data), then random.
  const specs: CollectiveSpec[] = [
    { ranks: 1, count: 0, dtype: 'float', redop: 'sum', inPlace: true, root: 0 },
    { ranks: MAX_RANKS, count: MAX_COUNT, dtype: 'int32', redop: 'sum', inPlace: false, root: 255 },
  ];
  while (specs.length < cases) {
    const ranks = int(1, MAX_RANKS);
    specs.push({
      ranks,
      count: int(0, MAX_COUNT),
      dtype: DTYPES[int(0, DTYPES.length - 1)] as CollectiveSpec['dtype'],
      redop: REDOPS[int(0, REDOPS.length - 1)] as CollectiveSpec['redop'],
      inPlace: rand() < 0.5,
      root: int(0, ranks - 1),
    });
  }
  return specs;
}

/** The plan's outputs from integer inputs (exact in any order), against the definition. */
function checkDefinition(plan: Plan, seed: number): void {
  validatePlan(plan);
  const inputs = integerInputs(plan, seed);
  const buffers = allocateBuffers(plan);
  placeInputs(plan, buffers, inputs);
  interpret(plan, buffers);
  const got = readOutputs(plan, buffers);
  const want = expectedOutputs(plan, inputs);
  for (let r = 0; r < plan.ranks; r++) {
    if (got[r]?.length !== want[r]?.length || got[r]?.some((x, i) => x !== want[r]?.[i])) {
      // Only on failure: let toEqual print the difference.
      expect(got[r], `rank ${r}`).toEqual(want[r]);
    }
  }
}

const ceilLog2 = (n: number) => {
  let l = 0;
  while (2 ** l < n) l++;
  return l;
};
const floorLog2 = (n: number) => ceilLog2(n + 1) - 1;

/**
 * Steps as the textbook counts them (in place), + 1 out of place where the algorithm begins
 * with a local copy from 'send' into 'recv'. dbtree has a range instead (see below).
 */
function textbookSteps(collective: Collective, algorithm: string, spec: CollectiveSpec): number {
  const { ranks: n, inPlace } = spec;
  const local = inPlace ? 0 : 1;
  const fold = 2 ** floorLog2(n) === n ? 0 : 2;
  switch (`${collective} ${algorithm}`) {
    case 'allreduce ring':
      return 2 * (n - 1) + local;
    case 'reducescatter ring':
    case 'allgather ring':
      return n - 1 + local;
    case 'allreduce tree':
      return 2 * ceilLog2(n) + local;
    // A ring in each node, rings across nodes, a ring in each node: K = N / G nodes of G.
    case 'allreduce hierarchical': {
      const { ranksPerNode: g, nodes: k } = hierarchyOf(n, spec.ranksPerNode);
      return 2 * (g - 1) + 2 * (k - 1) + local;
    }
    case 'allreduce rhd':
      return 2 * floorLog2(n) + fold + local;
    case 'reducescatter rhd':
    case 'allgather rhd':
      return floorLog2(n) + fold + local;
    // N - 1 reduce (or exchange) steps + the first copy step (scratch in place, local out of).
    case 'allreduce direct':
    case 'alltoall pairwise':
      return n === 1 ? local : n;
    case 'reduce tree':
      return ceilLog2(n) + local;
    // Out of place the root's copy rides along with its first sends.
    case 'broadcast tree':
      return n === 1 ? local : ceilLog2(n);
    // Pipelined with C = N chunks: N - 1 + C - 1.
    case 'broadcast ring':
      return n === 1 ? local : 2 * n - 2;
    case 'reduce ring':
      return (n === 1 ? 0 : 2 * n - 2) + local;
    default:
      throw new Error(`no textbook step count for ${collective} ${algorithm}`);
  }
}

for (const [collective, algorithms] of Object.entries(ALGORITHMS) as [
  Collective,
  Record<string, (spec: CollectiveSpec) => Plan>,
][]) {
  for (const [algorithm, build] of Object.entries(algorithms)) {
    describe(`${collective} ${algorithm}, random specs`, () => {
      const specs = randomSpecs(seedOf(`${collective} ${algorithm}`));
      const plans = specs.map((spec) => build(spec));

      it(`validates and meets the definition (${CASES} specs, ranks 1..${MAX_RANKS}, counts 0..${MAX_COUNT})`, () => {
        plans.forEach((plan, i) => {
          checkDefinition(plan, i + 1);
        });
      });

      it('takes the textbook number of steps', () => {
        plans.forEach((plan, i) => {
          const spec = specs[i] as CollectiveSpec;
          const steps = plan.steps.length;
          if (algorithm === 'dbtree') {
            // Per tree C + h(root) + D - 1 with depth D = ceil(log2 N) and a root height
            // between D and 2D - 1 (two steps a level where both children send).
            const l = ceilLog2(spec.ranks);
            const local = spec.inPlace ? 0 : 1;
            if (spec.ranks === 1) expect(steps).toBe(local);
            else {
              expect(steps).toBeGreaterThanOrEqual(DBTREE_CHUNKS + 2 * l - 1 + local);
              expect(steps).toBeLessThanOrEqual(DBTREE_CHUNKS + 3 * l - 2 + local);
            }
          } else {
            expect(steps, JSON.stringify(spec)).toBe(textbookSteps(collective, algorithm, spec));
          }
        });
      });

      it('has no empty ops (chunks of an uneven split that hold nothing are left out)', () => {
        const empty = plans.flatMap((p) =>
          p.steps.flatMap((s) => s.ops.filter((o) => o.count < 1)),
        );
        expect(empty).toEqual([]);
      });
    });
  }
}

describe('each rank sends at most one message and receives at most one a step', () => {
  // The one-port model the textbook's step counts assume. The double binary tree is the
  // exception by design: a rank sends up one tree while it passes chunks down the other, as
  // NCCL's does.
  for (const [collective, algorithms] of Object.entries(ALGORITHMS) as [
    Collective,
    Record<string, (spec: CollectiveSpec) => Plan>,
  ][]) {
    for (const [algorithm, build] of Object.entries(algorithms)) {
      if (algorithm === 'dbtree') continue;
      it(`${collective} ${algorithm}`, () => {
        for (const ranks of [2, 3, 5, 8, 13, 64, 100]) {
          for (const inPlace of [true, false]) {
            const spec = {
              ranks,
              count: 999,
              dtype: 'float',
              redop: 'sum',
              inPlace,
              root: 1,
            } as const;
            for (const s of build(spec).steps) {
              const links = s.ops.map(linkOf).filter((l) => l !== undefined);
              const senders = links.map(([a]) => a);
              const receivers = links.map(([, b]) => b);
              expect(new Set(senders).size).toBe(senders.length);
              expect(new Set(receivers).size).toBe(receivers.length);
            }
          }
        }
      });
    }
  }
});

describe('pipelined builders with other chunk counts', () => {
  const rand = prng(20260517);
  const cases = randomSpecs(seedOf('pipelined'), 16).map((spec) => ({
    spec,
    chunks: 1 + Math.floor(rand() * 40),
  }));

  it('ring Broadcast and Reduce: N - 1 + C - 1 steps, meeting the definition', () => {
    for (const { spec, chunks } of cases) {
      const n = spec.ranks;
      const local = spec.inPlace ? 0 : 1;
      const broadcast = ringBroadcast(spec, { chunks });
      const reduce = ringReduce(spec, { chunks });
      expect(broadcast.steps).toHaveLength(n === 1 ? local : n - 1 + chunks - 1);
      expect(reduce.steps).toHaveLength((n === 1 ? 0 : n - 1 + chunks - 1) + local);
      checkDefinition(broadcast, n + chunks);
      checkDefinition(reduce, n + chunks);
    }
  });

  it('dbtree: C + h(root) + D - 1 steps, meeting the definition', () => {
    for (const { spec, chunks } of cases) {
      const plan = dbtreeAllReduce(spec, { chunks });
      const l = ceilLog2(spec.ranks);
      const local = spec.inPlace ? 0 : 1;
      if (spec.ranks > 1) {
        expect(plan.steps.length).toBeGreaterThanOrEqual(chunks + 2 * l - 1 + local);
        expect(plan.steps.length).toBeLessThanOrEqual(chunks + 3 * l - 2 + local);
      }
      checkDefinition(plan, spec.ranks + chunks);
    }
  });

  it('a chunk count below 1 or fractional is a RangeError naming it', () => {
    const spec: CollectiveSpec = {
      ranks: 4,
      count: 16,
      dtype: 'float',
      redop: 'sum',
      inPlace: true,
    };
    expect(() => ringBroadcast(spec, { chunks: 0 })).toThrow(
      /chunks 0 must be a whole number >= 1/,
    );
    expect(() => ringReduce(spec, { chunks: 2.5 })).toThrow(RangeError);
    expect(() => dbtreeAllReduce(spec, { chunks: -1 })).toThrow(/chunks -1/);
  });
});

describe('every builder refuses specs no plan can have', () => {
  for (const [collective, algorithms] of Object.entries(ALGORITHMS) as [
    Collective,
    Record<string, (spec: CollectiveSpec) => Plan>,
  ][]) {
    for (const [algorithm, build] of Object.entries(algorithms)) {
      it(`${collective} ${algorithm}`, () => {
        const spec: CollectiveSpec = {
          ranks: 4,
          count: 8,
          dtype: 'float',
          redop: 'sum',
          inPlace: true,
        };
        expect(() => build({ ...spec, ranks: 0 })).toThrow(
          /ranks 0 must be a whole number from 1 to 4096/,
        );
        expect(() => build({ ...spec, ranks: MAX_PLAN_RANKS + 1 })).toThrow(RangeError);
        expect(() => build({ ...spec, count: -1 })).toThrow(/count -1/);
        expect(() => build({ ...spec, root: 4 })).toThrow(/root 4 must be a rank from 0 to 3/);
        // What TypeScript rules out, a plain-JavaScript caller of the library can still pass.
        const loose = (extra: Record<string, unknown>) => ({ ...spec, ...extra }) as CollectiveSpec;
        expect(() => build(loose({ dtype: 'f32' }))).toThrow(
          "dtype 'f32' is unknown (dtypes: float, int32)",
        );
        expect(() => build(loose({ redop: 'avg' }))).toThrow(/redop 'avg' is unknown/);
        expect(() => build(loose({ inPlace: 'yes' }))).toThrow(/inPlace yes must be true or false/);
      });
    }
  }
});
