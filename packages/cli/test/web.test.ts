// mdh web without a browser: what it serves (the JsSIP page, the SIP.js page and SIP.js's own ES modules, nothing
// else), and a call over UDP to a user no page registered as is declined. The browser tests are in
// tests/interop/browser.test.ts.
import { get } from 'node:https';
import { listenTransport, UserAgent } from '@mdh/sip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeCall } from '../src/commands/call.js';
import { startWeb, type WebServer } from '../src/commands/web.js';

function fetchText(url: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { rejectUnauthorized: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    }).on('error', reject);
  });
}

describe('mdh web (no echo)', () => {
  let web: WebServer;
  beforeAll(async () => {
    web = await startWeb({ port: 0 });
  });
  afterAll(async () => {
    await web?.stop();
  });

  it('serves the JsSIP page, the SIP.js page and the SIP.js modules from the npm package', async () => {
    const page = await fetchText(web.url);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script src="/jssip.js"></script>');
    const sipjs = await fetchText(`${web.url}sipjs.html`);
    expect(sipjs.body).toContain('<script type="module" src="/phone-sipjs.js"></script>');
    expect(sipjs.body).not.toContain('jssip.js');
    const mod = await fetchText(`${web.url}sip.js/index.js`);
    expect(mod.status).toBe(200);
    expect(mod.type).toMatch(/^text\/javascript/);
    expect(mod.body).toMatch(/export \* from "\.\/api\/index\.js"/);
    expect((await fetchText(`${web.url}sip.js/api/inviter.js`)).status).toBe(200);
    // only the package's .js files: no traversal, no other files
    expect((await fetchText(`${web.url}sip.js/../package.json`)).status).toBe(404);
    expect((await fetchText(`${web.url}sip.js/index.d.ts`)).status).toBe(404);
    expect((await fetchText(`${web.url}nope.js`)).status).toBe(404);
  });

  it('listens for SIP over UDP on the same port number; a user with no page is declined 480', async () => {
    expect(web.udp.protocol).toBe('udp');
    expect(web.udp.localPort).toBe(web.port);
    const r = await placeCall({ target: `sip:nobody@127.0.0.1:${web.port}`, durationS: 1 });
    expect(r.ok).toBe(false);
    expect(r.status).toBe(480);
    expect(web.pages.bridged).toBe(0);
  });
});

describe('mdh web --echo without --auth', () => {
  let web: WebServer;
  beforeAll(async () => {
    web = await startWeb({ port: 0, echo: true });
  });
  afterAll(async () => {
    await web?.stop();
  });

  it('is still the registrar of its pages (a REGISTER over WSS gets 200; the binding is kept)', async () => {
    const t = await listenTransport('wss', { host: '127.0.0.1', port: 0, insecure: true });
    const ua = new UserAgent({ transports: [t], user: 'bob' });
    try {
      const reg = await ua.register(`sip:127.0.0.1:${web.port};transport=wss`, { expires: 600 });
      expect(reg.state).toBe('registered');
      expect(web.ua.registrar!.lookup('sip:bob@127.0.0.1')).toHaveLength(1);
    } finally {
      await ua.close({ boundMs: 1000 });
    }
  });
});
