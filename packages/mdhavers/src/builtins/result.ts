/**
 * Result dicts (SPEC.md §12.1): `{"ok": aye, "value": V}` and `{"ok": nae, "error": MESSAGE, "code": N}`.
 */
import { MDict, type Value } from '../values.js';

/** A success result dict. */
export function ok(value: Value): MDict {
  const d = new MDict();
  d.m.set('ok', true);
  d.m.set('value', value);
  return d;
}

/** A failure result dict (`code` is the OS errno, or -1). */
export function err(message: string, code = -1): MDict {
  const d = new MDict();
  d.m.set('ok', false);
  d.m.set('error', message);
  d.m.set('code', code);
  return d;
}

/** Builds a dict from string keys in order. */
export function dict(entries: Record<string, Value>): MDict {
  const d = new MDict();
  for (const k of Object.keys(entries)) d.m.set(k, entries[k] as Value);
  return d;
}
