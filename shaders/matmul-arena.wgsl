// The matmul kernels' accessors inside a plan, operands as stored (row-major A M x K, B K x N,
// C M x N at their offsets in the arena of matmul-arena-dims.wgsl). Same accessors as
// matmul-bindings.wgsl, so the kernels are shared.
fn load_a(i: u32) -> f32 { return arena[dims.a_off + i]; }
fn load_b(i: u32) -> f32 { return arena[dims.b_off + i]; }
fn store_c(i: u32, v: f32) { arena[dims.c_off + i] = v; }
