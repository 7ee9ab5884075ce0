// The GPU every GPU test shares: Dawn in Node (hardware, else SwiftShader), one device per test
// file; setup.ts destroys it after each file so the runner can exit.
import { acquireDevice, type GpuContext } from '../../src/gpu/device.ts';
import { nodeProvider } from '../../src/gpu/node-provider.ts';

let current: Promise<GpuContext> | undefined;

export function testContext(): Promise<GpuContext> {
  current ??= nodeProvider().then((provider) =>
    acquireDevice({
      provider,
      label: 'fleetlab test',
      onLost: (info) => {
        throw new Error(`GPU device lost during tests (${info.reason}): ${info.message}`);
      },
    }),
  );
  return current;
}

export async function destroyTestContext(): Promise<void> {
  const ctx = current;
  current = undefined;
  (await ctx)?.device.destroy();
}
