// A kernel op with its operands moved: every region-valued field (top level, or in one nested
// record of operands) passed through `place`, every other field (shapes, params, the rank)
// kept. Embedding and packing move kernels between ranks and buffers with it.
import type { GraphRegion } from './graph.ts';
import type { KernelOp } from './plan.ts';

function isRegion(v: unknown): v is GraphRegion {
  return typeof v === 'object' && v !== null && 'buffer' in v && 'offset' in v && 'count' in v;
}

export function mapKernelRegions(
  op: KernelOp,
  place: (g: GraphRegion) => GraphRegion,
  rank: number = op.rank,
): KernelOp {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(op)) {
    if (isRegion(value)) out[key] = place(value);
    else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, isRegion(v) ? place(v) : v]),
      );
    } else out[key] = value;
  }
  out.rank = rank;
  return out as unknown as KernelOp;
}
