#!/usr/bin/env node
// `pnpm sim --calls N --loss P --seed S [...]`: the deterministic network simulation of whole calls
// (tests/sim/, docs/simulation.md). Loads the TypeScript through the Vite module loader that vitest uses (same
// aliases as vitest.config.ts: the packages' sources), so no build is needed. See tests/sim/cli.ts.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createViteServer } from 'vitest/node';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const server = await createViteServer({
  configFile: join(root, 'vitest.config.ts'),
  root,
  server: { middlewareMode: true, hmr: false, ws: false },
  appType: 'custom',
  logLevel: 'error',
  optimizeDeps: { noDiscovery: true, include: [] },
});
let status = 1;
try {
  const { main } = await server.ssrLoadModule('/tests/sim/cli.ts');
  status = await main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`sim: ${e?.stack ?? e}\n`);
  status = 1;
} finally {
  await server.close();
}
process.exit(status);
