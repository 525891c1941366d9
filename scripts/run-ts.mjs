// Runs a TypeScript entry point of this repository's tools (`pnpm fuzz`, `pnpm sim`) through the Vite module loader
// that vitest uses (same aliases as vitest.config.ts: the packages' sources), so no build is needed. The module's
// `main(argv)` returns the exit status.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createViteServer } from 'vitest/node';

/** Loads `entry` (a path from the repository root, e.g. `/tests/fuzz/cli.ts`), runs its `main`, exits with its status. */
export async function runTs(entry, name) {
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
    const { main } = await server.ssrLoadModule(entry);
    status = await main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${name}: ${e?.stack ?? e}\n`);
    status = 1;
  } finally {
    await server.close();
  }
  process.exit(status);
}
