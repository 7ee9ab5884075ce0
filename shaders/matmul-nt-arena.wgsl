// C = A x B^T inside a plan, for an input gradient (dX = dY W^T): A is M x K, B is stored N x K
// row-major (W as the forward pass read it), C is M x N, in the arena of matmul-arena-dims.wgsl.
// The tiled kernel asks for B's element (p, j) as load_b(p N + j); here that is the stored
// element (j, p). See matmul-tn-arena.wgsl for why the accessor transposes.
fn load_a(i: u32) -> f32 { return arena[dims.a_off + i]; }
fn load_b(i: u32) -> f32 {
  let p = i / dims.n;
  let j = i % dims.n;
  return arena[dims.b_off + j * dims.k + p];
}
fn store_c(i: u32, v: f32) { arena[dims.c_off + i] = v; }
