import { describe, expect, it } from 'vitest';
import { connectTls, listenTls, SocketError } from '../src/index.js';

// Bad PEM material is caught by OpenSSL while the context is built; it must come back as a typed
// SocketError (op 'configure', the OpenSSL code), like every other failure of the TLS functions.
const NOT_PEM = '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n';

describe('TLS configuration errors are typed', () => {
  it('connectTls with a broken client certificate rejects with a SocketError', async () => {
    const e = await connectTls({ host: '127.0.0.1', port: 9, cert: NOT_PEM, key: 'garbage', timeoutMs: 500 }).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(SocketError);
    expect((e as SocketError).op).toBe('configure');
    expect((e as SocketError).code).toMatch(/^ERR_/);
  });

  it('listenTls with a broken key rejects with a SocketError and binds nothing', async () => {
    const e = await listenTls({ host: '127.0.0.1', port: 0, cert: NOT_PEM, key: 'garbage' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SocketError);
    expect((e as SocketError).op).toBe('configure');
  });
});
