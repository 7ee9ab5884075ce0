// The buffers of gelu-backward.wgsl inside a plan: z (the saved pre-activation), dy and dz are
// regions of one arena at element offsets (dz may be dy itself: element-wise, each invocation
// reads then writes only its own element). One read-write binding, as in matmul-arena.wgsl.
struct Dims {
  count: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
  z_off: u32,
  dy_off: u32,
  dz_off: u32,
  _pad3: u32,
}

@group(0) @binding(0) var<storage, read_write> arena: array<f32>;
@group(0) @binding(1) var<uniform> dims: Dims;

fn load_z(i: u32) -> f32 { return arena[dims.z_off + i]; }
fn load_dy(i: u32) -> f32 { return arena[dims.dy_off + i]; }
fn store_dz(i: u32, v: f32) { arena[dims.dz_off + i] = v; }
