// The shape of the step kernel (shaders/step.wgsl) and the codes of its pipeline constants.
import type { RedOp } from '../../plans/dtype.ts';

export interface KernelConfig {
  readonly workgroupSize: number;
  readonly lanesPerInvocation: number;
  /** Use vec4 lanes where every op of a dispatch starts and ends on 4-element boundaries. */
  readonly vectorize: boolean;
}

export const DEFAULT_KERNEL_CONFIG: KernelConfig = {
  workgroupSize: 64,
  lanesPerInvocation: 8,
  vectorize: true,
};

/** combine.wgsl's REDOP codes. */
export const REDOP_CODE: Readonly<Record<RedOp, number>> = { sum: 1, prod: 2, max: 3, min: 4 };
