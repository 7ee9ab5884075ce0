// Which step kernel shape is fastest on this adapter? Sweeps workgroup size and lanes
// per invocation (and Dawn's robustness checks, Node only) at one size and prints each
// kernel's bandwidth beside copyBufferToBuffer's, measured in this one run.
//   npx tsx bench/tune-kernel.ts [SIZE]       (default 16M)
import { parseBytes, Table } from '../src/cli/public.ts';
import { calibrate } from '../src/exec/calibration/microbench.ts';
import { acquireDevice, describeAdapter } from '../src/gpu/device.ts';
import { nodeProvider } from '../src/gpu/node-provider.ts';
import { nodeShaders } from '../src/gpu/shaders-node.ts';

const bytes = parseBytes('size', process.argv[2] ?? '16M');
const table = new Table([
  { title: 'robustness', unit: '' },
  { title: 'workgroup', unit: '(inv.)' },
  { title: 'lanes/inv', unit: '(vec4)' },
  { title: 'copyBuffer', unit: '(GB/s)' },
  { title: 'copy kernel', unit: '(GB/s)' },
  { title: 'reduce', unit: '(GB/s)' },
  { title: 'reduce', unit: 'ratio' },
]);
let printedHeader = false;
for (const robust of [true, false]) {
  const flags = robust ? [] : ['enable-dawn-features=disable_robustness'];
  const ctx = await acquireDevice({ provider: await nodeProvider({ flags }) });
  if (!printedHeader) {
    console.log(
      `# adapter ${describeAdapter(ctx.adapter)}; size ${bytes} B; GB/s = 1e9 B/s (read + written)`,
    );
    for (const line of table.header()) console.log(line);
    printedHeader = true;
  }
  for (const workgroupSize of [64, 128, 256]) {
    for (const lanesPerInvocation of [1, 4, 8, 16, 32]) {
      const cal = await calibrate(
        ctx,
        nodeShaders,
        { minBytes: bytes, maxBytes: bytes, stepFactor: 2 },
        { workgroupSize, lanesPerInvocation, vectorize: true },
        robust,
      );
      const row = cal.sizes[0];
      if (!row) throw new Error('calibrate returned no row');
      console.log(
        table.row([
          robust ? 'on' : 'off',
          String(workgroupSize),
          String(lanesPerInvocation),
          (row.copy_buffer_Bps / 1e9).toFixed(2),
          (row.copy_kernel_Bps / 1e9).toFixed(2),
          (row.reduce_kernel_Bps / 1e9).toFixed(2),
          (row.reduce_kernel_Bps / row.copy_buffer_Bps).toFixed(3),
        ]),
      );
    }
  }
  ctx.device.destroy();
}
process.exit(0);
