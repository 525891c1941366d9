#!/usr/bin/env node
// `pnpm fuzz [target|group ...] [--cases N] [--seed S] [--minutes M]`: loads the TypeScript fuzz suite
// (tests/fuzz/) through the Vite module loader that vitest uses (same aliases as vitest.config.ts: the
// packages' sources), so no build is needed. See tests/fuzz/cli.ts.
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
  const { main } = await server.ssrLoadModule('/tests/fuzz/cli.ts');
  status = await main(process.argv.slice(2));
} finally {
  await server.close();
}
process.exit(status);
