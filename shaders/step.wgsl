// One step of a plan in one dispatch: every op of the step (copy or reduce of one chunk from one
// rank's buffer into another's) is a row of the op table, and workgroup row y of the grid works
// on op y. The ranks' buffers are regions of storage buffers, the arenas; load_src, load_dst
// and store_dst come from arena-one.wgsl (ops within one arena) or arena-two.wgsl (ops from
// one arena to another), combine() from combine.wgsl: the shader library prepends them.
//
// `Lane` is rebound before compiling (src/gpu/shader-library.ts): f32 or i32, or vec4 of
// either when every op of the step starts and ends on a multiple of 4 elements.
alias Lane = f32;

override WORKGROUP_SIZE: u32 = 64u;
override LANES_PER_INVOCATION: u32 = 8u;

// Whether this dispatch's ops copy (dst = src) or reduce (dst = combine(dst, src)). A pipeline
// constant, not a column of the table: SwiftShader runs both sides of a branch on a value it
// cannot prove uniform, so a run-time kind made every copy pay for a reduce.
override COPY: bool = false;

struct StepOp {
  src: u32,    // first lane read, from the start of its arena
  dst: u32,    // first lane written
  count: u32,  // lanes
  _pad: u32,
}

@group(0) @binding(1) var<storage, read> ops: array<StepOp>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let op = ops[wid.y];
  // The parts of one op run along x, spilling into z past 65,535 workgroups.
  let part = wid.x + wid.z * nwg.x;
  let base = part * WORKGROUP_SIZE * LANES_PER_INVOCATION + lid;
  for (var k = 0u; k < LANES_PER_INVOCATION; k++) {
    let i = base + k * WORKGROUP_SIZE;
    if (i >= op.count) {
      return;
    }
    let s = load_src(op.src + i);
    if (COPY) {
      store_dst(op.dst + i, s);
    } else {
      store_dst(op.dst + i, combine(load_dst(op.dst + i), s));
    }
  }
}
