// The double binary tree: NCCL's trees as its source draws them, their complementarity, and the
// pipelined schedule (up the trees, then down one level a step).
import { describe, expect, it } from 'vitest';
import { dbtreeAllReduce, dbtreeSteps, ncclDtree, type RankTree } from '../../src/plans/dbtree.ts';
import type { Plan } from '../../src/plans/plan.ts';

const childrenOf = (tree: RankTree) =>
  Object.fromEntries(
    tree.children.flatMap((c, r) => (c.length > 0 ? [[r, [...c].sort((a, b) => a - b)]] : [])),
  );

describe("NCCL's trees (src/graph/trees.cc)", () => {
  it('tree 0 on 14 ranks is the btree of the source comment', () => {
    const [tree] = ncclDtree(14);
    expect(tree.root).toBe(0);
    expect(childrenOf(tree)).toEqual({
      0: [8],
      8: [4, 12],
      4: [2, 6],
      12: [10, 13],
      2: [1, 3],
      6: [5, 7],
      10: [9, 11],
    });
  });

  it('tree 1 on 12 ranks is tree 0 mirrored, on 13 ranks tree 0 shifted by one', () => {
    const [, mirrored] = ncclDtree(12);
    expect(mirrored.root).toBe(11);
    expect(childrenOf(mirrored)).toEqual({
      11: [3],
      3: [1, 7],
      1: [0, 2],
      7: [5, 9],
      5: [4, 6],
      9: [8, 10],
    });
    const [, shifted] = ncclDtree(13);
    expect(shifted.root).toBe(1);
    expect(childrenOf(shifted)).toEqual({
      1: [9],
      9: [0, 5],
      5: [3, 7],
      0: [11],
      3: [2, 4],
      7: [6, 8],
      11: [10, 12],
    });
  });

  it('every N from 1 to 256: two spanning trees, roots as ncclGetDtreeRoots, complementary', () => {
    for (let n = 1; n <= 256; n++) {
      const trees = ncclDtree(n);
      expect(trees.map((t) => t.root)).toEqual([0, n % 2 === 1 && n > 1 ? 1 : n - 1]);
      for (const tree of trees) {
        // Each rank but the root appears exactly once as a child, of its parent.
        const seen = new Array<number>(n).fill(0);
        const wrong: string[] = [];
        tree.children.forEach((kids, r) => {
          if (kids.length > 2) wrong.push(`${r} has ${kids.length} children`);
          for (const c of kids) {
            if (tree.parent[c] !== r)
              wrong.push(`${c} is a child of ${r}, its parent ${tree.parent[c]}`);
            seen[c] = (seen[c] ?? 0) + 1;
          }
        });
        seen.forEach((k, r) => {
          if (r !== tree.root && k !== 1) wrong.push(`${r} is a child ${k} times`);
        });
        expect(wrong, `${n} ranks`).toEqual([]);
        expect(tree.parent.filter((p) => p === -1)).toHaveLength(1);
      }
      const interior = (t: RankTree, r: number) => (t.children[r]?.length ?? 0) > 0;
      const ranks = Array.from({ length: n }, (_, r) => r);
      // No rank is a leaf of both trees; only rank 0 (for odd N) is interior in both.
      expect(ranks.filter((r) => n > 1 && trees.every((t) => !interior(t, r)))).toEqual([]);
      expect(ranks.filter((r) => trees.every((t) => interior(t, r)))).toEqual(
        n % 2 === 1 && n > 1 ? [0] : [],
      );
    }
  });
});

describe('the pipelined schedule', () => {
  const spec = { ranks: 13, count: 1000, dtype: 'float', redop: 'sum', inPlace: true } as const;

  /** Step of every op by (kind, src, dst, chunk). */
  function stepsOf(plan: Plan) {
    const at = new Map<string, number>();
    plan.steps.forEach((s, i) => {
      for (const op of s.ops) at.set(`${op.kind} ${op.src.rank}>${op.dst.rank} ${op.chunk}`, i);
    });
    return at;
  }

  it('chunk c goes down one level a step, right behind chunk c - 1', () => {
    const chunks = 5;
    const plan = dbtreeAllReduce(spec, { chunks });
    const at = stepsOf(plan);
    ncclDtree(13).forEach((tree, k) => {
      for (let r = 0; r < 13; r++) {
        const p = tree.parent[r] as number;
        const g = tree.parent[p] ?? -1;
        if (p < 0) continue;
        for (let c = k * chunks; c < (k + 1) * chunks; c++) {
          const down = at.get(`copy ${p}>${r} ${c}`) as number;
          expect(down).toBeGreaterThan(at.get(`reduce ${r}>${p} ${c}`) as number);
          if (g >= 0) expect(down).toBe((at.get(`copy ${g}>${p} ${c}`) as number) + 1);
          if (c > k * chunks) expect(down).toBe((at.get(`copy ${p}>${r} ${c - 1}`) as number) + 1);
        }
      }
    });
  });

  it("a node's two children send the same chunk in different steps, each after its own children", () => {
    const plan = dbtreeAllReduce(spec, { chunks: 3 });
    const at = stepsOf(plan);
    ncclDtree(13).forEach((tree, k) => {
      tree.children.forEach((kids, v) => {
        for (let c = 3 * k; c < 3 * k + 3; c++) {
          const arrive = kids.map((x) => at.get(`reduce ${x}>${v} ${c}`) as number);
          expect(new Set(arrive).size).toBe(arrive.length);
          const p = tree.parent[v] as number;
          if (p >= 0) {
            expect(at.get(`reduce ${v}>${p} ${c}`)).toBeGreaterThan(Math.max(...arrive));
          }
        }
      });
    });
  });

  it('each tree carries its half: the chunks of tree k lie in half k of the message', () => {
    const plan = dbtreeAllReduce({ ...spec, count: 1001 }, { chunks: 4 });
    for (const s of plan.steps) {
      for (const op of s.ops) {
        const half = op.chunk < 4 ? 0 : 1;
        const [lo, hi] = half === 0 ? [0, 504] : [504, 1001];
        expect(op.dst.offset).toBeGreaterThanOrEqual(lo);
        expect(op.dst.offset + op.count).toBeLessThanOrEqual(hi);
      }
    }
  });

  it('hand-counted step counts: C + 1 on 2 ranks, C + 4 on 4, C + 16 on 64', () => {
    expect(dbtreeSteps(2, { chunks: 3 })).toBe(4);
    expect(dbtreeSteps(4, { chunks: 3 })).toBe(7);
    expect(dbtreeSteps(64)).toBe(24);
    expect(dbtreeAllReduce({ ...spec, ranks: 64 }).steps).toHaveLength(24);
    expect(dbtreeAllReduce({ ...spec, ranks: 64, inPlace: false }).steps).toHaveLength(25);
    expect(dbtreeSteps(1)).toBe(0);
  });
});
