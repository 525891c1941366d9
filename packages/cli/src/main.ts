/**
 * The `mdh` command line: `mdh <command> [options]`, `mdh --help` (one line per command), `mdh --version`.
 * Each sub-command parses its own options strictly (see args.ts) and resolves to its exit status:
 * 0 success, 1 failure (the reason on stderr), 2 usage error.
 */
import { EXIT_USAGE, version } from './args.js';
import { commandNames, commandSummaries, loadCommand } from './registry.js';

/** The top-level help: every command with its one-line summary. */
export function topLevelHelp(): string {
  const w = Math.max(...commandNames.map((n) => n.length));
  return [
    'usage: mdh <command> [options]      (mdh <command> --help for its options)',
    '',
    'commands:',
    ...commandNames.map((n) => `  ${n.padEnd(w)}  ${commandSummaries[n]}`),
    '',
    'options: -h, --help    this help;  --version    print the version',
  ].join('\n');
}

/** Runs `mdh` with `argv` (without the node and script paths); resolves to the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${topLevelHelp()}\n`);
    return 0;
  }
  if (name === undefined) {
    process.stderr.write(`mdh: missing command\n${topLevelHelp()}\n`);
    return EXIT_USAGE;
  }
  const cmd = await loadCommand(name);
  if (!cmd) {
    process.stderr.write(`mdh: unknown ${name.startsWith('-') ? 'option' : 'command'} '${name}'\n${topLevelHelp()}\n`);
    return EXIT_USAGE;
  }
  return cmd.run(rest);
}
