// shaders/*.wgsl are the single source of WGSL for pages and Node. A ShaderLibrary maps a file's
// base name ('elementwise') to its text; pages build one from Vite's ?raw imports
// (shaders-vite.ts), Node from the file system (shaders-node.ts).

export type ShaderLibrary = (name: string) => string;

/**
 * Rebinds `alias NAME = ...;` declarations of a shader to the given types: how one source
 * serves f32 and i32, scalar and vec4 lanes. Only aliases the source declares may be rebound,
 * so a typo fails loudly instead of compiling the default.
 */
export function specialize(source: string, aliases: Readonly<Record<string, string>>): string {
  let out = source;
  for (const [name, type] of Object.entries(aliases)) {
    const pattern = new RegExp(`^alias\\s+${name}\\s*=\\s*[^;]+;`, 'm');
    if (!pattern.test(out)) throw new Error(`shader declares no 'alias ${name} = ...;' to rebind`);
    out = out.replace(pattern, `alias ${name} = ${type};`);
  }
  return out;
}

/**
 * Joins shaders into one module, in order: WGSL has no includes, so a kernel names the files
 * it needs (combine.wgsl, an arena binding file) and they are compiled as one source.
 * Module-scope declarations may come in any order in WGSL, so the order only matters to
 * line numbers in compiler messages.
 */
export function compose(library: ShaderLibrary, names: readonly string[]): string {
  return names.map((n) => `// ---- ${n}.wgsl\n${library(n)}`).join('\n');
}

/** A library over a record of sources keyed by base name, with a clear error for a miss. */
export function libraryFrom(sources: Readonly<Record<string, string>>): ShaderLibrary {
  return (name) => {
    const source = sources[name];
    if (source === undefined) {
      const known = Object.keys(sources).sort().join(', ');
      throw new Error(`no shader '${name}.wgsl' in shaders/ (have: ${known})`);
    }
    return source;
  };
}
