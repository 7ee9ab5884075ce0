// x[r] = token_embedding[token r] + position_embedding[pos r], f32 rows of width d: the first
// kernel of every forward pass of the decoder (src/exec/decoder/gpu.ts). One invocation per
// element; the grid is 2-D so any rows x d fits the per-dimension workgroup limit.
struct Params {
  rows: u32,
  d: u32,
  _pad0: u32,
  _pad1: u32,
}

struct Row {
  seq: u32,
  pos: u32,
}

@group(0) @binding(0) var<storage, read> token_emb: array<f32>;
@group(0) @binding(1) var<storage, read> pos_emb: array<f32>;
@group(0) @binding(2) var<storage, read> tokens: array<u32>;
@group(0) @binding(3) var<storage, read> rows: array<Row>;
@group(0) @binding(4) var<storage, read_write> x: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.y * (nwg.x * WG) + gid.x;
  if (i >= params.rows * params.d) {
    return;
  }
  let r = i / params.d;
  let c = i % params.d;
  x[i] = token_emb[tokens[r] * params.d + c] + pos_emb[rows[r].pos * params.d + c];
}
