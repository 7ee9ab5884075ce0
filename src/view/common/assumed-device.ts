// The device pages price kernels on when there is no GPU to time them: a stated assumption,
// named on the page ("modelled, not measured"), never a measurement.
import { kernelFor } from '../../kernels/registry.ts';
import type { Task } from '../../plans/graph.ts';

export const ASSUMED_DEVICE = { flops_per_s: 1e9, bytes_per_s: 1e9 } as const;

/** Seconds of a kernel task on the assumed device: its flops and its bytes, one after the other; 0 for a move. */
export function assumedSeconds(task: Task): number {
  if (task.kind !== 'kernel') return 0;
  const k = kernelFor(task.kernel.kernel);
  const params = task.kernel.params as never;
  return (
    k.flops(params) / ASSUMED_DEVICE.flops_per_s + k.bytes(params) / ASSUMED_DEVICE.bytes_per_s
  );
}
