// What a data-parallel rank keeps between steps, counted from the plan: the runs of 'params'
// and 'grad' it holds (TrainingInfo.owns) at 4 B an element (f32). Plain SGD has no optimizer
// state; ZeRO 1 would shard it and so changes nothing here, ZeRO 2 keeps only the rank's
// gradient shards, ZeRO 3 its parameter shards too. Working space (activations, the gathered
// layer of ZeRO 3, staging) is not counted: it is what the formula leaves out as well.
import type { TrainingInfo } from '../plan.ts';
import { paramCount } from './mlp.ts';

export interface MemoryBytes {
  readonly params: number;
  readonly grads: number;
  readonly optimizer: number;
  readonly total: number;
}

/** Bytes each rank keeps between steps. */
export function memoryPerRank(info: TrainingInfo): MemoryBytes[] {
  const P = paramCount(info);
  return info.owns.map((owns) => {
    const sum = (runs: readonly { count: number }[]) => runs.reduce((t, r) => t + r.count, 0);
    const params = 4 * sum(owns.params);
    // ZeRO 1 reduce-scatters too, but keeps the whole gradient buffer (its saving is the
    // optimizer state's, which SGD does not have).
    const grads = info.zero >= 2 ? 4 * sum(owns.grads) : 4 * P;
    return { params, grads, optimizer: 0, total: params + grads };
  });
}
