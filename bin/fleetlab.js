#!/usr/bin/env node
// The `fleetlab` command. In a checkout (src/ is here) it runs the TypeScript through tsx, so an
// edit is never shadowed by a stale build; the published package ships only the compiled lib/
// (`npm run build:lib`, run by prepack) and runs that with plain Node.
import { existsSync } from 'node:fs';

let main;
if (existsSync(new URL('../src/cli/main.ts', import.meta.url))) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
} else {
  ({ main } = await import('../lib/cli/main.js'));
}
const code = await main(process.argv.slice(2));
// Dawn can keep the event loop alive after device.destroy(); leave once stdout is flushed.
process.stdout.write('', () => process.exit(code));
