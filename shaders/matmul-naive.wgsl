// C = A x B in f32, row-major: A is M x K, B is K x N, C is M x N. One output per invocation,
// the k loop in order: the baseline the tiled kernel (matmul-tiled.wgsl) is measured against.
// Invocations outside C (the edge workgroups of any M, N) return before touching memory.

// Buffers, the Dims uniform and load_a/load_b/store_c: matmul-bindings.wgsl (own buffers) or
// matmul-arena.wgsl (regions of a plan's arena), prepended by the shader library.

override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let col = gid.x;
  let row = gid.y;
  if (row >= dims.m || col >= dims.n) {
    return;
  }
  var acc = 0.0;
  for (var p = 0u; p < dims.k; p++) {
    acc = acc + load_a(row * dims.k + p) * load_b(p * dims.n + col);
  }
  store_c(row * dims.n + col, acc);
}
