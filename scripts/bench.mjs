#!/usr/bin/env node
// `pnpm bench <name> [args]`: builds the packages, then runs bench/<name>.mjs against the built output.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [name, ...rest] = process.argv.slice(2);
const available = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.mjs'))
  .map((f) => f.slice(0, -4));
if (!name || !available.includes(name)) {
  console.error(`usage: pnpm bench <${available.join('|')}> [args]`);
  process.exit(2);
}
if (!process.env.MDH_BENCH_NO_BUILD) {
  console.error('bench: building packages…');
  const b = spawnSync('pnpm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const script = join(root, 'bench', `${name}.mjs`);
if (!existsSync(script)) process.exit(2);
const r = spawnSync(process.execPath, ['--expose-gc', script, ...rest], { cwd: join(root, 'bench'), stdio: 'inherit' });
process.exit(r.status ?? 1);
