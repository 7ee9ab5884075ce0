// The buffers of mse-grad.wgsl inside a plan: y, target and dy are regions of one arena at
// element offsets (dy may be y itself); the scale 2 / total is an f32 in the uniform.
struct Dims {
  count: u32,
  scale: f32,
  _pad0: u32,
  _pad1: u32,
  y_off: u32,
  target_off: u32,
  dy_off: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<storage, read_write> arena: array<f32>;
@group(0) @binding(1) var<uniform> dims: Dims;

fn load_y(i: u32) -> f32 { return arena[dims.y_off + i]; }
fn load_target(i: u32) -> f32 { return arena[dims.target_off + i]; }
fn store_dy(i: u32, v: f32) { arena[dims.dy_off + i] = v; }
