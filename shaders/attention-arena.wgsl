// attention.wgsl's buffers inside a plan (src/exec/executor/steps.ts): one sequence of
// max_context tokens whose Q, K, V (each [token][head][head dim]), the scores scratch and the
// output are regions of the arena that holds the rank's buffers, at element offsets given with
// the sizes; query row r is token r, attending to tokens 0..r (causal).
struct Params {
  q_heads: u32,
  kv_heads: u32,
  head_dim: u32,
  block_tokens: u32,
  max_blocks: u32,
  max_context: u32,
  scale: f32,
  _pad0: u32,
  q_off: u32,
  k_off: u32,
  v_off: u32,
  s_off: u32,
  o_off: u32,
  _pad1: u32,
  _pad2: u32,
  _pad3: u32,
}

struct QueryRow {
  seq: u32,
  pos: u32,
}

@group(0) @binding(0) var<storage, read_write> arena: array<f32>;
@group(0) @binding(1) var<uniform> params: Params;

fn query_row(r: u32) -> QueryRow { return QueryRow(0u, r); }
fn token_slot(seq: u32, t: u32) -> u32 { return t; }

fn load_q(i: u32) -> f32 { return arena[params.q_off + i]; }
fn load_k(i: u32) -> f32 { return arena[params.k_off + i]; }
fn load_v(i: u32) -> f32 { return arena[params.v_off + i]; }
fn load_score(i: u32) -> f32 { return arena[params.s_off + i]; }
fn store_score(i: u32, v: f32) { arena[params.s_off + i] = v; }
fn store_out(i: u32, v: f32) { arena[params.o_off + i] = v; }
