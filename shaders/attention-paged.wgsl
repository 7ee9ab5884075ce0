// attention.wgsl's buffers for a paged KV cache (the serving decoder): queries, key and value
// pools of blocks, the block table, the query rows (sequence, position), a scratch of scores.
struct Params {
  q_heads: u32,
  kv_heads: u32,
  head_dim: u32,
  block_tokens: u32,
  max_blocks: u32,
  // Scratch row stride: the longest context any query row attends to.
  max_context: u32,
  scale: f32,
  _pad: u32,
}

struct QueryRow {
  seq: u32,
  pos: u32,
}

@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> k_pool: array<f32>;
@group(0) @binding(2) var<storage, read> v_pool: array<f32>;
@group(0) @binding(3) var<storage, read> block_table: array<u32>;
@group(0) @binding(4) var<storage, read> rows: array<QueryRow>;
@group(0) @binding(5) var<storage, read_write> scores: array<f32>;
@group(0) @binding(6) var<storage, read_write> attn_out: array<f32>;
@group(0) @binding(7) var<uniform> params: Params;

fn query_row(r: u32) -> QueryRow { return rows[r]; }

// The pool slot of token t of sequence seq. (Not named 'block': wgsl_reflect takes that for a
// keyword.)
fn token_slot(seq: u32, t: u32) -> u32 {
  let page = block_table[seq * params.max_blocks + t / params.block_tokens];
  return page * params.block_tokens + t % params.block_tokens;
}

fn load_q(i: u32) -> f32 { return q[i]; }
fn load_k(i: u32) -> f32 { return k_pool[i]; }
fn load_v(i: u32) -> f32 { return v_pool[i]; }
fn load_score(i: u32) -> f32 { return scores[i]; }
fn store_score(i: u32, v: f32) { scores[i] = v; }
fn store_out(i: u32, v: f32) { attn_out[i] = v; }
