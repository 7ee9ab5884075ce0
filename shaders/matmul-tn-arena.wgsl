// C = A^T x B inside a plan, for a weight gradient (dW = X^T dY): A is stored K x M row-major
// (X as the forward pass wrote it, M x K after the transpose), B is K x N, C is M x N, in the
// arena of matmul-arena-dims.wgsl. The tiled kernel asks for A's element (r, p) as
// load_a(r K + p); here that is the stored element (p, r). Transposing in the accessor keeps one
// matmul kernel (and its k order, which the oracle follows) instead of a copy per layout; the
// integer division costs a little on the A tile's loads only.
fn load_a(i: u32) -> f32 {
  let r = i / dims.k;
  let p = i % dims.k;
  return arena[dims.a_off + p * dims.m + r];
}
fn load_b(i: u32) -> f32 { return arena[dims.b_off + i]; }
fn store_c(i: u32, v: f32) { arena[dims.c_off + i] = v; }
