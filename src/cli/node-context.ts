// The CLI's GPU: Dawn in Node through the same acquireDevice as pages and tests.
import { acquireDevice, type GpuContext } from '../gpu/device.ts';
import { nodeProvider } from '../gpu/node-provider.ts';

export interface CliContextOptions {
  /** Switch off Dawn's bounds clamping of storage accesses (faster; kernels check their own). */
  readonly noRobustness?: boolean;
}

export async function cliContext(options: CliContextOptions = {}): Promise<GpuContext> {
  const flags = options.noRobustness ? ['enable-dawn-features=disable_robustness'] : [];
  const provider = await nodeProvider({ flags });
  return acquireDevice({
    provider,
    label: 'fleetlab cli',
    onLost: (info) => {
      process.stderr.write(`fleetlab: GPU device lost (${info.reason}): ${info.message}\n`);
      process.exit(1);
    },
  });
}
