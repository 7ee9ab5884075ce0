// The shader library of Node (CLI, tests, benchmarks): the same shaders/*.wgsl files, read from
// disk beside this package.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { libraryFrom, type ShaderLibrary } from './shader-library.ts';

const dir = fileURLToPath(new URL('../../shaders/', import.meta.url));

function load(): ShaderLibrary {
  const sources: Record<string, string> = {};
  for (const file of readdirSync(dir)) {
    if (file.endsWith('.wgsl')) sources[file.slice(0, -5)] = readFileSync(dir + file, 'utf8');
  }
  return libraryFrom(sources);
}

export const nodeShaders: ShaderLibrary = load();
