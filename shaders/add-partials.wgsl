// The residual stream takes the ranks' partial sums: x += partial_0 + partial_1 + ... in rank
// order. On the one GPU that hosts every rank this is the AllReduce of a row-parallel layer
// and the residual add in one pass (every rank would then hold the same x; here x is stored
// once). partial_r starts at r * stride floats.
struct Params {
  count: u32,
  ranks: u32,
  stride: u32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> partials: array<f32>;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.y * (nwg.x * WG) + gid.x;
  if (i >= params.count) {
    return;
  }
  var s = partials[i];
  for (var r = 1u; r < params.ranks; r++) {
    s = s + partials[r * params.stride + i];
  }
  x[i] = x[i] + s;
}
