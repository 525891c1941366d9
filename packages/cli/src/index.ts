/**
 * @mdh/cli — the `mdh` command. The programmatic surface is the command registry.
 * @packageDocumentation
 */

export {
  type CommandLine,
  type CommandSpec,
  commandLine,
  EXIT_USAGE,
  formatHelp,
  formatHostPort,
  type OptionSpec,
  type ParsedArgs,
  parseArgs,
  parseCommandLine,
  parseHostPort,
  UsageError,
  version,
} from './args.js';
export { main, topLevelHelp } from './main.js';
export { type Command, commandNames, commandSummaries, loadCommand } from './registry.js';
