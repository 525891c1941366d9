/** A sub-command of `mdh`. */
export interface Command {
  /** Usage text (`mdh <name> --help` prints it). */
  usage: string;
  /** Runs the command; resolves to the process exit code (0 ok, 1 failure, 2 usage error). */
  run(argv: string[]): Promise<number>;
}

// Each sub-command registers one line here (commands/<name>.ts exports `usage` and `run`).
const loaders: Record<string, () => Promise<Command>> = {
  parse: () => import('./commands/parse.js'),
  resolve: () => import('./commands/resolve.js'),
  proxy: () => import('./commands/proxy.js'),
  b2bua: () => import('./commands/b2bua.js'),
  echo: () => import('./commands/echo.js'),
  call: () => import('./commands/call.js'),
  dtls: () => import('./commands/dtls.js'),
  demo: () => import('./commands/demo.js'),
  web: () => import('./commands/web.js'),
  mdhavers: async () => {
    const { runCli } = await import('@mdh/mdhavers');
    return {
      usage: 'usage: mdh mdhavers [run] FILE.braw [ARGS...] | check FILE.braw | (no file: REPL)',
      run: (argv: string[]) => runCli(argv),
    };
  },
};

/** One line per command, for `mdh --help` (kept here so the help needs no command module loaded). */
export const commandSummaries: Record<string, string> = {
  parse: 'parse one SIP message from a file or stdin and print it as JSON (exit 1 when invalid)',
  resolve: 'locate the SIP servers of a domain or URI (RFC 3263: NAPTR, SRV, A/AAAA)',
  proxy: 'run a stateful SIP proxy (fixed targets with forking, or registrar + RFC 3263 routing)',
  b2bua: 'run a back-to-back user agent bridging every call to one target (SDP passed or media relayed)',
  echo: 'run a user agent that answers every call and echoes its media',
  call: 'place a call, send a tone, receive the echo and print a call report',
  dtls: 'run one DTLS 1.2 handshake (connect or listen) and print the DTLS-SRTP keys',
  web: 'serve a web softphone (JsSIP over WSS, DTLS-SRTP, ICE-lite); --echo answers its calls',
  demo: 'call a local echo user agent over DTLS-SRTP and print both reports',
  mdhavers: 'run an mdhavers script (the mdhavers command of @mdh/mdhavers)',
};

/** Names of the available sub-commands. */
export const commandNames = Object.keys(loaders);

/** Loads a sub-command by name, or undefined if there is none. */
export async function loadCommand(name: string): Promise<Command | undefined> {
  const l = Object.hasOwn(loaders, name) ? loaders[name] : undefined;
  return l ? l() : undefined;
}
