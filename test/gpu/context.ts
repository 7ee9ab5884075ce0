// The GPU every GPU test shares: Dawn in Node (hardware, else SwiftShader), one device per test
// file, destroyed after it so the runner can exit.
import { afterAll } from 'vitest';
import { acquireDevice, type GpuContext } from '../../src/gpu/device.ts';
import { nodeProvider } from '../../src/gpu/node-provider.ts';

let current: Promise<GpuContext> | undefined;

export function testContext(): Promise<GpuContext> {
  if (!current) {
    current = nodeProvider().then((provider) =>
      acquireDevice({ provider, label: 'fleetlab test' }),
    );
    afterAll(async () => {
      (await current)?.device.destroy();
      current = undefined;
    });
  }
  return current;
}
