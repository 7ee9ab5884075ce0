// The step kernel (shaders/step.wgsl), the one kernel every collective runs, on a single op
// from rank 0 to rank 1 (a 2-rank tree Broadcast copies, a 2-rank tree Reduce reduces):
// every op and dtype, lengths odd and even, against the CPU interpreter bit for bit.
import { describe, expect, it } from 'vitest';
import { GpuExecutor } from '../../src/exec/executor/steps.ts';
import { cloneBuffers, interpret } from '../../src/exec/interpreter/steps.ts';
import { randomBuffers } from '../../src/exec/random/fill.ts';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { nodeShaders } from '../../src/gpu/shaders-node.ts';
import { DTYPES, REDOPS } from '../../src/plans/dtype.ts';
import { treeBroadcast, treeReduce } from '../../src/plans/tree.ts';
import { testContext } from './context.ts';

const LENGTHS = [0, 1, 3, 4, 255, 256, 257, 1_000_003];

describe('the step kernel matches the CPU bit for bit', async () => {
  const ctx = await testContext();
  const cache = new PipelineCache(ctx);
  for (const dtype of DTYPES) {
    for (const op of ['copy', ...REDOPS] as const) {
      it.each(LENGTHS)(`${op} ${dtype} n=%i`, async (count) => {
        const spec = {
          ranks: 2,
          count,
          dtype,
          redop: op === 'copy' ? 'sum' : op,
          inPlace: true,
        } as const;
        const plan =
          op === 'copy' ? treeBroadcast({ ...spec, root: 0 }) : treeReduce({ ...spec, root: 1 });
        expect(plan.steps.flatMap((s) => s.ops)).toHaveLength(count === 0 ? 0 : 1);
        const input = randomBuffers(plan, 17 + count);
        const exec = new GpuExecutor(ctx, nodeShaders, plan, undefined, cache);
        try {
          await exec.prepare();
          exec.upload(input);
          await exec.run();
          const got = (await exec.download())[1]?.recv as Float32Array | Int32Array;
          const want = interpret(plan, cloneBuffers(input))[1]?.recv as Float32Array | Int32Array;
          expect(Buffer.compare(Buffer.from(got.buffer), Buffer.from(want.buffer))).toBe(0);
        } finally {
          exec.destroy();
        }
      });
    }
  }
});
