// One step of a plan in one dispatch: every op of the step (copy or reduce of one chunk from one
// rank's buffer into another's) is a row of the op table, and workgroup row y of the grid works
// on op y. All ranks' buffers are regions of one storage buffer, the arena.
//
// `Lane` is rebound before compiling (src/gpu/shader-library.ts): f32 or i32, or vec4 of
// either when every op of the step starts and ends on a multiple of 4 elements.
alias Lane = f32;

// The plan's reduction: 1 sum, 2 prod, 3 max, 4 min (as in elementwise.wgsl).
override REDOP: u32 = 1u;
override WORKGROUP_SIZE: u32 = 64u;
override LANES_PER_INVOCATION: u32 = 8u;

struct StepOp {
  src: u32,    // first lane read, from the start of the arena
  dst: u32,    // first lane written
  count: u32,  // lanes
  kind: u32,   // 0 copy, 1 reduce
}

@group(0) @binding(0) var<storage, read_write> arena: array<Lane>;
@group(0) @binding(1) var<storage, read> ops: array<StepOp>;

fn combine(a: Lane, b: Lane) -> Lane {
  switch REDOP {
    case 2u: { return a * b; }
    case 3u: { return max(a, b); }
    case 4u: { return min(a, b); }
    default: { return a + b; }
  }
}

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
    let s = arena[op.src + i];
    if (op.kind == 0u) {
      arena[op.dst + i] = s;
    } else {
      arena[op.dst + i] = combine(arena[op.dst + i], s);
    }
  }
}
