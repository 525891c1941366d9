#!/usr/bin/env node
/**
 * The `mdh` command. Each sub-command lives in `commands/<name>.ts` and exports
 * `run(argv: string[]): Promise<number>` (the exit code) and `usage: string`.
 */
import { commandNames, loadCommand } from './registry.js';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(
      `usage: mdh <command> [options]\n\ncommands:\n${commandNames.map((n) => `  ${n}`).join('\n')}\n`,
    );
    return name ? 0 : 2;
  }
  const cmd = await loadCommand(name);
  if (!cmd) {
    process.stderr.write(`mdh: unknown command '${name}' (try: ${commandNames.join(', ')})\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${cmd.usage}\n`);
    return 0;
  }
  return cmd.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`mdh: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
