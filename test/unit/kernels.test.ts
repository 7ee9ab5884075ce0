// The kernel registry: lookup (and the error that lists what exists), each kernel's operands,
// flops and bytes on a known shape, its oracle against a direct computation, its launches, and
// the validator reading a plan's kernels through it (in place only where a kernel says so).
import { describe, expect, it } from 'vitest';
import { type AttentionParams, attentionKernel, attentionOp } from '../../src/kernels/attention.ts';
import { pagedAttentionKernel } from '../../src/kernels/attention-paged.ts';
import { biasGeluKernel, biasGeluOp, geluF32 } from '../../src/kernels/bias-gelu.ts';
import { paramsOf } from '../../src/kernels/kernel.ts';
import { matmulKernel, matmulOp } from '../../src/kernels/matmul.ts';
import { KERNELS, kernelFor } from '../../src/kernels/registry.ts';
import { region } from '../../src/plans/build.ts';
import type { KernelOp, Plan } from '../../src/plans/plan.ts';
import { PlanError, validatePlan } from '../../src/plans/validate.ts';
import { prng } from '../prng.ts';

const limits = { maxComputeWorkgroupsPerDimension: 65535 };
const random = (n: number, seed: number) => {
  const next = prng(seed);
  return Float32Array.from({ length: n }, () => next() * 2 - 1);
};

describe('the registry', () => {
  it('finds every kernel by its name', () => {
    for (const [name, kernel] of Object.entries(KERNELS)) expect(kernelFor(name)).toBe(kernel);
    expect(Object.keys(KERNELS)).toEqual([
      'matmul',
      'bias-gelu',
      'attention',
      'attention-paged',
      'matmul-tn',
      'matmul-nt',
      'gelu-backward',
      'mse-grad',
      'column-sum',
      'sgd',
      'scale-rows',
    ]);
  });

  it('names the kernels there are when asked for one that is not', () => {
    expect(() => kernelFor('softmax')).toThrow(
      "no kernel 'softmax' (have: matmul, bias-gelu, attention, attention-paged, matmul-tn, matmul-nt, gelu-backward, mse-grad, column-sum, sgd, scale-rows)",
    );
    expect(() => kernelFor('toString')).toThrow(RangeError);
  });

  it('types an op of the right kernel, and refuses another', () => {
    const op = matmulOp(0, { a: 0, b: 1, c: 2 }, { m: 2, k: 3, n: 4 });
    expect(paramsOf(matmulKernel, op)).toEqual({ m: 2, k: 3, n: 4 });
    expect(() => paramsOf(biasGeluKernel, op)).toThrow('a matmul op has no bias-gelu params');
  });
});

describe('operands, flops and bytes', () => {
  it('matmul 2x3x4', () => {
    const p = { m: 2, k: 3, n: 4 };
    expect(matmulKernel.operands(p)).toEqual([
      { name: 'a', count: 6, access: 'read' },
      { name: 'b', count: 12, access: 'read' },
      { name: 'c', count: 8, access: 'write' },
    ]);
    expect(matmulKernel.flops(p)).toBe(2 * 2 * 3 * 4);
    expect(matmulKernel.bytes(p)).toBe(4 * (6 + 12 + 8));
  });

  it('bias-gelu 3x8: y may be x, no model flops', () => {
    const p = { m: 3, n: 8 };
    expect(biasGeluKernel.operands(p)).toEqual([
      { name: 'x', count: 24, access: 'read' },
      { name: 'bias', count: 8, access: 'read' },
      { name: 'y', count: 24, access: 'write', inPlaceOf: 'x' },
    ]);
    expect(biasGeluKernel.flops(p)).toBe(0);
    expect(biasGeluKernel.bytes(p)).toBe(4 * (24 + 8 + 24));
  });

  it('attention of 5 tokens, 2 heads of 4: scores are scratch, left out of the bytes', () => {
    const p = { tokens: 5, heads: 2, headDim: 4 };
    expect(attentionKernel.operands(p).map((o) => [o.name, o.count, o.access])).toEqual([
      ['q', 40, 'read'],
      ['k', 40, 'read'],
      ['v', 40, 'read'],
      ['scores', 50, 'scratch'],
      ['out', 40, 'write'],
    ]);
    // Token t attends to t + 1 tokens: 15 (q . k, p v) pairs of 4 multiply-adds per head.
    expect(attentionKernel.flops(p)).toBe(2 * 2 * 2 * 4 * 15);
    expect(attentionKernel.bytes(p)).toBe(4 * 4 * 40);
  });

  it('attention-paged: u32 table and rows, scratch of max context', () => {
    const p = {
      rows: 3,
      qHeads: 4,
      kvHeads: 2,
      headDim: 8,
      blockTokens: 4,
      maxBlocks: 2,
      maxContext: 8,
      seqs: 2,
      poolBlocks: 5,
    };
    expect(
      pagedAttentionKernel.operands(p).map((o) => [o.name, o.count, o.dtype ?? 'f32']),
    ).toEqual([
      ['q', 96, 'f32'],
      ['kPool', 320, 'f32'],
      ['vPool', 320, 'f32'],
      ['blockTable', 4, 'u32'],
      ['rows', 6, 'u32'],
      ['scores', 96, 'f32'],
      ['out', 96, 'f32'],
    ]);
    expect(pagedAttentionKernel.check({ ...p, kvHeads: 3 })).toMatch(/multiple of KV heads 3/);
  });
});

describe('oracles against a direct computation', () => {
  it('matmul: small integers, exact', () => {
    const [m, k, n] = [3, 5, 2];
    const a = Float32Array.from({ length: m * k }, (_, i) => (i % 7) - 3);
    const b = Float32Array.from({ length: k * n }, (_, i) => (i % 5) - 2);
    const want = new Float32Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++)
        for (let p = 0; p < k; p++)
          want[i * n + j] =
            (want[i * n + j] as number) + (a[i * k + p] as number) * (b[p * n + j] as number);
    expect(matmulKernel.oracle({ m, k, n }, { a, b }).c).toEqual(want);
    const tol = matmulKernel.tolerance({ m, k, n }, { a, b }).c as Float64Array;
    expect(tol.length).toBe(m * n);
  });

  it('bias-gelu: GeLU(x + bias) per element, within its own tolerance of f64', () => {
    const [m, n] = [4, 6];
    const x = random(m * n, 1);
    const bias = random(n, 2);
    const got = biasGeluKernel.oracle({ m, n }, { x, bias }).y as Float32Array;
    const tol = biasGeluKernel.tolerance({ m, n }, { x, bias }).y as Float64Array;
    for (let i = 0; i < m * n; i++) {
      const z = Math.fround((x[i] as number) + (bias[i % n] as number));
      const exact = 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3)));
      expect(got[i]).toBe(geluF32(z));
      expect(Math.abs((got[i] as number) - exact)).toBeLessThanOrEqual(2 * (tol[i] as number));
    }
  });

  it('attention: causal softmax per head, in f64', () => {
    const p: AttentionParams = { tokens: 4, heads: 2, headDim: 3 };
    const size = p.tokens * p.heads * p.headDim;
    const [q, k, v] = [random(size, 3), random(size, 4), random(size, 5)];
    const got = attentionKernel.oracle(p, { q, k, v }).out as Float32Array;
    const at = (t: number, h: number, d: number) => (t * p.heads + h) * p.headDim + d;
    for (let t = 0; t < p.tokens; t++) {
      for (let h = 0; h < p.heads; h++) {
        const s = Array.from({ length: t + 1 }, (_, u) => {
          let dot = 0;
          for (let d = 0; d < p.headDim; d++)
            dot += (q[at(t, h, d)] as number) * (k[at(u, h, d)] as number);
          return Math.exp(dot / Math.sqrt(p.headDim));
        });
        const sum = s.reduce((a, b) => a + b, 0);
        for (let d = 0; d < p.headDim; d++) {
          const want = s.reduce((acc, w, u) => acc + (w / sum) * (v[at(u, h, d)] as number), 0);
          expect(got[at(t, h, d)]).toBeCloseTo(want, 6);
        }
      }
    }
  });

  it('attention-paged: blocks in any order give the contiguous oracle', () => {
    // One sequence of 6 tokens in blocks of 2 (blocks 2, 0, 1 of the pool), 2 heads of 4.
    const p = { tokens: 6, heads: 2, headDim: 4 };
    const size = p.tokens * p.heads * p.headDim;
    const [q, k, v] = [random(size, 6), random(size, 7), random(size, 8)];
    const table = Uint32Array.from([2, 0, 1]);
    const width = p.heads * p.headDim;
    const kPool = new Float32Array(size);
    const vPool = new Float32Array(size);
    for (let t = 0; t < p.tokens; t++) {
      const slot = ((table[t >> 1] as number) * 2 + (t % 2)) * width;
      kPool.set(k.subarray(t * width, (t + 1) * width), slot);
      vPool.set(v.subarray(t * width, (t + 1) * width), slot);
    }
    const rows = Uint32Array.from({ length: 2 * p.tokens }, (_, i) => (i % 2 ? i >> 1 : 0));
    const paged = {
      rows: p.tokens,
      qHeads: p.heads,
      kvHeads: p.heads,
      headDim: p.headDim,
      blockTokens: 2,
      maxBlocks: 3,
      maxContext: p.tokens,
      seqs: 1,
      poolBlocks: 3,
    };
    const got = pagedAttentionKernel.oracle(paged, { q, kPool, vPool, blockTable: table, rows });
    expect(got.out).toEqual(attentionKernel.oracle(p, { q, k, v }).out);
  });
});

describe('launches', () => {
  it('matmul in an arena: the shape, then the offsets of A, B and C', () => {
    const offsets: Record<string, number> = { a: 64, b: 128, c: 256 };
    const launch = matmulKernel.arena({ m: 40, k: 8, n: 33 }, (o) => offsets[o] as number);
    expect(Array.from(launch.uniform)).toEqual([40, 8, 33, 0, 64, 128, 256, 0]);
    // The tiled kernel covers 32 x 32 of C a workgroup.
    expect(launch.workgroups).toEqual([2, 2, 1]);
    expect(launch.program.shaders).toEqual(['matmul-arena-dims', 'matmul-arena', 'matmul-tiled']);
  });

  it('bias-gelu takes vec4 lanes only where every operand starts on one', () => {
    const p = { m: 2, n: 8 };
    const aligned = biasGeluKernel.arena(p, (o) => ({ x: 0, bias: 64, y: 0 })[o] as number, limits);
    expect(aligned.program.aliases).toEqual({ Lane: 'vec4f' });
    expect(Array.from(aligned.uniform)).toEqual([4, 2, 0, 0, 0, 16, 0, 0]);
    const odd = biasGeluKernel.arena(p, (o) => ({ x: 0, bias: 65, y: 0 })[o] as number, limits);
    expect(odd.program.aliases).toEqual({ Lane: 'f32' });
    expect(Array.from(odd.uniform)).toEqual([16, 8, 0, 0, 0, 65, 0, 0]);
  });

  it('attention carries its scale as an f32 word', () => {
    const launch = attentionKernel.arena({ tokens: 3, heads: 2, headDim: 16 }, () => 0);
    expect(new Float32Array(launch.uniform.buffer)[6]).toBe(Math.fround(1 / 4));
    expect(launch.uniform.length).toBe(16);
    expect(launch.workgroups).toEqual([2, 3, 1]);
  });
});

describe('validatePlan reads kernels through the registry', () => {
  /** One rank, 64 elements in each buffer, one step of the given kernels. */
  const plan = (...kernels: KernelOp[]): Plan => ({
    collective: 'tensor-parallel',
    algorithm: 'test',
    ranks: 1,
    count: 0,
    dtype: 'float',
    redop: 'sum',
    root: 0,
    inPlace: true,
    sizes: { send: [64], recv: [64] },
    input: [region('send', 0, 0)],
    output: [region('recv', 0, 0)],
    steps: [{ phase: 'test', ops: [], kernels }],
  });
  const x = region('recv', 0, 8);
  const bias = region('send', 0, 4);

  it('lets bias-gelu write y over x exactly, and nothing else in place', () => {
    expect(() =>
      validatePlan(plan(biasGeluOp(0, { x, bias, y: x }, { m: 2, n: 4 }))),
    ).not.toThrow();
    const shifted = region('recv', 4, 8);
    expect(() =>
      validatePlan(
        plan(biasGeluOp(0, { x: region('recv', 0, 8), bias, y: shifted }, { m: 2, n: 4 })),
      ),
    ).toThrow(/bias-gelu writes y over its input x/);
    const a = region('send', 0, 4);
    const c = region('send', 2, 4);
    expect(() => validatePlan(plan(matmulOp(0, { a, b: a, c }, { m: 2, k: 2, n: 2 })))).toThrow(
      /matmul writes c over its input a/,
    );
  });

  it('names the kernels there are for an unknown one', () => {
    const op: KernelOp = { kind: 'kernel', kernel: 'softmax', rank: 0, operands: {}, params: {} };
    expect(() => validatePlan(plan(op))).toThrow(PlanError);
    expect(() => validatePlan(plan(op))).toThrow(/no kernel 'softmax' \(have: matmul, bias-gelu/);
  });

  it('rejects a kernel that has no place in a plan, a missing operand and an unknown one', () => {
    const paged: KernelOp = {
      kind: 'kernel',
      kernel: 'attention-paged',
      rank: 0,
      operands: {},
      params: {},
    };
    expect(() => validatePlan(plan(paged))).toThrow(/does not run inside a plan/);
    const op = matmulOp(0, { a: bias, b: region('send', 8, 8), c: x }, { m: 2, k: 2, n: 4 });
    const { c: _, ...noC } = op.operands;
    expect(() => validatePlan(plan({ ...op, operands: noC }))).toThrow(/is given no c/);
    expect(() => validatePlan(plan({ ...op, operands: { ...op.operands, d: x } }))).toThrow(
      /matmul has no operand d \(has a, b, c\)/,
    );
  });

  it('checks the scores scratch like an output', () => {
    const g = (offset: number) => region('recv', offset, 2);
    const op = attentionOp(
      0,
      { q: g(0), k: g(2), v: g(4), scores: g(0), out: g(8) },
      { tokens: 1, heads: 2, headDim: 1 },
    );
    expect(() => validatePlan(plan(op))).toThrow(/attention writes scores over its input q/);
  });
});
