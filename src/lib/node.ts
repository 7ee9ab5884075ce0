// fleetlab/node: what only Node has. Dawn's WebGPU (the `webgpu` package, falling back to
// SwiftShader's Vulkan from an installed Chrome or Chromium) and the shaders read from the
// package's shaders/ folder. Kept out of the other entry points so a bundled page never pulls
// in node:fs.
export { type NodeProviderOptions, nodeProvider } from '../gpu/node-provider.ts';
export { nodeShaders } from '../gpu/shaders-node.ts';
