// The one file of src/gpu that touches Node: Dawn's `webgpu` package, the environment and the
// file system. Imported by the CLI, tests and benchmarks, never by pages.
import { existsSync, mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, globals } from 'webgpu';
import type { GpuProvider } from './provider.ts';

export interface NodeProviderOptions {
  /** Extra Dawn instance flags, e.g. 'enable-dawn-features=disable_robustness'. */
  readonly flags?: readonly string[];
  /** Look for SwiftShader even when a hardware adapter exists (for reproducible CI numbers). */
  readonly forceSwiftShader?: boolean;
}

// Dawn rounds timestamps to a 65,536 ns grid unless told not to (shared/PLATFORM.md).
const EXACT_TIMESTAMPS = 'disable-dawn-features=timestamp_quantization';

/** Where Chrome and Chromium ship SwiftShader's Vulkan driver, most common first. */
export function swiftShaderCandidates(home = homedir()): string[] {
  const icd = 'vk_swiftshader_icd.json';
  return [
    `/usr/lib/chromium/${icd}`,
    `/usr/lib/chromium-browser/${icd}`,
    `/usr/lib64/chromium-browser/${icd}`,
    `/snap/chromium/current/usr/lib/chromium-browser/${icd}`,
    `/opt/google/chrome/${icd}`,
    `/opt/google/chrome-beta/${icd}`,
    `/opt/google/chrome-unstable/${icd}`,
    join(home, '.cache/puppeteer/chrome', icd),
  ];
}

const VULKAN_LOADERS = [
  '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
  '/usr/lib/aarch64-linux-gnu/libvulkan.so.1',
  '/usr/lib64/libvulkan.so.1',
  '/usr/lib/libvulkan.so.1',
];

const NODE_FIXES = [
  'on Debian/Ubuntu without a GPU: apt-get install -y chromium libvulkan1 (SwiftShader and the Vulkan loader)',
  'or point VK_ICD_FILENAMES at a Vulkan driver manifest (vk_swiftshader_icd.json inside Chrome/Chromium)',
  'with a GPU: install its Vulkan (Linux), Metal (macOS) or D3D12 (Windows) driver',
];

function backendOfPlatform(): string {
  if (process.platform === 'darwin') return 'metal (from platform)';
  if (process.platform === 'win32') return 'd3d12 (from platform)';
  return 'vulkan (from platform)';
}

/**
 * Dawn in Node, preferring a hardware adapter; without one, SwiftShader's Vulkan driver from
 * an installed Chrome or Chromium. Resolves with the first GPU object that yields an adapter,
 * or with one that yields none and lists everything tried (acquireDevice then throws).
 */
export async function nodeProvider(options: NodeProviderOptions = {}): Promise<GpuProvider> {
  Object.assign(globalThis, globals); // GPUBufferUsage, GPUMapMode, ... as pages have them
  // SwiftShader complains on stderr when XDG_RUNTIME_DIR is unset; give it a private one.
  if (!process.env.XDG_RUNTIME_DIR) {
    process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'fleetlab-xdg-'));
  }
  const flags = [EXACT_TIMESTAMPS, ...(options.flags ?? [])];
  const tried: string[] = [];
  const provider = (gpu: GPU): GpuProvider => ({
    gpu,
    kind: 'node',
    tried,
    fixes: NODE_FIXES,
    backend: backendOfPlatform(),
    exactTimestamps: true,
  });

  const userIcd = process.env.VK_ICD_FILENAMES;
  if (userIcd) {
    tried.push(`VK_ICD_FILENAMES=${userIcd} (set by the user)`);
    return provider(create(flags) as unknown as GPU);
  }

  let fallback: GPU | undefined;
  if (!options.forceSwiftShader) {
    const gpu = create(flags) as unknown as GPU;
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (adapter && !adapter.info.isFallbackAdapter) {
      tried.push(
        `system drivers: hardware adapter ${adapter.info.vendor} ${adapter.info.architecture}`,
      );
      return provider(gpu);
    }
    tried.push(
      adapter ? 'system drivers: only a fallback (software) adapter' : 'system drivers: no adapter',
    );
    if (adapter) fallback = gpu;
  }

  if (process.platform === 'linux' && !VULKAN_LOADERS.some((p) => existsSync(p))) {
    tried.push(`Vulkan loader libvulkan.so.1: not found in ${VULKAN_LOADERS.join(', ')}`);
  }
  for (const icd of swiftShaderCandidates()) {
    if (!existsSync(icd)) continue;
    // The Vulkan loader reads this when Dawn creates its instance, so set it before create().
    process.env.VK_ICD_FILENAMES = icd;
    const gpu = create(flags) as unknown as GPU;
    const adapter = await gpu.requestAdapter();
    if (adapter) {
      tried.push(`SwiftShader ${icd}: adapter ${adapter.info.description}`);
      return provider(gpu);
    }
    tried.push(`SwiftShader ${icd}: no adapter`);
    delete process.env.VK_ICD_FILENAMES;
  }
  if (!tried.some((t) => t.startsWith('SwiftShader'))) {
    tried.push(`SwiftShader: no vk_swiftshader_icd.json in ${swiftShaderCandidates().join(', ')}`);
  }
  return provider(fallback ?? (create(flags) as unknown as GPU));
}
