// C = A x B in f32, row-major (A: M x K, B: K x N, C: M x N), tiled: a workgroup of
// WG_X x WG_Y invocations computes a (4 WG_Y) x (4 WG_X) block of C, each invocation a 4 x 4
// register block (four vec4 rows). The k dimension is walked TILE_K at a time: the workgroup
// stages an A tile (4 WG_Y x TILE_K, as vec4 columns of 4 rows) and a B tile (TILE_K x 4 WG_X,
// as vec4 rows) in workgroup memory, then every invocation runs TILE_K rank-1 updates from
// there, two vec4 workgroup loads for 16 fma lanes each. (Storing A as scalars and the block
// as an indexed array ran at half this speed on SwiftShader.) Loads outside A or B
// read 0 and stores outside C are skipped, so any M, N, K works. The k sum runs in order
// (tile by tile, k ascending inside a tile), as the CPU oracle's does.
//
// Tile sizes are pipeline-overridable constants; the workgroup arrays are sized by
// override-expressions, which WGSL allows for workgroup memory.

// Buffers, the Dims uniform and load_a/load_b/store_c: matmul-bindings.wgsl (own buffers) or
// matmul-arena.wgsl (regions of a plan's arena), prepended by the shader library.

override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;
override TILE_K: u32 = 16u;

// Rows of A and vec4 columns of B a workgroup tile holds.
const RB: u32 = 4u;

// A tile transposed in blocks: tileA[kk * WG_Y + y] holds rows 4y..4y+3 of column kk.
var<workgroup> tileA: array<vec4f, TILE_K * WG_Y>;
var<workgroup> tileB: array<vec4f, TILE_K * WG_X>;

@compute @workgroup_size(WG_X, WG_Y)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let M = dims.m;
  let K = dims.k;
  let N = dims.n;
  let bm = WG_Y * RB;
  let bn = WG_X * 4u;
  let row0 = wid.y * bm;
  let col0 = wid.x * bn;
  let threads = WG_X * WG_Y;

  // The 4 x 4 register block, one vec4 per row (named, not an array: a dynamically indexed
  // array may live in memory rather than registers).
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);

  for (var k0 = 0u; k0 < K; k0 += TILE_K) {
    // A tile: bm rows x TILE_K columns, stored as vec4 columns of 4 rows (see tileA).
    for (var e = li; e < bm * TILE_K; e += threads) {
      let rr = e / TILE_K;
      let kk = e % TILE_K;
      let r = row0 + rr;
      let p = k0 + kk;
      var v = 0.0;
      if (r < M && p < K) {
        v = load_a(r * K + p);
      }
      tileA[kk * WG_Y + rr / RB][rr % RB] = v;
    }
    // B tile: TILE_K rows x WG_X vec4 columns; each lane checked against N.
    for (var e = li; e < TILE_K * WG_X; e += threads) {
      let p = k0 + e / WG_X;
      let col = col0 + (e % WG_X) * 4u;
      var v = vec4f(0.0);
      if (p < K) {
        let base = p * N + col;
        if (col < N) { v.x = load_b(base); }
        if (col + 1u < N) { v.y = load_b(base + 1u); }
        if (col + 2u < N) { v.z = load_b(base + 2u); }
        if (col + 3u < N) { v.w = load_b(base + 3u); }
      }
      tileB[e] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      let av = tileA[kk * WG_Y + lid.y];
      let bv = tileB[kk * WG_X + lid.x];
      acc0 = fma(vec4f(av.x), bv, acc0);
      acc1 = fma(vec4f(av.y), bv, acc1);
      acc2 = fma(vec4f(av.z), bv, acc2);
      acc3 = fma(vec4f(av.w), bv, acc3);
    }
    workgroupBarrier();
  }

  let col = col0 + lid.x * 4u;
  let rows = array<vec4f, 4>(acc0, acc1, acc2, acc3);
  for (var i = 0u; i < RB; i++) {
    let r = row0 + lid.y * RB + i;
    if (r < M) {
      let base = r * N + col;
      let v = rows[i];
      if (col < N) { store_c(base, v.x); }
      if (col + 1u < N) { store_c(base + 1u, v.y); }
      if (col + 2u < N) { store_c(base + 2u, v.z); }
      if (col + 3u < N) { store_c(base + 3u, v.w); }
    }
  }
}
