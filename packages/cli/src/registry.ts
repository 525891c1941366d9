/** A sub-command of `mdh`. */
export interface Command {
  /** One-paragraph usage text. */
  usage: string;
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}

// Each sub-command registers one line here (commands/<name>.ts exports `usage` and `run`).
const loaders: Record<string, () => Promise<Command>> = {
  dtls: () => import('./commands/dtls.js'),
  echo: () => import('./commands/echo.js'),
  call: () => import('./commands/call.js'),
  demo: () => import('./commands/demo.js'),
  parse: () => import('./commands/parse.js'),
  resolve: () => import('./commands/resolve.js'),
  proxy: () => import('./commands/proxy.js'),
  mdhavers: async () => ({
    usage: 'mdh mdhavers [run] FILE.braw | check FILE.braw | (no file: REPL)',
    run: (await import('@mdh/mdhavers')).runCli,
  }),
};

/** Names of the available sub-commands. */
export const commandNames = Object.keys(loaders);

/** Loads a sub-command by name, or undefined if there is none. */
export async function loadCommand(name: string): Promise<Command | undefined> {
  const l = loaders[name];
  return l ? l() : undefined;
}
