// Every kernel by name: the validator, the interpreter, the executor, the pricer's callers and
// the view look a plan's kernel task up here, so adding a kernel is its file, its shader and a
// line below.
import { attentionKernel } from './attention.ts';
import { pagedAttentionKernel } from './attention-paged.ts';
import { biasGeluKernel } from './bias-gelu.ts';
import { columnSumKernel } from './column-sum.ts';
import { geluBackwardKernel } from './gelu-backward.ts';
import type { AnyKernel } from './kernel.ts';
import { matmulKernel } from './matmul.ts';
import { matmulNtKernel, matmulTnKernel } from './matmul-transposed.ts';
import { mseGradKernel } from './mse-grad.ts';
import { scaleRowsKernel } from './scale-rows.ts';
import { sgdKernel } from './sgd.ts';

export const KERNELS: Readonly<Record<string, AnyKernel>> = Object.fromEntries(
  [
    matmulKernel,
    biasGeluKernel,
    attentionKernel,
    pagedAttentionKernel,
    // The backward pass and the optimizer of a training step.
    matmulTnKernel,
    matmulNtKernel,
    geluBackwardKernel,
    mseGradKernel,
    columnSumKernel,
    sgdKernel,
    // A mixture-of-experts layer: each expert's output row weighted by its token's gate.
    scaleRowsKernel,
  ].map((k) => [k.name, k]),
);

/** The kernel called `name`, or a RangeError listing the ones there are. */
export function kernelFor(name: string): AnyKernel {
  const kernel = Object.hasOwn(KERNELS, name) ? KERNELS[name] : undefined;
  if (!kernel) {
    throw new RangeError(`no kernel '${name}' (have: ${Object.keys(KERNELS).join(', ')})`);
  }
  return kernel;
}
