import { readFileSync } from 'node:fs';
import { fromHex, toHex } from '@mdh/bytes';

/** Reads a JSON vector file from the shared vectors directory (../shared/vectors relative to the repo). */
export function loadVectors(name: string): any {
  const candidates = [
    new URL(`../../../../shared/vectors/${name}`, import.meta.url),
    new URL(`file:///work/shared/vectors/${name}`),
  ];
  for (const u of candidates) {
    try {
      return JSON.parse(readFileSync(u, 'utf8'));
    } catch {
      // try the next location
    }
  }
  throw new Error(`vector file ${name} not found`);
}

export const hex = (s: string): Uint8Array => fromHex(s);
export const toh = (b: Uint8Array): string => toHex(b);
export const BACKENDS = ['js', 'wasm', 'noble', 'node'] as const;
