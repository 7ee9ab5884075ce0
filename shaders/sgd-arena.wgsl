// The buffers of sgd.wgsl inside a plan: w, g, lr (one element) and w_out are regions of one
// arena at element offsets (w_out is w itself when the update runs in place).
struct Dims {
  count: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
  w_off: u32,
  g_off: u32,
  lr_off: u32,
  out_off: u32,
}

@group(0) @binding(0) var<storage, read_write> arena: array<f32>;
@group(0) @binding(1) var<uniform> dims: Dims;

fn load_w(i: u32) -> f32 { return arena[dims.w_off + i]; }
fn load_g(i: u32) -> f32 { return arena[dims.g_off + i]; }
fn load_lr() -> f32 { return arena[dims.lr_off]; }
fn store_w(i: u32, v: f32) { arena[dims.out_off + i] = v; }
