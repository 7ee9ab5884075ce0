// y = x / sqrt(mean(x^2) + eps) * g, row by row (RMSNorm, Zhang & Sennrich 2019, as Llama
// uses): one workgroup per row; the sum of squares by a fixed tree over the invocations'
// partial sums (each in column order), so the result does not depend on scheduling.
struct Params {
  rows: u32,
  d: u32,
  eps: f32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

override WG: u32 = 64u;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let r = wid.x;
  let base = r * params.d;
  var s = 0.0;
  for (var c = li; c < params.d; c += WG) {
    let v = x[base + c];
    s = s + v * v;
  }
  partial[li] = s;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (li < stride) {
      partial[li] = partial[li] + partial[li + stride];
    }
    workgroupBarrier();
  }
  let inv = inverseSqrt(partial[0] / f32(params.d) + params.eps);
  for (var c = li; c < params.d; c += WG) {
    y[base + c] = x[base + c] * inv * g[c];
  }
}
