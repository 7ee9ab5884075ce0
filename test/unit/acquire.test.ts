import { describe, expect, it } from 'vitest';
import { acquireDevice, describeAdapter } from '../../src/gpu/device.ts';
import { NoAdapterError } from '../../src/gpu/errors.ts';
import { browserProvider, type GpuProvider } from '../../src/gpu/provider.ts';

// The GPU provider is injected: a provider whose adapter request fails must produce one error
// listing every attempt and the fixes, for pages and the CLI alike.
describe('acquireDevice without an adapter', () => {
  it('lists what was tried and how to fix it', async () => {
    const provider: GpuProvider = {
      gpu: { requestAdapter: async () => null } as unknown as GPU,
      kind: 'node',
      tried: ['system drivers: no adapter', 'SwiftShader /x/vk_swiftshader_icd.json: no adapter'],
      fixes: ['apt-get install -y chromium libvulkan1'],
      backend: 'vulkan',
      exactTimestamps: true,
    };
    const error = await acquireDevice({ provider }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoAdapterError);
    const message = (error as Error).message;
    expect(message).toContain('system drivers: no adapter');
    expect(message).toContain('requestAdapter(): null');
    expect(message).toContain('apt-get install -y chromium libvulkan1');
  });

  it('in a page without navigator.gpu says why and how to enable WebGPU', async () => {
    const provider = browserProvider({} as Navigator, true);
    const error = (await acquireDevice({ provider }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(NoAdapterError);
    expect(error.message).toContain('navigator.gpu is undefined');
    expect(error.message).toContain('Unsafe WebGPU Support');
    const insecure = browserProvider({} as Navigator, false);
    expect(insecure.tried[0]).toContain('not a secure context');
  });
});

describe('describeAdapter', () => {
  it('names vendor, architecture, description, backend and fallback', () => {
    expect(
      describeAdapter({
        vendor: 'google',
        architecture: 'swiftshader',
        device: '',
        description: 'SwiftShader driver 5.0.0',
        backend: 'vulkan',
        isFallbackAdapter: true,
      }),
    ).toBe(
      'google swiftshader (SwiftShader driver 5.0.0), backend vulkan, software fallback adapter',
    );
  });
});
