// The buffers of scale-rows.wgsl inside a plan: x, s and y are regions of one arena at element
// offsets (y may be x itself).
struct Dims {
  m: u32,
  n: u32,
  _pad0: u32,
  _pad1: u32,
  x_off: u32,
  s_off: u32,
  y_off: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<storage, read_write> arena: array<f32>;
@group(0) @binding(1) var<uniform> dims: Dims;

fn load_x(i: u32) -> f32 { return arena[dims.x_off + i]; }
fn load_s(row: u32) -> f32 { return arena[dims.s_off + row]; }
fn store_y(i: u32, v: f32) { arena[dims.y_off + i] = v; }
