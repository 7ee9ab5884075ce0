// The reduction of two lanes, shared by every kernel that reduces (the shader library prepends
// this file where a kernel asks for it). REDOP is a pipeline constant: 1 sum, 2 prod, 3 max,
// 4 min, fixed when the pipeline is built, so the switch costs nothing per element. The
// arithmetic is component-wise, so it serves scalar and vec4 lanes alike.
override REDOP: u32 = 1u;

fn combine(a: Lane, b: Lane) -> Lane {
  switch REDOP {
    case 2u: { return a * b; }
    case 3u: { return max(a, b); }
    case 4u: { return min(a, b); }
    default: { return a + b; }
  }
}
