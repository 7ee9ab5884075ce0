// What each collective must produce, from its definition alone (no algorithm): the check of
// every plan builder. Reductions go in rank order 0, 1, ..., N-1; plans may reduce in another
// order, so exact comparison needs data whose reduction is order-free (integers, or floats
// holding small integers).

import type { ElementArray } from './dtype.ts';
import { applyElementwise } from './elementwise.ts';
import { chunkBounds, type Plan } from './plan.ts';

function reduceAll(plan: Plan, inputs: readonly ElementArray[]): ElementArray {
  const acc = (inputs[0] as ElementArray).slice();
  for (let r = 1; r < inputs.length; r++) {
    applyElementwise(plan.redop, acc, inputs[r] as ElementArray, acc.length);
  }
  return acc;
}

function concat(parts: readonly ElementArray[], like: ElementArray): ElementArray {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = like instanceof Int32Array ? new Int32Array(total) : new Float32Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The expected content of each rank's output region, given each rank's input region. */
export function expectedOutputs(plan: Plan, inputs: readonly ElementArray[]): ElementArray[] {
  const { ranks, count, root } = plan;
  const like = inputs[0] as ElementArray;
  const empty = like.slice(0, 0);
  const bounds = chunkBounds(count, ranks);
  const chunk = (a: ElementArray, i: number) => a.slice(bounds[i], bounds[i + 1]);
  const all = Array.from({ length: ranks }, (_, r) => r);
  switch (plan.collective) {
    case 'allreduce': {
      const sum = reduceAll(plan, inputs);
      return all.map(() => sum.slice());
    }
    case 'reduce': {
      const sum = reduceAll(plan, inputs);
      return all.map((r) => (r === root ? sum : empty.slice()));
    }
    case 'broadcast':
      return all.map(() => (inputs[root] as ElementArray).slice());
    case 'reducescatter': {
      const sum = reduceAll(plan, inputs);
      return all.map((r) => chunk(sum, r));
    }
    case 'allgather':
      return all.map(() => concat(inputs, like));
    case 'alltoall':
      return all.map((j) =>
        concat(
          inputs.map((a) => chunk(a, j)),
          like,
        ),
      );
    case 'alltoallv': {
      // Rank j gets rank 0's block for j, then rank 1's, ...: each at its packed offset.
      const counts = plan.exchange?.counts;
      if (!counts) throw new RangeError('an alltoallv plan without its counts');
      return all.map((j) =>
        concat(
          inputs.map((a, i) => {
            const row = counts[i] as readonly number[];
            let at = 0;
            for (let k = 0; k < j; k++) at += row[k] as number;
            return a.slice(at, at + (row[j] as number));
          }),
          like,
        ),
      );
    }
    case 'tensor-parallel':
    case 'training':
    case 'moe':
      throw new RangeError(`a ${plan.collective} plan has no collective semantics: interpret it`);
  }
}
