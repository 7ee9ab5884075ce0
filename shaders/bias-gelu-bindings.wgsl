// The buffers of bias-gelu.wgsl when x, bias and y are buffers of their own.
struct Dims {
  // Lanes in the matrix (M N / width) and in one row (N / width).
  lanes: u32,
  row_lanes: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<storage, read> x: array<Lane>;
@group(0) @binding(1) var<storage, read> bias: array<Lane>;
@group(0) @binding(2) var<storage, read_write> y: array<Lane>;
@group(0) @binding(3) var<uniform> dims: Dims;

fn load_x(i: u32) -> Lane { return x[i]; }
fn load_bias(i: u32) -> Lane { return bias[i]; }
fn store_y(i: u32, v: Lane) { y[i] = v; }
