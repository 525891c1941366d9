import { readFileSync } from 'node:fs';
import { fromHex, toHex } from '@mdh/bytes';

/** Reads a JSON vector file from the repository's vector directory (tests/vectors, see its README). */
export function loadVectors(name: string): any {
  return JSON.parse(readFileSync(new URL(`../../../tests/vectors/${name}`, import.meta.url), 'utf8'));
}

export const hex = (s: string): Uint8Array => fromHex(s);
export const toh = (b: Uint8Array): string => toHex(b);
export const BACKENDS = ['js', 'wasm', 'noble', 'node'] as const;
