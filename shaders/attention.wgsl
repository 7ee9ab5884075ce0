// Causal attention, f32, through a paged KV cache (vLLM's PagedAttention, Kwon et al. 2023) or a
// contiguous one (a tensor-parallel layer's own K and V). The paged cache
// is a pool of blocks, each BLOCK tokens x kv_heads x head_dim, for keys and for values; a
// sequence's block table lists its blocks in token order, so token t of sequence s lives in
// block block_table[s * max_blocks + t / BLOCK], slot t % BLOCK.
//
// One workgroup per (query row, query head). A query row is one token of one sequence: its
// position p says it attends to tokens 0..p of its sequence (causal); a decode step has one
// row per sequence at p = length - 1, a prefill one row per prompt token. Query head h reads
// KV head h / (q_heads / kv_heads): grouped-query attention (MQA when kv_heads = 1).
//
// Three phases, each in a fixed order so that the result does not depend on where the blocks
// lie (a shuffled block table gives the same bits as a contiguous one):
//   1. scores: invocation i computes s_t = (q . k_t) * scale for t = i, i + WG, ... (the dot
//      product in d order) into a scratch row in storage (no workgroup-memory limit on length);
//   2. softmax: the maximum and the sum of exp(s_t - max) by a tree reduction over the
//      invocations' partial results (each partial in t order);
//   3. output: invocation i computes out_d = sum_t exp(s_t - max) v_t,d / sum for d = i,
//      i + WG, ... (the sum in t order).

// Params, the buffers and the accessors (load_q, load_k, load_v, load_score, store_score,
// store_out, query_row, token_slot) come from attention-paged.wgsl (a paged KV cache, its block
// table and query rows: the serving decoder) or attention-arena.wgsl (one sequence's
// contiguous Q, K, V in a plan's arena, query row r at position r: a tensor-parallel layer).

override WG: u32 = 64u;

var<workgroup> partial_max: array<f32, WG>;
var<workgroup> partial_sum: array<f32, WG>;

// Where token t's vector for KV head `kvh` starts among the keys (and values).
fn kv_base(seq: u32, t: u32, kvh: u32) -> u32 {
  return (token_slot(seq, t) * params.kv_heads + kvh) * params.head_dim;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let row_index = wid.y;
  let head = wid.x;
  let row = query_row(row_index);
  let d = params.head_dim;
  let kvh = head / (params.q_heads / params.kv_heads);
  let q_base = (row_index * params.q_heads + head) * d;
  let s_base = (row_index * params.q_heads + head) * params.max_context;
  let n = row.pos + 1u;

  // 1. scores, and this invocation's running maximum
  var m = -3.4e38;
  for (var t = li; t < n; t += WG) {
    let base = kv_base(row.seq, t, kvh);
    var dot = 0.0;
    for (var i = 0u; i < d; i++) {
      dot = dot + load_q(q_base + i) * load_k(base + i);
    }
    let s = dot * params.scale;
    store_score(s_base + t, s);
    m = max(m, s);
  }
  partial_max[li] = m;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (li < stride) {
      partial_max[li] = max(partial_max[li], partial_max[li + stride]);
    }
    workgroupBarrier();
  }
  let row_max = partial_max[0];

  // 2. exp(s - max), kept in the scratch row, and their sum
  var sum = 0.0;
  for (var t = li; t < n; t += WG) {
    let e = exp(load_score(s_base + t) - row_max);
    store_score(s_base + t, e);
    sum = sum + e;
  }
  partial_sum[li] = sum;
  // Phase 3 reads every invocation's exp values from storage.
  storageBarrier();
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (li < stride) {
      partial_sum[li] = partial_sum[li] + partial_sum[li + stride];
    }
    workgroupBarrier();
  }
  let inv = 1.0 / partial_sum[0];

  // 3. the weighted sum of values
  for (var i = li; i < d; i += WG) {
    var acc = 0.0;
    for (var t = 0u; t < n; t++) {
      acc = acc + load_score(s_base + t) * load_v(kv_base(row.seq, t, kvh) + i);
    }
    store_out(q_base + i, acc * inv);
  }
}
