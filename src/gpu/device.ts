// One way to get a device, anywhere: acquireDevice(provider) asks for the adapter's own limits
// (not WebGPU's small defaults) and for timestamp-query where offered, and reports what it got.
import { NoAdapterError } from './errors.ts';
import type { GpuProvider } from './provider.ts';

/** The limits fleetlab raises to the adapter's own; every other limit keeps its default. */
export const REQUESTED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

export type GrantedLimits = Record<(typeof REQUESTED_LIMITS)[number], number> & {
  readonly minStorageBufferOffsetAlignment: number;
};

export interface AdapterReport {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  readonly backend: string;
  readonly isFallbackAdapter: boolean;
}

export interface GpuContext {
  readonly device: GPUDevice;
  readonly provider: GpuProvider;
  readonly adapter: AdapterReport;
  readonly limits: GrantedLimits;
  readonly features: { readonly timestampQuery: boolean; readonly shaderF16: boolean };
  /** Resolves when the device is lost (destroyed or by the system), with the reason. */
  readonly lost: Promise<GPUDeviceLostInfo>;
}

export interface AcquireOptions {
  readonly provider: GpuProvider;
  readonly powerPreference?: GPUPowerPreference;
  readonly label?: string;
  /** Called once if the device is lost for any reason but our own destroy(). */
  readonly onLost?: (info: GPUDeviceLostInfo) => void;
}

/** A short, human line naming the adapter, for tables and pages. */
export function describeAdapter(a: AdapterReport): string {
  const name = [a.vendor, a.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  const parts = [a.description ? `${name} (${a.description})` : name, `backend ${a.backend}`];
  if (a.isFallbackAdapter) parts.push('software fallback adapter');
  return parts.join(', ');
}

/**
 * Requests an adapter and a device from the provider. Each call asks for a fresh adapter (an
 * adapter gives one device), so a page can start again after device loss without a reload.
 */
export async function acquireDevice(options: AcquireOptions): Promise<GpuContext> {
  const { provider } = options;
  if (!provider.gpu) throw new NoAdapterError(provider.tried, provider.fixes);
  const adapter = await provider.gpu.requestAdapter({
    powerPreference: options.powerPreference ?? 'high-performance',
  });
  if (!adapter) {
    throw new NoAdapterError([...provider.tried, 'requestAdapter(): null'], provider.fixes);
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of REQUESTED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const requiredFeatures: GPUFeatureName[] = [];
  for (const f of ['timestamp-query', 'shader-f16'] as const) {
    if (adapter.features.has(f)) requiredFeatures.push(f);
  }
  const device = await adapter.requestDevice({
    label: options.label ?? 'fleetlab',
    requiredLimits,
    requiredFeatures,
  });
  const info = adapter.info;
  const limits = {
    minStorageBufferOffsetAlignment: device.limits.minStorageBufferOffsetAlignment,
  } as Record<string, number>;
  for (const name of REQUESTED_LIMITS) limits[name] = device.limits[name];
  const lost = device.lost;
  lost.then((lostInfo) => {
    if (lostInfo.reason !== 'destroyed') options.onLost?.(lostInfo);
  });
  return {
    device,
    provider,
    adapter: {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      backend: provider.backend,
      isFallbackAdapter: Boolean(info.isFallbackAdapter),
    },
    limits: limits as GrantedLimits,
    features: {
      timestampQuery: device.features.has('timestamp-query'),
      shaderF16: device.features.has('shader-f16'),
    },
    lost,
  };
}
