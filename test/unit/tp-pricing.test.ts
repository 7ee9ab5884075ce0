// Tensor-parallel plans priced by the same step pricer as the collectives: on a uniform switch
// the communication equals the closed form of the layer's collective, and the compute is the
// slowest rank's kernels (the sum of all on the local GPU). The Fleet Law's arithmetic.
import { describe, expect, it } from 'vitest';
import { switchFabric } from '../../src/fabric/topologies.ts';
import { kernelFor } from '../../src/kernels/registry.ts';
import { closedForm } from '../../src/model/closed-forms.ts';
import { fleetLaw, scalingEfficiency } from '../../src/model/fleet-law.ts';
import { type KernelSeconds, pricePlan } from '../../src/model/pricer.ts';
import { tensorParallel } from '../../src/plans/tensor-parallel.ts';

const link = { alpha_s: 2e-6, beta_Bps: 50e9 };
const params = { alpha: link.alpha_s, beta: link.beta_Bps };
const RATE = 1e12; // flop/s of the pretend device
const GELU_S = 1e-6;
// Matmuls at RATE (their flops from the registry), every other kernel GELU_S.
const kernelSeconds: KernelSeconds = (op) =>
  op.kernel === 'matmul' ? kernelFor(op.kernel).flops(op.params) / RATE : GELU_S;

describe('tensor-parallel plans priced on a switch', () => {
  it.each([2, 4, 8])('row-parallel, %i ranks: k-slice matmul + ring AllReduce closed form', (n) => {
    const [m, k, cols] = [64, 256, 128];
    const plan = tensorParallel({ layout: 'row', ranks: n, m, k, n: cols });
    const price = pricePlan(plan, switchFabric(n, link), kernelSeconds);
    const compute = (2 * m * (k / n) * cols) / RATE;
    const comm = closedForm('allreduce', 'ring', n, 4 * m * cols, params).time;
    expect(price.total_s).toBeCloseTo(compute + comm, 15);
    expect(price.steps[0]?.compute_s).toBeCloseTo(compute, 15);
  });

  it.each([2, 4, 8])('column-parallel + all-gather, %i ranks: ring AllGather closed form', (n) => {
    const [m, k, cols] = [64, 64, 256];
    const plan = tensorParallel({ layout: 'column', ranks: n, m, k, n: cols, comm: 'allgather' });
    const price = pricePlan(plan, switchFabric(n, link), kernelSeconds);
    const compute = (2 * m * k * (cols / n)) / RATE;
    const comm = closedForm('allgather', 'ring', n, 4 * m * cols, params).time;
    expect(price.total_s).toBeCloseTo(compute + comm, 15);
  });

  it.each(['ring', 'rhd', 'tree'])(
    'MLP on 8 ranks with %s: two matmuls, GeLU, one AllReduce',
    (algorithm) => {
      const [m, k, f] = [32, 128, 512];
      const plan = tensorParallel({ layout: 'mlp', ranks: 8, m, k, n: f, algorithm });
      const price = pricePlan(plan, switchFabric(8, link), kernelSeconds);
      const compute = (2 * (2 * m * k * (f / 8))) / RATE + GELU_S;
      const comm = closedForm('allreduce', algorithm, 8, 4 * m * k, params).time;
      expect(price.total_s).toBeCloseTo(compute + comm, 15);
    },
  );

  it('attention heads on 4 ranks: projections, attention, Wo, then a ring AllReduce of M x K', () => {
    const [m, k, heads] = [32, 64, 8];
    const plan = tensorParallel({ layout: 'attention', ranks: 4, m, k, n: heads });
    const price = pricePlan(plan, switchFabric(4, link), () => 1e-6);
    // Three projections a rank in one step (3 us), attention (1 us), Wo (1 us).
    const comm = closedForm('allreduce', 'ring', 4, 4 * m * k, params).time;
    expect(price.total_s).toBeCloseTo(5e-6 + comm, 15);
  });

  it('on the local fabric the ranks share one GPU: their kernels add up', () => {
    const plan = tensorParallel({ layout: 'column', ranks: 4, m: 8, k: 8, n: 16 });
    const local = { name: 'local', ranks: 4, topology: { kind: 'local' as const }, links: [] };
    const price = pricePlan(plan, local, () => 1e-3);
    expect(price.total_s).toBeCloseTo(4e-3, 15);
    expect(pricePlan(plan, switchFabric(4, link), () => 1e-3).total_s).toBeCloseTo(1e-3, 15);
  });

  it('a plan with kernels cannot be priced without their times', () => {
    const plan = tensorParallel({ layout: 'row', ranks: 2, m: 4, k: 8, n: 8 });
    expect(() => pricePlan(plan, switchFabric(2, link))).toThrow(/step 0 runs kernels/);
  });
});

describe('the Fleet Law', () => {
  it('T(N) = T_1 / N + closed form; eta = T_1 / (N T_N); tax = 1 - eta', () => {
    const t1 = 8e-3;
    const bytes = 4 * 64 * 1024;
    const points = fleetLaw(
      t1,
      { collective: 'allreduce', algorithm: 'ring', bytes },
      [1, 2, 4, 8],
      params,
    );
    expect(points.map((p) => p.ranks)).toEqual([1, 2, 4, 8]);
    expect(points[0]).toMatchObject({ compute_s: t1, comm_s: 0, step_s: t1, eta: 1, tax: 0 });
    for (const p of points.slice(1)) {
      const comm = closedForm('allreduce', 'ring', p.ranks, bytes, params).time;
      expect(p.comm_s).toBeCloseTo(comm, 18);
      expect(p.step_s).toBeCloseTo(t1 / p.ranks + comm, 18);
      expect(p.eta).toBeCloseTo(t1 / (p.ranks * p.step_s), 15);
      expect(p.tax).toBeCloseTo(1 - p.eta, 15);
      expect(p.eta).toBeLessThan(1);
    }
    // More ranks, more tax: compute shrinks while the ring's communication does not.
    expect(points[3]?.tax).toBeGreaterThan(points[1]?.tax as number);
  });

  it('no communication, perfect scaling', () => {
    for (const p of fleetLaw(1, null, [1, 2, 4, 8], params)) expect(p.eta).toBeCloseTo(1, 15);
  });

  it('efficiency rejects times that are not positive', () => {
    expect(() => scalingEfficiency(0, 2, 1)).toThrow(RangeError);
    expect(() => scalingEfficiency(1, 2, Number.NaN)).toThrow(RangeError);
    expect(scalingEfficiency(1, 4, 0.5)).toBe(0.5);
  });
});
