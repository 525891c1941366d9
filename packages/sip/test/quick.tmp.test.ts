import { readFileSync, readdirSync } from 'node:fs';
import { it } from 'vitest';
import { parseMessage, serializeMessage, SipParseError } from '../src/message-layer.js';
it('quick', () => {
  const dir = '/work/shared/vectors/sip-torture/';
  const m = JSON.parse(readFileSync(dir + 'manifest.json', 'utf8'));
  for (const x of m.messages) {
    const b = new Uint8Array(readFileSync(dir + x.file));
    let r: string;
    try { const msg = parseMessage(b); msg.vias; r = 'OK ' + (msg.kind === 'request' ? msg.method : msg.status) + ' body=' + msg.body.length; serializeMessage(msg); }
    catch (e) { r = e instanceof SipParseError ? `ERR ${e.status} ${e.reason}: ${e.message}` : 'THROW ' + e; }
    console.log(x.file, x.valid, '=>', r);
  }
});
