#!/usr/bin/env node
// `pnpm sim --calls N --loss P --seed S [...]`: the deterministic network simulation of whole calls
// (tests/sim/, docs/simulation.md); the TypeScript runs without a build (scripts/run-ts.mjs). See tests/sim/cli.ts.
import { runTs } from './run-ts.mjs';

await runTs('/tests/sim/cli.ts', 'sim');
