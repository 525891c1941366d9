/**
 * @mdh/cli — the `mdh` command. The programmatic surface is the command registry and the library behind the
 * long-running commands: {@link startEcho} (`mdh echo`), {@link placeCall} (`mdh call`), {@link startWeb}
 * (`mdh web`), {@link startProxy} (`mdh proxy`) and {@link startB2bua} (`mdh b2bua`).
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
export { type B2buaCallRecord, type B2buaOptions, type B2buaServer, startB2bua } from './commands/b2bua.js';
export { type CallOptions, type CallReport, placeCall } from './commands/call.js';
export { CallSetupError } from './commands/call-setup.js';
export {
  type EchoCallRecord,
  type EchoDigitRecord,
  type EchoOptions,
  type EchoServer,
  type EchoTotals,
  STOP_BOUND_MS,
  startEcho,
  stopSignal,
} from './commands/echo.js';
export { type ProxyServer, type ProxyServerOptions, startProxy } from './commands/proxy.js';
export { startWeb, type WebOptions, type WebServer } from './commands/web.js';
export type { PageGateway } from './commands/web-gateway.js';
export { main, topLevelHelp } from './main.js';
export type { MediaChoice } from './media-options.js';
export { type Command, commandNames, commandSummaries, loadCommand } from './registry.js';
