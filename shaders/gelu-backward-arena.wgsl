// The buffers of gelu-backward.wgsl inside a plan: c (the layer's matmul output, m x n), bias
// (n), dy and dz (m x n) are regions of one arena at element offsets (dz may be dy itself:
// element-wise, each invocation reads then writes only its own element). One read-write
// binding, as in matmul-arena.wgsl.
struct Dims {
  count: u32,
  n: u32,
  _pad0: u32,
  _pad1: u32,
  c_off: u32,
  bias_off: u32,
  dy_off: u32,
  dz_off: u32,
}

@group(0) @binding(0) var<storage, read_write> arena: array<f32>;
@group(0) @binding(1) var<uniform> dims: Dims;

fn load_c(i: u32) -> f32 { return arena[dims.c_off + i]; }
fn load_bias(j: u32) -> f32 { return arena[dims.bias_off + j]; }
fn load_dy(i: u32) -> f32 { return arena[dims.dy_off + i]; }
fn store_dz(i: u32, v: f32) { arena[dims.dz_off + i] = v; }
