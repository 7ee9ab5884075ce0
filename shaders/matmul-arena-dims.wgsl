// The one binding and the Dims uniform of every matmul inside a plan (src/exec/executor/steps.ts):
// A, B and C are regions of one arena, the storage buffer that holds the rank's buffers, at
// element offsets given with the shape. One read-write binding: WebGPU forbids binding one
// buffer both read-only and writable in a dispatch. The accessors (load_a, load_b, store_c)
// come after: matmul-arena.wgsl as stored, matmul-tn-arena.wgsl and matmul-nt-arena.wgsl
// transposed.
struct Dims {
  m: u32,
  k: u32,
  n: u32,
  _pad0: u32,
  a_off: u32,
  b_off: u32,
  c_off: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<storage, read_write> arena: array<f32>;
@group(0) @binding(1) var<uniform> dims: Dims;
