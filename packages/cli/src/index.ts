/**
 * @mdh/cli — the `mdh` command. The programmatic surface is the command registry.
 * @packageDocumentation
 */

export { type ParsedArgs, parseArgs, parseHostPort } from './args.js';
export { type Command, commandNames, loadCommand } from './registry.js';
