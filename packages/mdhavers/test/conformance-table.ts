/**
 * Table-driven conformance cases: each is a whole program with the stdout the SPEC implies and, for
 * failing programs, the error category and the texts its message must contain (SPEC.md §10).
 */
import { expect, it } from 'vitest';
import type { ErrorKind } from '../src/errors.js';
import { run } from './helpers.js';

/** One program and its expected behaviour. */
export interface Case {
  /** Short name (the test title). */
  name: string;
  /** Program text. */
  src: string;
  /** Exact stdout. */
  out: string;
  /** Expected uncaught error, if the program fails. */
  err?: { kind: ErrorKind; has?: string[] };
}

/** Registers one vitest case per table row. */
export function table(cases: Case[]): void {
  for (const c of cases) {
    it(c.name, async () => {
      const r = await run(c.src);
      expect(r.out).toBe(c.out);
      if (c.err) {
        expect(r.error, `expected a ${c.err.kind} error`).not.toBeNull();
        expect(r.error?.kind).toBe(c.err.kind);
        for (const h of c.err.has ?? []) expect(r.error?.message).toContain(h);
      } else {
        expect(r.error?.message ?? null).toBeNull();
      }
    });
  }
}
