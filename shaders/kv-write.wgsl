// Appends the keys and values of this forward pass's tokens to a rank's paged KV cache: row r
// (sequence seq, position pos) goes to slot pos % BLOCK of block block_table[seq][pos / BLOCK],
// the layout shaders/attention.wgsl reads through attention-paged.wgsl ([slot][kv head][head dim]). The block table
// comes from the KV pool's allocator (src/serving/), which gave the sequence its blocks.
struct Params {
  rows: u32,
  // KV heads of this rank x head dim: the floats of one token's keys.
  width: u32,
  block_tokens: u32,
  max_blocks: u32,
}

struct Row {
  seq: u32,
  pos: u32,
}

@group(0) @binding(0) var<storage, read> k: array<f32>;
@group(0) @binding(1) var<storage, read> v: array<f32>;
@group(0) @binding(2) var<storage, read> block_table: array<u32>;
@group(0) @binding(3) var<storage, read> rows: array<Row>;
@group(0) @binding(4) var<storage, read_write> k_pool: array<f32>;
@group(0) @binding(5) var<storage, read_write> v_pool: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.y * (nwg.x * WG) + gid.x;
  if (i >= params.rows * params.width) {
    return;
  }
  let r = i / params.width;
  let c = i % params.width;
  let row = rows[r];
  let page = block_table[row.seq * params.max_blocks + row.pos / params.block_tokens];
  let at = (page * params.block_tokens + row.pos % params.block_tokens) * params.width + c;
  k_pool[at] = k[i];
  v_pool[at] = v[i];
}
