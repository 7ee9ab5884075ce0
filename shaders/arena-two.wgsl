// How step.wgsl reaches the ranks' buffers when the ops of a dispatch read one arena and write
// another (a plan too large for one storage binding is spread over several arenas).
@group(0) @binding(0) var<storage, read> src_arena: array<Lane>;
@group(0) @binding(2) var<storage, read_write> dst_arena: array<Lane>;

fn load_src(i: u32) -> Lane { return src_arena[i]; }
fn load_dst(i: u32) -> Lane { return dst_arena[i]; }
fn store_dst(i: u32, v: Lane) { dst_arena[i] = v; }
