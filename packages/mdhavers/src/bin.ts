#!/usr/bin/env node
/**
 * The `mdhavers` executable (see cli.ts).
 */
import { runCli } from './cli.js';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Sockets, timers or workers a script left behind must not keep the process alive.
    setTimeout(() => process.exit(code), 50).unref();
  },
  (err: unknown) => {
    process.stderr.write(`mdhavers: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
