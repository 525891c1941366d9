import { parseUri } from '@mdh/sip';

/**
 * Option checker (the `parse` of an option spec, see ../args.ts) for a `sip:`/`sips:` URI such as `--to`: returns
 * the text, or throws when it is not a SIP URI (RFC 3261 §19.1).
 */
export function sipUri(t: string): string {
  let ok = false;
  try {
    ok = parseUri(t).kind === 'sip';
  } catch {}
  if (!ok) throw new Error(`'${t}' is not a sip: or sips: URI`);
  return t;
}
