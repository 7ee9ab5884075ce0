// The adapter's arithmetic peak: each invocation runs ITERS rounds of 8 independent vec4 fma
// chains in registers (8 x 4 lanes x 2 flops = 64 flops a round) and writes one vec4 at the
// end, so nothing can be optimized away. The multiplier and addend come from a uniform, so the
// compiler cannot fold the chains. FLOPs of a dispatch: invocations x ITERS x 64.

struct Params {
  mul: vec4f,
  add: vec4f,
}

@group(0) @binding(0) var<storage, read_write> out: array<vec4f>;
@group(0) @binding(1) var<uniform> params: Params;

override WG: u32 = 64u;
override ITERS: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let seed = f32(gid.x) * 1e-7;
  let m = params.mul;
  let d = params.add;
  var x0 = vec4f(seed);
  var x1 = x0 + 1.0;
  var x2 = x0 + 2.0;
  var x3 = x0 + 3.0;
  var x4 = x0 + 4.0;
  var x5 = x0 + 5.0;
  var x6 = x0 + 6.0;
  var x7 = x0 + 7.0;
  for (var i = 0u; i < ITERS; i++) {
    x0 = fma(x0, m, d);
    x1 = fma(x1, m, d);
    x2 = fma(x2, m, d);
    x3 = fma(x3, m, d);
    x4 = fma(x4, m, d);
    x5 = fma(x5, m, d);
    x6 = fma(x6, m, d);
    x7 = fma(x7, m, d);
  }
  out[gid.x] = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7));
}
