// Each row of an m x n matrix times its own scale: y[i][j] = s[i] x[i][j]. A mixture-of-experts
// layer weights each expert's output row by the router's gate for that token before the combine
// adds a token's k rows. One multiplication, correctly rounded in WGSL: the CPU oracle
// (src/kernels/scale-rows.ts) matches bit for bit.

// Buffers, the Dims uniform and the accessors: scale-rows-arena.wgsl.

override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(
  @builtin(global_invocation_id) gid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
) {
  let i = gid.y * (nwg.x * WG) + gid.x;
  if (i >= dims.m * dims.n) {
    return;
  }
  store_y(i, load_s(i / dims.n) * load_x(i));
}
