// The buffers of every matmul kernel (matmul-naive.wgsl, matmul-tiled.wgsl prepend this or
// matmul-arena.wgsl): C = A x B in f32, row-major, A is M x K, B is K x N, C is M x N; the
// shape in a uniform. Here A, B and C are buffers of their own; the kernels reach them only
// through load_a, load_b and store_c.
struct Dims {
  m: u32,
  k: u32,
  n: u32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> dims: Dims;

fn load_a(i: u32) -> f32 { return a[i]; }
fn load_b(i: u32) -> f32 { return b[i]; }
fn store_c(i: u32, v: f32) { c[i] = v; }
