// A kernel call with its operands moved: each operand's region passed through `place`, the
// kernel's params kept, the rank set. Embedding and packing move kernels between ranks and
// buffers with it.
import type { GraphKernel, GraphRegion } from './graph.ts';

export function mapKernelRegions(
  op: GraphKernel,
  place: (g: GraphRegion) => GraphRegion,
  rank: number = op.rank,
): GraphKernel {
  const operands: Record<string, GraphRegion> = {};
  for (const [name, g] of Object.entries(op.operands)) operands[name] = place(g);
  return { ...op, rank, operands };
}
