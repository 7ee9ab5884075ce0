// What bench/ may use of the CLI, and the only file of src/cli it may import (the dependency
// rule, .dependency-cruiser.cjs). The bench suites are the CLI's sibling in Node: they open the
// GPU the way the commands do (exit on device loss), print nccl-tests' table, read sizes as
// nccl-tests writes them, and measure a collective's size exactly as `fleetlab bench` does, so a
// suite's row is the command's row. These stay the CLI's own; this file names them so the rest
// of src/cli can be reorganised without reaching into bench/.

export type { BenchArgs } from './bench-args.ts';
export { type BenchResult, measureSize } from './bench-measure.ts';
export { parseSize as parseBytes } from './grammar.ts';
export { cliContext } from './node-context.ts';
export { Table } from './table.ts';
