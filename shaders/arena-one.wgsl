// How step.wgsl reaches the ranks' buffers when source and destination share one arena: one
// read-write binding (WebGPU forbids binding one buffer both read-only and writable).
@group(0) @binding(0) var<storage, read_write> arena: array<Lane>;

fn load_src(i: u32) -> Lane { return arena[i]; }
fn load_dst(i: u32) -> Lane { return arena[i]; }
fn store_dst(i: u32, v: Lane) { arena[i] = v; }
