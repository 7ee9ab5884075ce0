// The backward pass of the fused bias + GeLU: dz = dy * gelu'(z) with z = c + bias[col]
// recomputed from the layer's matmul output c, as the forward kernel (bias-gelu.wgsl) computed
// it, bit for bit: keeping c and the bias costs no buffer beyond what the forward pass holds
// anyway, where saving z would cost one more activation per layer. For the tanh form
//     gelu(z)  = 0.5 z (1 + t),  t = tanh(u),  u = c (z + a z^3),  c = sqrt(2/pi), a = 0.044715
//     gelu'(z) = 0.5 (1 + t) + 0.5 z (1 - t^2) c (1 + 3 a z^2)
// with u clamped to [-10, 10] as the forward pass clamps it (there t is +-1 in f32 and 1 - t^2 is
// 0, so the derivative of the clamp, 0, and of the formula agree). The CPU oracle
// (src/kernels/gelu-backward.ts) follows this order of operations and derives the tolerance.

// Buffers, the Dims uniform (dims.count: elements, dims.n: a row's) and the accessors:
// gelu-backward-arena.wgsl, prepended by the shader library.

override WG: u32 = 64u;

const SQRT_2_OVER_PI: f32 = 0.7978845608028654;
const GELU_C: f32 = 0.044715;
const GELU_3C: f32 = 0.134145;
const TANH_CLAMP: f32 = 10.0;

fn gelu_grad(z: f32) -> f32 {
  let z2 = z * z;
  let u = clamp(SQRT_2_OVER_PI * (z + GELU_C * (z2 * z)), -TANH_CLAMP, TANH_CLAMP);
  let t = tanh(u);
  let du = SQRT_2_OVER_PI * (1.0 + GELU_3C * z2);
  return 0.5 * (1.0 + t) + (0.5 * z) * ((1.0 - t * t) * du);
}

@compute @workgroup_size(WG)
fn main(
  @builtin(global_invocation_id) gid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
) {
  let i = gid.y * (nwg.x * WG) + gid.x;
  if (i >= dims.count) {
    return;
  }
  let z = load_c(i) + load_bias(i % dims.n);
  store_dz(i, load_dy(i) * gelu_grad(z));
}
