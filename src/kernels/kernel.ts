// What a kernel is, for every reader of a plan: its operands (sized from its params), its CPU
// oracle and tolerance, its flops and bytes, and how it runs on the GPU. Everything here is
// plain data and pure functions, and src/kernels/ imports nothing outside itself: plans (the
// validator, the builders) and the model may read a kernel without pulling in the GPU, and the
// executor turns a kernel's launch (shader files, aliases, constants, uniform words, grid) into
// a pipeline and a dispatch in one place (src/exec/kernels/dispatch.ts).

/** A kernel's params: whole numbers >= 1 (sizes), by name. */
export type KernelParams = Readonly<Record<string, number>>;

/**
 * One operand of a kernel: `count` elements (f32 unless `dtype` says u32), read, written, or
 * written and read back as working space (scratch: not a result, the oracle leaves it alone).
 * `inPlaceOf` names an input this output may be exactly (an element-wise kernel in place).
 */
export interface Operand {
  readonly name: string;
  readonly count: number;
  readonly access: 'read' | 'write' | 'scratch';
  readonly dtype?: 'f32' | 'u32';
  readonly inPlaceOf?: string;
}

/** A plan's kernel task: which kernel, on which rank, its operands' places and its params. */
export interface KernelCall<Place, P extends KernelParams = KernelParams> {
  readonly kind: 'kernel';
  readonly kernel: string;
  readonly rank: number;
  readonly operands: Readonly<Record<string, Place>>;
  readonly params: P;
}

/** What the executor compiles: shader files joined in order, aliases rebound, constants. */
export interface KernelProgram {
  /** The pipeline's label (the cache keys programs by source and constants, not by this). */
  readonly label: string;
  readonly shaders: readonly string[];
  readonly aliases: Readonly<Record<string, string>>;
  readonly constants: Readonly<Record<string, number>>;
}

/** One dispatch of a kernel: its program, the words of its uniform, its workgroup grid. */
export interface KernelLaunch {
  readonly program: KernelProgram;
  readonly uniform: Uint32Array<ArrayBuffer>;
  readonly workgroups: readonly [number, number, number];
}

/** The adapter limits a launch must respect. */
export interface LaunchLimits {
  readonly maxComputeWorkgroupsPerDimension: number;
}

/** Inputs and outputs of an oracle, by operand name. */
export type OperandValues = Readonly<Record<string, ArrayLike<number>>>;

export interface Kernel<P extends KernelParams = KernelParams> {
  readonly name: string;
  /** What it computes, in a few words (captions, error messages). */
  readonly title: string;
  /** Its params in order (the order a shape is written: m x k x n). */
  readonly params: readonly string[];
  /** Checks what whole sizes >= 1 do not already guarantee; returns why not, or undefined. */
  check?(p: P): string | undefined;
  /** Every operand, in binding order (the order `buffers` binds them). */
  operands(p: P): readonly Operand[];
  /** The written operands (not scratch) computed on the CPU from the others. */
  oracle(p: P, inputs: OperandValues): Readonly<Record<string, Float32Array>>;
  /** The largest |gpu - oracle| allowed per element of each written operand. */
  tolerance(p: P, inputs: OperandValues): Readonly<Record<string, Float64Array>>;
  /**
   * Model FLOPs as MFU counts them (PaLM, Chowdhery et al. 2022, app. B): 2 per multiply-add
   * of a matmul or of attention; element-wise work counts 0, its cost is its bytes.
   */
  flops(p: P): number;
  /** Bytes it must move at least: each operand read or written once, scratch left out. */
  bytes(p: P): number;
  /** Its dispatch inside a plan: every operand a region of one arena, `at` its first element. */
  arena?(p: P, at: (operand: string) => number, limits: LaunchLimits): KernelLaunch;
  /** Its dispatch with each operand a buffer of its own, bound in operand order, then the uniform. */
  buffers?(p: P, limits: LaunchLimits): KernelLaunch;
}

/**
 * A kernel of any params, as the registry holds them. The members are methods, not function
 * properties, so that a Kernel<MatmulParams> is one (method parameters are bivariant).
 */
export type AnyKernel = Kernel<KernelParams>;

/** `op`'s params typed as `kernel`'s, or a RangeError when `op` runs another kernel. */
export function paramsOf<P extends KernelParams>(
  kernel: Kernel<P>,
  op: { readonly kernel: string; readonly params: KernelParams },
): P {
  if (op.kernel !== kernel.name) {
    throw new RangeError(`a ${op.kernel} op has no ${kernel.name} params`);
  }
  return op.params as P;
}

/** The values of operand `name`, or a RangeError naming it. */
export function operandValue(values: OperandValues, name: string): ArrayLike<number> {
  const v = values[name];
  if (!v) throw new RangeError(`no values given for operand '${name}'`);
  return v;
}

/** Uniform words: u32 values, with f32 values written at the given word indices. */
export function uniformWords(
  words: readonly number[],
  floats: Readonly<Record<number, number>> = {},
): Uint32Array<ArrayBuffer> {
  const out = new Uint32Array(words);
  const f = new Float32Array(out.buffer);
  for (const [i, v] of Object.entries(floats)) f[Number(i)] = v;
  return out;
}

/** Workgroups (x, y) of `wg` invocations for `lanes` lanes, x capped at `maxPerDim` (2-D grid). */
export function laneGrid(lanes: number, wg: number, maxPerDim: number): [number, number, number] {
  const groups = Math.ceil(lanes / wg);
  const x = Math.max(1, Math.min(groups, maxPerDim));
  return [x, Math.ceil(groups / x), 1];
}
