// Where a GPU comes from is injected, never read from globals inside the library: a page passes
// navigator.gpu, Node passes Dawn's `webgpu` package (see node-provider.ts), a test may pass
// anything that speaks the GPU interface.

export interface GpuProvider {
  /** The entry point to WebGPU: navigator.gpu in a page, Dawn's GPU object in Node. */
  readonly gpu: GPU;
  readonly kind: 'browser' | 'node';
  /** What was tried to get here, in order; reported when no adapter works. */
  readonly tried: readonly string[];
  /** What a user can do when this provider yields no adapter. */
  readonly fixes: readonly string[];
  /** The backend, where the provider knows it (browsers do not say). */
  readonly backend: string;
  /** True when the provider switched off timestamp quantization (Dawn in Node can). */
  readonly exactTimestamps: boolean;
}

const BROWSER_FIXES = [
  'use a browser with WebGPU: Chrome or Edge 113+, Safari 26+, Firefox 141+ on Windows',
  'on Linux Chrome/Chromium: open chrome://flags, enable "Unsafe WebGPU Support" and "Vulkan"',
  'open the page from http://localhost or https (WebGPU needs a secure context)',
];

/** The provider of a page: `navigator.gpu`, or an error saying how to get it. */
export function browserProvider(nav: Navigator, secureContext: boolean): GpuProvider {
  const gpu = (nav as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) {
    const reason = secureContext
      ? 'navigator.gpu is undefined: this browser has WebGPU disabled or lacks it'
      : 'navigator.gpu is undefined: the page is not a secure context (use http://localhost or https)';
    return {
      gpu: undefined as unknown as GPU,
      kind: 'browser',
      tried: [reason],
      fixes: BROWSER_FIXES,
      backend: 'unknown',
      exactTimestamps: false,
    };
  }
  return {
    gpu,
    kind: 'browser',
    tried: ['navigator.gpu'],
    fixes: BROWSER_FIXES,
    backend: 'unknown (browsers do not report it)',
    exactTimestamps: false,
  };
}
