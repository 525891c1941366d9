import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { inspectMessage, run } from '../src/commands/parse.js';

// Issue #14 item 10: a message the stack would reject is not "valid".

/** RFC 4475 §3.1.2.17 (baddate.dat): a Date header not in RFC 1123 GMT form — parsable, answered 400. */
const baddate = [
  'INVITE sip:user@example.com SIP/2.0',
  'To: sip:user@example.com',
  'From: sip:caller@example.net;tag=2234923',
  'Max-Forwards: 70',
  'Call-ID: baddate.239423mnsadf3j23lj42--sedfnm234',
  'CSeq: 1392934 INVITE',
  'Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw',
  'Date: Fri, 01 Jan 2010 16:00:00 EST',
  'Contact: <sip:caller@host5.example.net>',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

const good = baddate.replace('16:00:00 EST', '16:00:00 GMT');
const enc = new TextEncoder();

describe('mdh parse (issue #14 item 10)', () => {
  it('a request the stack would reject is valid:false with wouldReject, exit 1', () => {
    const r = inspectMessage(enc.encode(baddate));
    expect(r.code).toBe(1);
    expect(r.json.valid).toBe(false);
    expect((r.json.wouldReject as { status: number }).status).toBe(400);
    expect(r.json.method).toBe('INVITE');
  });

  it('the same request with a good Date is valid, exit 0; garbage is invalid, exit 1', () => {
    const r = inspectMessage(enc.encode(good));
    expect(r.code).toBe(0);
    expect(r.json.valid).toBe(true);
    expect(r.json.wouldReject).toBeUndefined();
    const g = inspectMessage(enc.encode('garbage\r\n\r\n'));
    expect(g.code).toBe(1);
    expect(g.json.valid).toBe(false);
  });

  it('run() exits 1 and prints "valid": false for baddate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdh-parse-'));
    const out: string[] = [];
    const w = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
      out.push(String(s));
      return true;
    });
    const e = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      writeFileSync(join(dir, 'baddate.dat'), baddate);
      expect(await run([join(dir, 'baddate.dat'), '--json'])).toBe(1);
      expect(JSON.parse(out.join('')).valid).toBe(false);
      out.length = 0;
      writeFileSync(join(dir, 'good.dat'), good);
      expect(await run([join(dir, 'good.dat'), '--json'])).toBe(0);
      expect(JSON.parse(out.join('')).valid).toBe(true);
    } finally {
      w.mockRestore();
      e.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
