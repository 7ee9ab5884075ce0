// s_j = sum_i x_ij over the rows of an m x n row-major matrix: a bias's gradient (db = the
// column sums of dz). One invocation a column, adding rows in order 0..m-1, so the sum's order
// is fixed and the CPU oracle (src/kernels/column-sum.ts) matches bit for bit. A column's loads
// are n apart, but the invocations of a workgroup read neighbouring columns of one row together.
// The grid is 2-D (x wraps at the dispatch width) so any n fits the per-dimension limit.

// Buffers, the Dims uniform and load_x/store_s: column-sum-arena.wgsl.

override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(
  @builtin(global_invocation_id) gid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
) {
  let j = gid.y * (nwg.x * WG) + gid.x;
  if (j >= dims.n) {
    return;
  }
  var s = 0.0;
  for (var i = 0u; i < dims.m; i++) {
    s = s + load_x(i * dims.n + j);
  }
  store_s(j, s);
}
