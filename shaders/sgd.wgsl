// Plain SGD: w <- w - lr g, element-wise. The learning rate is a one-element operand, not a
// constant: it is data a schedule may change step to step without a new pipeline (PyTorch's
// capturable optimizers take it as a tensor for the same reason). A compiler may fuse the
// multiply and subtract into an fma; the tolerance (src/kernels/sgd.ts) allows for it.

// Buffers, the Dims uniform and the accessors: sgd-arena.wgsl.

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
  store_w(i, load_w(i) - load_lr() * load_g(i));
}
