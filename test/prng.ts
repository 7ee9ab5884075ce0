// The seeded PRNG tests share: the same mulberry32 the workload and the test data use.
export { mulberry32 as prng } from '../src/exec/random/rng.ts';
