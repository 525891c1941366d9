/**
 * The `mdhavers` command: `mdhavers run FILE.braw [ARGS…]` (or `mdhavers FILE.braw`), `mdhavers check
 * FILE.braw` (parse only) and a REPL when no file is given. Exit code 0 on success, 1 on an uncaught
 * error (message on stderr), 2 on a usage error.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MdhError } from './errors.js';
import { Interpreter, PACKAGE_ROOT } from './interpreter.js';
import { parseProgram } from './parser.js';
import { display } from './values.js';

/** How long a signalled program may take to stop on its own before the process exits. */
const SIGNAL_GRACE_MS = 1500;

const USAGE = `usage: mdhavers [run] FILE.braw [ARGS...]   run a program
       mdhavers check FILE.braw              parse only
       mdhavers                              interactive REPL
       mdhavers --version                    print the version`;

/**
 * Runs the command line; resolves to the exit code.
 *
 * @example
 * process.exitCode = await runCli(['run', 'hello.braw']);
 */
export async function runCli(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (first === '--version' || first === '-v') {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  if (first === undefined) return repl();
  if (first === 'check') {
    const file = rest[0];
    if (!file) {
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
    try {
      parseProgram(readFileSync(file, 'utf8'));
      process.stdout.write(`${file}: aw guid\n`);
      return 0;
    } catch (e) {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      return 1;
    }
  }
  const file = first === 'run' ? rest[0] : first;
  const args = first === 'run' ? rest.slice(1) : rest;
  if (!file) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const interp = new Interpreter({ args });
  // A signal stops every event loop, so a server script ends cleanly; a program that is not polling a
  // loop (blocked in a receive, or computing) is ended after a short grace, or at once on a second signal.
  let signalled = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    const code = 128 + (sig === 'SIGINT' ? 2 : 15);
    interp.flush();
    if (signalled) process.exit(code);
    signalled = true;
    interp.stopAll();
    setTimeout(() => {
      interp.flush();
      process.exit(code);
    }, SIGNAL_GRACE_MS).unref();
  };
  // Installed only once the program has an event loop to stop: until then a signal ends the process
  // at once (a handler could not even run while the program computes synchronously).
  interp.onFirstLoop = () => {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  };
  try {
    await interp.runFile(file);
    return 0;
  } catch (e) {
    interp.flush();
    const msg = e instanceof MdhError ? e.message : e instanceof Error ? e.message : String(e);
    process.stderr.write(`${msg}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await interp.close();
  }
}

async function repl(): Promise<number> {
  const interp = new Interpreter({ allAsync: true });
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: 'mdhavers> ' });
  const file = join(process.cwd(), '<repl>.braw');
  let buf = '';
  rl.prompt();
  for await (const line of rl) {
    buf += `${line}\n`;
    if (!balanced(buf)) {
      rl.setPrompt('     ...> ');
      rl.prompt();
      continue;
    }
    const src = buf;
    buf = '';
    try {
      const v = await interp.evalInGlobals(src, file);
      if (v !== null) process.stdout.write(`${display(v)}\n`);
    } catch (e) {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    }
    rl.setPrompt('mdhavers> ');
    rl.prompt();
  }
  await interp.close();
  return 0;
}

/** Whether brackets are balanced (so the REPL knows a multi-line construct has ended). */
function balanced(src: string): boolean {
  let depth = 0;
  let q: string | null = null;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (q) {
      if (c === '\\') i++;
      else if (c === q) q = null;
      continue;
    }
    if (c === '"' || c === "'") q = c;
    else if (c === '#') while (i < src.length && src[i] !== '\n') i++;
    else if (c === '{' || c === '(' || c === '[') depth++;
    else if (c === '}' || c === ')' || c === ']') depth--;
  }
  return depth <= 0 && q === null;
}
