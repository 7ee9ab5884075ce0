// The buffers of bias-gelu.wgsl inside a plan (src/exec/executor/steps.ts): x, bias and y are
// regions of one arena at lane offsets given with the sizes (y may be x itself: element-wise,
// each lane reads then writes only its own element). One read-write binding, as in
// matmul-arena.wgsl.
struct Dims {
  lanes: u32,
  row_lanes: u32,
  _pad0: u32,
  _pad1: u32,
  x_off: u32,
  bias_off: u32,
  y_off: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<storage, read_write> arena: array<Lane>;
@group(0) @binding(1) var<uniform> dims: Dims;

fn load_x(i: u32) -> Lane { return arena[dims.x_off + i]; }
fn load_bias(i: u32) -> Lane { return arena[dims.bias_off + i]; }
fn store_y(i: u32, v: Lane) { arena[dims.y_off + i] = v; }
