import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { reflectBindings } from '../../src/gpu/pipelines.ts';
import { compose, libraryFrom, specialize } from '../../src/gpu/shader-library.ts';
import { nodeShaders } from '../../src/gpu/shaders-node.ts';

describe('shader library', () => {
  it('reads shaders/*.wgsl by base name, the same text as on disk', () => {
    const disk = readFileSync(new URL('../../shaders/step.wgsl', import.meta.url), 'utf8');
    expect(nodeShaders('step')).toBe(disk);
  });

  it('names the missing shader and the ones it has', () => {
    const lib = libraryFrom({ a: '', b: '' });
    expect(() => lib('c')).toThrow("no shader 'c.wgsl' in shaders/ (have: a, b)");
  });

  it('rebinds a declared alias and refuses an undeclared one', () => {
    const src = 'alias Lane = f32;\nvar<private> x: Lane;';
    expect(specialize(src, { Lane: 'vec4<i32>' })).toBe(
      'alias Lane = vec4<i32>;\nvar<private> x: Lane;',
    );
    expect(() => specialize(src, { Elem: 'i32' })).toThrow("declares no 'alias Elem");
  });
});

describe('reflectBindings (wgsl_reflect)', () => {
  it('reads the step kernel between two arenas as read-only src, op table, read-write dst', () => {
    const bindings = reflectBindings(
      specialize(compose(nodeShaders, ['combine', 'arena-two', 'step']), { Lane: 'vec4<i32>' }),
      'main',
    );
    expect(bindings).toEqual([
      { name: 'src_arena', group: 0, binding: 0, type: 'read-only-storage' },
      { name: 'ops', group: 0, binding: 1, type: 'read-only-storage' },
      { name: 'dst_arena', group: 0, binding: 2, type: 'storage' },
    ]);
  });

  it('names a missing entry point', () => {
    expect(() => reflectBindings(nodeShaders('noop'), 'other')).toThrow(
      "no @compute entry point 'other'",
    );
  });
});

describe('compose', () => {
  it('joins shaders in order, each under a line naming its file', () => {
    const lib = libraryFrom({ a: 'fn a() {}', b: 'fn b() {}' });
    expect(compose(lib, ['a', 'b'])).toBe('// ---- a.wgsl\nfn a() {}\n// ---- b.wgsl\nfn b() {}');
  });
});
