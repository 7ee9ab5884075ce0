// The gradient of a mean squared error loss L = (1 / total) sum (y - target)^2 with respect to
// the prediction: dy = (y - target) * (2 / total). `total` counts the elements of the whole
// batch, not of this rank's slice, so a data-parallel rank's gradient is its share of the global
// loss's and the ranks' gradients sum (AllReduce, no averaging) to the full batch's. One
// subtraction and one multiplication, each correctly rounded in WGSL: the CPU oracle
// (src/kernels/mse-grad.ts) matches bit for bit.

// Buffers, the Dims uniform and the accessors: mse-grad-arena.wgsl.

override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(
  @builtin(global_invocation_id) gid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
) {
  let i = gid.y * (nwg.x * WG) + gid.x;
  if (i >= dims.count) {
    return;
  }
  store_dy(i, (load_y(i) - load_target(i)) * dims.scale);
}
