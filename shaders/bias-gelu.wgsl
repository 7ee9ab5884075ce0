// y = GeLU(x + bias[col]) over an M x N row-major f32 matrix (bias: N values), fused in one pass:
// each activation is read once and written once. Two separate element-wise kernels (bias, then
// GeLU) would read and write the whole matrix twice; the op does ~20 flops per 8 bytes moved,
// so it is memory bound and fusing halves its time (the bias row is N values, cached).
//
// GeLU is the tanh approximation that GPT-2 and Megatron-LM use:
//     gelu(z) = 0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))
// The tanh argument is clamped to [-10, 10]: tanh(+-10) is +-1 in f32 already, and a tanh
// built from exp (inf / inf) would give NaN for huge |z|; the CPU oracle
// (src/kernels/bias-gelu.ts) clamps the same way. WGSL's tanh is not correctly rounded, so the
// GeLU result is compared within a tolerance (src/kernels/bias-gelu.ts derives it); bias only is one
// correctly rounded f32 add and matches the CPU bit for bit.
//
// Lane is f32, or vec4f when N % 4 == 0 (src/kernels/bias-gelu.ts specializes it): a row is then
// N / 4 whole vec4s and bias lane j % (N / 4) lines up with it. One invocation per lane; the
// grid is 2-D (x wraps at the dispatch width) so any count of lanes fits the per-dimension
// workgroup limit, and lanes past the end do nothing.

alias Lane = f32;

// Buffers, the Dims uniform (dims.lanes: lanes in the matrix, M N / width; dims.row_lanes: in
// one row, N / width) and load_x/load_bias/store_y: bias-gelu-bindings.wgsl (own buffers) or
// bias-gelu-arena.wgsl (regions of a plan's arena), prepended by the shader library.

override WG: u32 = 64u;
// Which halves run: both (bias then GeLU), bias only, or GeLU only.
override HAS_BIAS: bool = true;
override HAS_GELU: bool = true;

const SQRT_2_OVER_PI: f32 = 0.7978845608028654;
const GELU_C: f32 = 0.044715;
const TANH_CLAMP: f32 = 10.0;

fn gelu(z: Lane) -> Lane {
  let z3 = z * z * z;
  let u = clamp(SQRT_2_OVER_PI * (z + GELU_C * z3), Lane(-TANH_CLAMP), Lane(TANH_CLAMP));
  return (0.5 * z) * (1.0 + tanh(u));
}

@compute @workgroup_size(WG)
fn main(
  @builtin(global_invocation_id) gid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
) {
  let i = gid.y * (nwg.x * WG) + gid.x;
  if (i >= dims.lanes) {
    return;
  }
  var z = load_x(i);
  if (HAS_BIAS) {
    z = z + load_bias(i % dims.row_lanes);
  }
  if (HAS_GELU) {
    z = gelu(z);
  }
  store_y(i, z);
}
