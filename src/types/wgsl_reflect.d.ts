// wgsl_reflect's package "main" is a CommonJS-flavoured build that imports as an empty module
// in Node (see shared/PLATFORM.md); its ES module build has no .d.ts beside it. This maps the
// ES module path onto the package's own types so Node, Vite and tsc all read one entry.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
