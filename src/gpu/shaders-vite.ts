// The shader library of pages (and of anything Vite builds): shaders/*.wgsl as raw text.
import { libraryFrom, type ShaderLibrary } from './shader-library.ts';

const files = import.meta.glob<string>('../../shaders/*.wgsl', {
  query: '?raw',
  import: 'default',
  eager: true,
});

const sources: Record<string, string> = {};
for (const [path, text] of Object.entries(files)) {
  sources[path.replace(/^.*\//, '').replace(/\.wgsl$/, '')] = text;
}

export const viteShaders: ShaderLibrary = libraryFrom(sources);
