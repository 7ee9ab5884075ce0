// Compute pipelines with explicit layouts built from wgsl_reflect's reading of the shader (not
// layout: 'auto', whose layouts cannot be shared), cached by source + entry point + constants
// as tfjs-backend-webgpu caches its programs.
import { ResourceType, WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import type { GpuContext } from './device.ts';
import { GpuOperationError, ShaderCompileError, withErrorScopes } from './errors.ts';

export interface ReflectedBinding {
  readonly name: string;
  readonly group: number;
  readonly binding: number;
  readonly type: GPUBufferBindingType;
}

export interface ComputeProgram {
  readonly label: string;
  readonly pipeline: GPUComputePipeline;
  /** One layout per bind group index the entry point uses (0..max). */
  readonly bindGroupLayouts: readonly GPUBindGroupLayout[];
  readonly bindings: readonly ReflectedBinding[];
}

/** The buffer bindings an entry point uses, as wgsl_reflect reads them. */
export function reflectBindings(source: string, entryPoint: string): ReflectedBinding[] {
  const reflect = new WgslReflect(source);
  const entry = reflect.entry.compute.find((f) => f.name === entryPoint);
  if (!entry) throw new Error(`shader has no @compute entry point '${entryPoint}'`);
  const bindings = entry.resources.map((r): ReflectedBinding => {
    let type: GPUBufferBindingType;
    if (r.resourceType === ResourceType.Uniform) type = 'uniform';
    else if (r.resourceType === ResourceType.Storage)
      type = r.access === 'read_write' ? 'storage' : 'read-only-storage';
    else throw new Error(`binding '${r.name}': only buffer bindings are supported`);
    return { name: r.name, group: r.group, binding: r.binding, type };
  });
  // wgsl_reflect lists resources in the order the entry point first uses them.
  return bindings.sort((a, b) => a.group - b.group || a.binding - b.binding);
}

export class PipelineCache {
  private readonly programs = new Map<string, Promise<ComputeProgram>>();

  constructor(private readonly ctx: GpuContext) {}

  /** The program for `source` (already specialized) with these pipeline constants. */
  compute(
    label: string,
    source: string,
    constants: Readonly<Record<string, number>> = {},
    entryPoint = 'main',
  ): Promise<ComputeProgram> {
    const sorted = Object.keys(constants)
      .sort()
      .map((k) => `${k}=${constants[k]}`);
    const key = `${entryPoint}\n${sorted.join(',')}\n${source}`;
    let program = this.programs.get(key);
    if (!program) {
      program = this.build(label, source, constants, entryPoint);
      // A failed build is not cached: the next call reports the error again.
      program.catch(() => this.programs.delete(key));
      this.programs.set(key, program);
    }
    return program;
  }

  get size(): number {
    return this.programs.size;
  }

  private async build(
    label: string,
    source: string,
    constants: Readonly<Record<string, number>>,
    entryPoint: string,
  ): Promise<ComputeProgram> {
    const { device } = this.ctx;
    // A module that does not compile is also a validation error; report the compiler's
    // messages (line:column) rather than the scope's one-line summary.
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ label, code: source });
    const [info, scopeError] = await Promise.all([
      module.getCompilationInfo(),
      device.popErrorScope(),
    ]);
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      throw new ShaderCompileError(
        label,
        errors.map((m) => `${label}:${m.lineNum}:${m.linePos}: ${m.message}`),
      );
    }
    if (scopeError) {
      throw new GpuOperationError(
        `createShaderModule '${label}'`,
        'validation',
        scopeError.message,
      );
    }
    const bindings = reflectBindings(source, entryPoint);
    const groups = bindings.reduce((n, b) => Math.max(n, b.group + 1), 0);
    const bindGroupLayouts: GPUBindGroupLayout[] = [];
    for (let g = 0; g < groups; g++) {
      bindGroupLayouts.push(
        device.createBindGroupLayout({
          label: `${label} group ${g}`,
          entries: bindings
            .filter((b) => b.group === g)
            .map((b) => ({
              binding: b.binding,
              visibility: GPUShaderStage.COMPUTE,
              buffer: { type: b.type },
            })),
        }),
      );
    }
    const pipeline = await withErrorScopes(device, `createComputePipeline '${label}'`, () =>
      device.createComputePipelineAsync({
        label,
        layout: device.createPipelineLayout({ label, bindGroupLayouts }),
        compute: { module, entryPoint, constants: { ...constants } },
      }),
    );
    return { label, pipeline, bindGroupLayouts, bindings };
  }
}
