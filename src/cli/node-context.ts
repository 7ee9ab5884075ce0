// The CLI's GPU: Dawn in Node through the same acquireDevice as pages and tests.
import { acquireDevice, describeAdapter, type GpuContext } from '../gpu/device.ts';
import { nodeProvider } from '../gpu/node-provider.ts';

export interface CliContextOptions {
  /** Switch off Dawn's bounds clamping of storage accesses (faster; kernels check their own). */
  readonly noRobustness?: boolean;
}

let explained = false;

/**
 * Dawn writes "Warning: Vulkan shaderUniform*ArrayDynamicIndexing required. - While
 * initializing adapter" (and the like) straight to stderr from C++ when the system's Vulkan
 * drivers offer a device it cannot use, typically Mesa's lavapipe on a machine without a GPU;
 * no JavaScript can intercept it. It reads like an error, so say once, on a line of its own
 * (not a 'fleetlab:' line, which is reserved for failures), what it is. Real Dawn errors still
 * come through: this explains, it hides nothing.
 */
function explainDawnWarning(tried: readonly string[], adapter: string): void {
  if (explained || process.platform !== 'linux') return;
  if (!tried.some((t) => t.startsWith('system drivers: no') || t.includes('only a fallback'))) {
    return;
  }
  explained = true;
  process.stderr.write(
    `note: a "Warning: Vulkan ..." from Dawn above is it passing over a system Vulkan driver that cannot run WebGPU; not an error: fleetlab runs on ${adapter}\n`,
  );
}

export async function cliContext(options: CliContextOptions = {}): Promise<GpuContext> {
  const flags = options.noRobustness ? ['enable-dawn-features=disable_robustness'] : [];
  const provider = await nodeProvider({ flags });
  const ctx = await acquireDevice({
    provider,
    label: 'fleetlab cli',
    onLost: (info) => {
      process.stderr.write(`fleetlab: GPU device lost (${info.reason}): ${info.message}\n`);
      process.exit(1);
    },
  });
  explainDawnWarning(provider.tried, describeAdapter(ctx.adapter));
  return ctx;
}
