// A dispatch that does nothing: timing it gives the fixed cost of one step (dispatch latency).
@compute @workgroup_size(1)
fn main() {}
