// Element-wise dst = dst op src over `count` lanes: the building block of every collective.
//
// `Lane` is rebound by fleetlab before compiling (src/gpu/shader-library.ts: specialize):
// f32 or i32 for any offsets, vec4<f32> or vec4<i32> where both offsets and the count allow
// four elements a lane. The arithmetic below is component-wise, so one source serves all four.
alias Lane = f32;

// dst = src instead of dst = combine(dst, src) (combine.wgsl, prepended). A pipeline constant:
// the branch on it is decided when the pipeline is built, so a copy never loads dst.
override COPY: bool = false;
override WORKGROUP_SIZE: u32 = 64u;
// Lanes each invocation handles, WORKGROUP_SIZE apart so neighbours touch neighbours.
override LANES_PER_INVOCATION: u32 = 8u;

struct Params {
  count: u32,       // lanes to process
  src_offset: u32,  // in lanes, from the start of the bound window
  dst_offset: u32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> src: array<Lane>;
@group(0) @binding(1) var<storage, read_write> dst: array<Lane>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  // Large counts dispatch a 2D grid (65,535 workgroups a dimension); flatten it.
  let group = wid.x + wid.y * nwg.x;
  let base = group * WORKGROUP_SIZE * LANES_PER_INVOCATION + lid;
  for (var k = 0u; k < LANES_PER_INVOCATION; k++) {
    let i = base + k * WORKGROUP_SIZE;
    if (i >= params.count) {
      return;
    }
    let s = src[params.src_offset + i];
    if (COPY) {
      dst[params.dst_offset + i] = s;
    } else {
      dst[params.dst_offset + i] = combine(dst[params.dst_offset + i], s);
    }
  }
}
