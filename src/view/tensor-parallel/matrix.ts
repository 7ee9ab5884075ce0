// The tensor-parallel layer as the page draws it, in plain numbers (no DOM): each logical
// matrix cut into blocks by the plan's shards, each block with the ranks that hold it; where
// the matrices sit in the equation X W = Y (or X W1 -> H -> H W2 = Y); and, step by step,
// which matrices the step reads and writes and whether the result is still partial.
import { attentionKernel } from '../../kernels/attention.ts';
import { biasGeluKernel } from '../../kernels/bias-gelu.ts';
import { paramsOf } from '../../kernels/kernel.ts';
import { matmulKernel } from '../../kernels/matmul.ts';
import { kernelFor } from '../../kernels/registry.ts';
import type { KernelOp, LayerInfo, Plan, Region } from '../../plans/plan.ts';

export interface Block {
  readonly row0: number;
  readonly col0: number;
  readonly rows: number;
  readonly cols: number;
  /** Ranks whose shards hold every element of the block, ascending; [] for nobody's. */
  readonly ranks: readonly number[];
}

/**
 * `tensor` cut along every shard edge into blocks, each with the ranks holding it: a
 * column-split W gives N blocks of one rank each, a replicated X one block of all ranks.
 */
export function tensorBlocks(layer: LayerInfo, tensor: string): Block[] {
  const shape = layer.tensors[tensor];
  if (!shape) throw new RangeError(`the ${layer.layout} layer has no tensor '${tensor}'`);
  const [rows, cols] = shape;
  const shards = layer.shards.filter((s) => s.tensor === tensor);
  const cuts = (edges: number[], end: number) =>
    [...new Set([0, end, ...edges])].filter((x) => x >= 0 && x <= end).sort((a, b) => a - b);
  const rowCuts = cuts(
    shards.flatMap((s) => [s.row0, s.row0 + s.rows]),
    rows,
  );
  const colCuts = cuts(
    shards.flatMap((s) => [s.col0, s.col0 + s.cols]),
    cols,
  );
  const blocks: Block[] = [];
  for (let i = 0; i + 1 < rowCuts.length; i++) {
    for (let j = 0; j + 1 < colCuts.length; j++) {
      const [r0, r1, c0, c1] = [
        rowCuts[i] as number,
        rowCuts[i + 1] as number,
        colCuts[j] as number,
        colCuts[j + 1] as number,
      ];
      const ranks = [
        ...new Set(
          shards
            .filter(
              (s) => s.row0 <= r0 && s.row0 + s.rows >= r1 && s.col0 <= c0 && s.col0 + s.cols >= c1,
            )
            .map((s) => s.rank),
        ),
      ].sort((a, b) => a - b);
      blocks.push({ row0: r0, col0: c0, rows: r1 - r0, cols: c1 - c0, ranks });
    }
  }
  return blocks;
}

// ---------------------------------------------------------------------------------------------
// Where the matrices sit

export interface Placed {
  readonly tensor: string;
  /** Top-left corner and size, in layout units (y down, as a canvas). */
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export interface MatrixLayout {
  readonly matrices: readonly Placed[];
  /** The operators between them: '×', '=', '→'. */
  readonly symbols: readonly { readonly text: string; readonly x: number; readonly y: number }[];
  readonly width: number;
  readonly height: number;
}

/**
 * The equation laid out left to right, true to shape (one unit an element) except that no side
 * is drawn thinner than `minShare` of the largest, so a 1-row X stays visible. Symbols sit in
 * gaps of `gap` x the largest side. Attention's ten matrices take two lines (the projections,
 * then attention and the output projection): in one line they shrank to a strip whose labels
 * ran into each other. The second line starts with its own arrow and leaves a label's room.
 */
export function matrixLayout(layer: LayerInfo, minShare = 0.08, gap = 0.16): MatrixLayout {
  const largest = Math.max(...Object.values(layer.tensors).flat());
  const side = (x: number) => Math.max(x, minShare * largest);
  const g = gap * largest;
  const lines: (readonly (readonly [string, string])[])[] =
    layer.layout === 'attention'
      ? [
          [
            ['X', '×'],
            ['Wq', ' '],
            ['Wk', ' '],
            ['Wv', '→'],
            ['Q', ' '],
            ['K', ' '],
            ['V', ''],
          ],
          [
            ['→', ''],
            ['A', '×'],
            ['Wo', '='],
            ['Y', ''],
          ],
        ]
      : layer.layout === 'mlp'
        ? [
            [
              ['X', '×'],
              ['W1', '→'],
              ['H', '×'],
              ['W2', '='],
              ['Y', ''],
            ],
          ]
        : [
            [
              ['X', '×'],
              ['W', '='],
              ['Y', ''],
            ],
          ];
  const matrices: Placed[] = [];
  const symbols: MatrixLayout['symbols'][number][] = [];
  let width = 0;
  let top = 0;
  for (const line of lines) {
    const sized = line
      .filter(([t]) => t !== '→')
      .map(([t, sym]) => {
        const [r, c] = layer.tensors[t] as readonly [number, number];
        return { tensor: t, sym, w: side(c), h: side(r) };
      });
    const height = Math.max(...sized.map((m) => m.h));
    let x = 0;
    if (line[0]?.[0] === '→') {
      symbols.push({ text: '→', x: g / 2, y: top + height / 2 });
      x += g;
    }
    for (const m of sized) {
      matrices.push({ tensor: m.tensor, x, y: top + (height - m.h) / 2, w: m.w, h: m.h });
      x += m.w;
      if (m.sym) {
        symbols.push({ text: m.sym, x: x + g / 2, y: top + height / 2 });
        x += g;
      }
    }
    width = Math.max(width, x);
    // The next line leaves room for its labels above it.
    top += height + g * 3;
  }
  let total = top - g * 3;
  // b1 (1 x n) sits under H, as wide as H, as the bias added before GeLU.
  const h = matrices.find((m) => m.tensor === 'H');
  if (h && layer.tensors.b1) {
    const bh = side(1);
    const y = h.y + h.h + g * 0.55;
    matrices.push({ tensor: 'b1', x: h.x, y, w: h.w, h: bh });
    symbols.push({ text: '+', x: h.x - g * 0.25, y: y + bh / 2 });
    total = Math.max(total, y + bh);
  }
  return { matrices, symbols, width, height: total };
}

// ---------------------------------------------------------------------------------------------
// What a step does to the matrices

export type TensorStatus = 'input' | 'pending' | 'partial' | 'done';

export interface StepFocus {
  /** Tensors the step reads and writes (none before the first step). */
  readonly reads: readonly string[];
  readonly writes: readonly string[];
  /** Every tensor's state after the step. */
  readonly status: Readonly<Record<string, TensorStatus>>;
}

const sameRegion = (a: Region, b: Region) =>
  a.buffer === b.buffer && a.offset === b.offset && a.count === b.count;

/** The tensor a region of `rank` holds (a shard's), else the layer's result. */
function tensorAt(layer: LayerInfo, rank: number, g: Region): string {
  return (
    layer.shards.find((s) => s.rank === rank && sameRegion(s.region, g))?.tensor ?? layer.result
  );
}

/**
 * What a kernel reads and writes, by tensor name: its operands in the registry's order, the
 * ones it reads, and the one result it writes (scratch is working space, not a tensor).
 */
export function kernelTensors(layer: LayerInfo, op: KernelOp): { reads: string[]; writes: string } {
  const at = (name: string) => tensorAt(layer, op.rank, op.operands[name] as Region);
  const operands = kernelFor(op.kernel).operands(op.params);
  const result = operands.find((o) => o.access === 'write');
  if (!result) throw new RangeError(`kernel ${op.kernel} writes no result`);
  return {
    reads: operands.filter((o) => o.access === 'read').map((o) => at(o.name)),
    writes: at(result.name),
  };
}

/** The step that first writes each tensor, and the last kernel step. */
function writers(plan: Plan): { first: Map<string, number>; lastKernel: number } {
  const layer = plan.layer as LayerInfo;
  const first = new Map<string, number>();
  let lastKernel = -1;
  plan.steps.forEach((st, i) => {
    for (const op of st.kernels ?? []) {
      const w = kernelTensors(layer, op).writes;
      if (!first.has(w)) first.set(w, i);
      lastKernel = i;
    }
  });
  return { first, lastKernel };
}

/**
 * After `taken` steps (0: none yet): which tensors the last step taken read and wrote, and each
 * tensor's state. The result is partial between its matmul and the end of the collective.
 */
export function stepFocus(plan: Plan, taken: number): StepFocus {
  const layer = plan.layer;
  if (!layer) throw new RangeError(`${plan.collective} ${plan.algorithm} is not a layer`);
  const { first, lastKernel } = writers(plan);
  const status: Record<string, TensorStatus> = {};
  for (const t of Object.keys(layer.tensors)) {
    const w = first.get(t);
    if (layer.inputs.includes(t)) status[t] = 'input';
    else if (w === undefined || taken <= w) status[t] = 'pending';
    else if (t === layer.result && taken < plan.steps.length) status[t] = 'partial';
    else status[t] = 'done';
  }
  const step = plan.steps[taken - 1];
  if (!step) return { reads: [], writes: [], status };
  const reads = new Set<string>();
  const writes = new Set<string>();
  for (const op of step.kernels ?? []) {
    const k = kernelTensors(layer, op);
    for (const r of k.reads) reads.add(r);
    writes.add(k.writes);
  }
  // A collective step reads and writes the result's (partial) blocks.
  if (step.ops.length > 0 && taken - 1 > lastKernel) {
    reads.add(layer.result);
    writes.add(layer.result);
  }
  return { reads: [...reads], writes: [...writes], status };
}

// ---------------------------------------------------------------------------------------------
// Captions of kernel steps (collective steps: common/step-text.ts describeStep)

const dims = (r: number, c: number) => `${r}x${c}`;

/** "X (32x64)" when each rank holds all of it, "its W1 shard (64x32)" when split. */
function operand(layer: LayerInfo, tensor: string, rows: number, cols: number): string {
  const [r, c] = layer.tensors[tensor] ?? [rows, cols];
  return r === rows && c === cols
    ? `${tensor} (${dims(rows, cols)})`
    : `its ${tensor} shard (${dims(rows, cols)})`;
}

/**
 * A kernel step in words: "every rank multiplies H (32x32) ..." Undefined for a step without
 * kernels. `index` is 0-based; the caption counts from 1.
 */
export function describeKernelStep(plan: Plan, index: number): string | undefined {
  const layer = plan.layer;
  const step = plan.steps[index];
  const op = step?.kernels?.[0];
  if (!layer || !step || !op) return undefined;
  const who = plan.ranks === 1 ? 'the one rank' : `each of the ${plan.ranks} ranks`;
  const head = `step ${index + 1} of ${plan.steps.length}: ${step.phase}, ${who}`;
  const { reads, writes } = kernelTensors(layer, op);
  // The layer's kernels in words; any other kernel by its registry title.
  if (op.kernel === attentionKernel.name) {
    const p = paramsOf(attentionKernel, op);
    return `${head} attends with its ${p.heads} head${p.heads === 1 ? '' : 's'} of ${p.headDim} over the ${p.tokens} tokens (causal): softmax(Q K^T / sqrt(${p.headDim})) V into ${operand(layer, writes, p.tokens, p.heads * p.headDim)}`;
  }
  if (op.kernel === biasGeluKernel.name) {
    const p = paramsOf(biasGeluKernel, op);
    return `${head} adds ${operand(layer, reads[1] as string, 1, p.n)} to ${operand(layer, writes, p.m, p.n)} and applies GeLU, in place`;
  }
  if (op.kernel !== matmulKernel.name) {
    return `${head} runs ${op.kernel} (${kernelFor(op.kernel).title}) on ${reads.join(', ')} into ${writes}`;
  }
  const p = paramsOf(matmulKernel, op);
  const [a, b] = reads as [string, string];
  const mult = `${head} multiplies ${operand(layer, a, p.m, p.k)} by ${operand(layer, b, p.k, p.n)}`;
  if (writes !== layer.result) return `${mult} into ${operand(layer, writes, p.m, p.n)}`;
  const [yr, yc] = layer.tensors[layer.result] as readonly [number, number];
  const comm = layer.comm?.collective;
  const inner = layer.layout !== 'column' && plan.ranks > 1;
  if (inner) {
    const then =
      comm === 'reducescatter'
        ? 'the reduce-scatter adds them and leaves each rank its rows'
        : 'the all-reduce adds them';
    return `${mult}: partial sums of all of ${layer.result} (${dims(yr, yc)}); ${then}`;
  }
  if (plan.ranks === 1)
    return `${mult}: all of ${layer.result} (${dims(yr, yc)}), nothing to share`;
  const tail =
    comm === 'allgather'
      ? `; the all-gather then gives every rank all of ${layer.result}`
      : ', no communication';
  return `${mult}: its column block of ${layer.result} (${dims(p.m, p.n)})${tail}`;
}
