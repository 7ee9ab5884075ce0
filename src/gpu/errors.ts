// Errors that name what was attempted and the numbers involved, so a message on a page or a
// CLI line is enough to act on without a debugger.

/** A validation, out-of-memory or internal error caught by an error scope. */
export class GpuOperationError extends Error {
  constructor(
    readonly operation: string,
    readonly kind: GPUErrorFilter,
    readonly gpuMessage: string,
  ) {
    super(`${operation} failed with a GPU ${kind} error: ${gpuMessage.trim()}`);
    this.name = 'GpuOperationError';
  }
}

/** A request beyond what the device granted, caught before the GPU sees it. */
export class LimitError extends Error {
  constructor(
    readonly what: string,
    readonly value: number,
    readonly limitName: string,
    readonly limit: number,
  ) {
    super(`${what} is ${value} B, beyond this device's ${limitName} of ${limit} B`);
    this.name = 'LimitError';
  }
}

/** WGSL the device refused to compile, with every message and its line:column. */
export class ShaderCompileError extends Error {
  constructor(
    readonly shader: string,
    readonly messages: readonly string[],
  ) {
    super(`shader '${shader}' does not compile:\n  ${messages.join('\n  ')}`);
    this.name = 'ShaderCompileError';
  }
}

/** No adapter could be had; the message lists every attempt and how to fix it. */
export class NoAdapterError extends Error {
  constructor(
    readonly tried: readonly string[],
    readonly fixes: readonly string[],
  ) {
    super(
      `no WebGPU adapter could be acquired.\n  tried:\n    ${tried.join('\n    ')}\n` +
        `  to fix:\n    ${fixes.join('\n    ')}`,
    );
    this.name = 'NoAdapterError';
  }
}

const FILTERS: readonly GPUErrorFilter[] = ['validation', 'out-of-memory', 'internal'];

/**
 * Runs `fn` inside validation, out-of-memory and internal error scopes and throws the first
 * error any of them caught, naming `operation`. WebGPU reports such errors asynchronously and
 * otherwise only to the console; this is how a test or a page sees them.
 */
export async function withErrorScopes<T>(
  device: GPUDevice,
  operation: string,
  fn: () => T | Promise<T>,
): Promise<T> {
  for (const filter of FILTERS) device.pushErrorScope(filter);
  let result: T | undefined;
  let thrown: unknown;
  let threw = false;
  try {
    result = await fn();
  } catch (e) {
    thrown = e;
    threw = true;
  }
  // Scopes pop in reverse order of pushing; pop all of them even when fn threw.
  const caught: (GPUError | null)[] = [];
  for (let i = FILTERS.length - 1; i >= 0; i--) caught[i] = await device.popErrorScope();
  if (threw) throw thrown;
  for (let i = 0; i < FILTERS.length; i++) {
    const error = caught[i];
    if (error) throw new GpuOperationError(operation, FILTERS[i] as GPUErrorFilter, error.message);
  }
  return result as T;
}
