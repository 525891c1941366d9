#!/usr/bin/env node
// `pnpm fuzz [target|group ...] [--cases N] [--seed S] [--minutes M]`: the fuzz suite (tests/fuzz/); the TypeScript
// runs without a build (scripts/run-ts.mjs). See tests/fuzz/cli.ts.
import { runTs } from './run-ts.mjs';

await runTs('/tests/fuzz/cli.ts', 'fuzz');
