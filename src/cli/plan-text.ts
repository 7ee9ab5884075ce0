// A plan's tasks as sentences, wave by wave: "wave 3: rank 2 sends chunk 3 (64 B) to rank 3,
// which adds it", "wave 0: rank 1 runs matmul 16x32x8". What a student reads to answer "which
// ring am I on, and who sends what when".
import { formatBytes } from '../model/units.ts';
import { DTYPE_INFO } from '../plans/dtype.ts';
import type { Graph, KernelTask, Task } from '../plans/graph.ts';
import { waves } from '../plans/graph.ts';

/**
 * 'matmul 16x32x8': the kernel's name and its whole-number parameters in the order the kernel
 * lists them. Read generically (its `params` where the kernel registry gives them, else its
 * own fields), so no kernel needs a sentence of its own here.
 */
export function kernelText(kernel: KernelTask['kernel']): string {
  const k = kernel as unknown as Record<string, unknown> & { kernel: string; params?: unknown };
  const params =
    typeof k.params === 'object' && k.params !== null ? (k.params as Record<string, unknown>) : k;
  const dims = Object.entries(params)
    .filter(([name, v]) => name !== 'rank' && typeof v === 'number')
    .map(([, v]) => v);
  return dims.length > 0 ? `${k.kernel} ${dims.join('x')}` : k.kernel;
}

export function taskText(graph: Graph, task: Task): string {
  if (task.kind === 'kernel') return `rank ${task.rank} runs ${kernelText(task.kernel)}`;
  const bytes = formatBytes(task.count * DTYPE_INFO[graph.dtype].bytes);
  const what = `chunk ${task.chunk} (${bytes})`;
  const { src, dst } = task;
  if (src.rank === dst.rank) {
    return task.op === 'reduce'
      ? `rank ${src.rank} adds ${what} of ${src.buffer} into its ${dst.buffer}`
      : `rank ${src.rank} copies ${what} from its ${src.buffer} to its ${dst.buffer}`;
  }
  const then = task.op === 'reduce' ? ', which adds it' : '';
  return `rank ${src.rank} sends ${what} to rank ${dst.rank}${then}`;
}

/** One line a task, wave after wave, tasks of a wave in list order. */
export function waveLines(graph: Graph): string[] {
  const lines: string[] = [];
  waves(graph).forEach((ids, w) => {
    for (const id of ids) lines.push(`wave ${w}: ${taskText(graph, graph.tasks[id] as Task)}`);
  });
  return lines;
}
