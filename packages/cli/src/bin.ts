#!/usr/bin/env node
/** The `mdh` executable (see main.ts). */
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`mdh: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
