#!/usr/bin/env node
// Runs the TypeScript CLI under Node 20 through tsx (Node 20 cannot strip types itself).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
// Dawn can keep the event loop alive after device.destroy(); leave once stdout is flushed.
process.stdout.write('', () => process.exit(code));
