import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DtlsEngine, loadCertificate, pemBlocks, toPem, validateCertificatePath } from '@mdh/dtls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasPeer } from './peers.js';

// Differential test of RFC 5280 §6.1 path validation: a corpus of chains built with the openssl CLI at test time, and
// for every chain mdh's verdict must equal `openssl verify -x509_strict -purpose sslclient -CAfile … -untrusted …`
// (strict X.509 as RFC 5280 asks; sslclient makes OpenSSL check the leaf's keyUsage as a signing peer needs).

const EXTENSIONS = `
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[root_pl0]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[root_pl1]
basicConstraints = critical,CA:TRUE,pathlen:1
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[int]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[int_pl0]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[int_nobc]
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[int_badku]
basicConstraints = critical,CA:TRUE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[leaf]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[leaf_noku]
basicConstraints = CA:FALSE
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[leaf_badku]
basicConstraints = CA:FALSE
keyUsage = critical,keyEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[leaf_crit]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
1.3.6.1.4.1.55555.1 = critical,ASN1:NULL
[selfleaf]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
`;

type Alg = 'rsa' | 'ec';

interface Case {
  name: string;
  /** What RFC 5280 says (the corpus is checked to hold both good and bad chains, as meant). */
  expected: boolean;
  leaf: string;
  untrusted: string[];
  roots: string[];
}

describe.skipIf(!hasPeer('openssl'))('X.509 path validation: mdh agrees with openssl verify', () => {
  let dir = '';
  const cases: Case[] = [];

  const openssl = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  const keys = new Map<string, string>();
  /** One key per role and algorithm (RSA 2048, ECDSA P-256). */
  const key = (role: string, alg: Alg): string => {
    const f = `${role}-${alg}.key`;
    if (!keys.has(f)) {
      openssl(
        alg === 'rsa'
          ? ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', f]
          : ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', f],
      );
      keys.set(f, f);
    }
    return f;
  };
  let serial = 1;
  const selfSigned = (out: string, k: string, cn: string, section: string) => {
    openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      k,
      '-subj',
      `/CN=${cn}`,
      '-days',
      '3650',
      '-sha256',
      '-config',
      'ext.cnf',
      '-extensions',
      section,
      '-set_serial',
      String(serial++),
      '-out',
      out,
    ]);
    return out;
  };
  /** Issues `out` for key `k` from the CA certificate `ca` (key `caKey`); `dates` uses `openssl ca` for fixed dates. */
  const issue = (
    out: string,
    k: string,
    cn: string,
    ca: string,
    caKey: string,
    section: string,
    dates?: [string, string],
  ) => {
    const csr = `${out}.csr`;
    openssl(['req', '-new', '-key', k, '-subj', `/CN=${cn}`, '-config', 'ext.cnf', '-out', csr]);
    if (dates) {
      openssl([
        'ca',
        '-batch',
        '-config',
        'ca.cnf',
        '-cert',
        ca,
        '-keyfile',
        caKey,
        '-in',
        csr,
        '-out',
        out,
        '-startdate',
        dates[0],
        '-enddate',
        dates[1],
        '-extfile',
        'ext.cnf',
        '-extensions',
        section,
        '-notext',
      ]);
    } else {
      openssl([
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        ca,
        '-CAkey',
        caKey,
        '-set_serial',
        String(serial++),
        '-days',
        '365',
        '-sha256',
        '-extfile',
        'ext.cnf',
        '-extensions',
        section,
        '-out',
        out,
      ]);
    }
    return out;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mdh-x509-'));
    writeFileSync(join(dir, 'ext.cnf'), `[req]\ndistinguished_name = dn\n[dn]\n${EXTENSIONS}`);
    mkdirSync(join(dir, 'newcerts'));
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial'), '1000\n');
    writeFileSync(
      join(dir, 'ca.cnf'),
      `[ca]\ndefault_ca = d\n[d]\ndatabase = ${dir}/index.txt\nnew_certs_dir = ${dir}/newcerts\nserial = ${dir}/serial\n` +
        'default_md = sha256\npolicy = p\nunique_subject = no\nemail_in_dn = no\ncopy_extensions = none\n[p]\ncommonName = supplied\n',
    );
    for (const alg of ['rsa', 'ec'] as const) {
      const k = (role: string) => key(role, alg);
      const p = (n: string) => `${alg}-${n}.pem`;
      const add = (name: string, expected: boolean, leaf: string, untrusted: string[], roots: string[]) =>
        cases.push({ name: `${alg}: ${name}`, expected, leaf, untrusted, roots });

      const root = selfSigned(p('root'), k('root'), 'Root', 'root');
      const rootPl0 = selfSigned(p('root-pl0'), k('root'), 'Root', 'root_pl0');
      const rootPl1 = selfSigned(p('root-pl1'), k('root'), 'Root', 'root_pl1');
      const otherRoot = selfSigned(p('other-root'), k('other'), 'Root', 'root');
      const int = issue(p('int'), k('int'), 'Int', root, k('root'), 'int');
      const int2 = issue(p('int2'), k('int2'), 'Int2', int, k('int'), 'int');
      const intPl0 = issue(p('int-pl0'), k('int'), 'Int', root, k('root'), 'int_pl0');
      const int2UnderPl0 = issue(p('int2-pl0'), k('int2'), 'Int2', intPl0, k('int'), 'int');
      const intNoBc = issue(p('int-nobc'), k('int'), 'Int', root, k('root'), 'int_nobc');
      const intBadKu = issue(p('int-badku'), k('int'), 'Int', root, k('root'), 'int_badku');
      const intExpired = issue(p('int-expired'), k('int'), 'Int', root, k('root'), 'int', [
        '200101000000Z',
        '210101000000Z',
      ]);

      add('good: root → leaf', true, issue(p('l1'), k('leaf'), 'Leaf', root, k('root'), 'leaf'), [], [root]);
      add('good: root → int → leaf', true, issue(p('l2'), k('leaf'), 'Leaf', int, k('int'), 'leaf'), [int], [root]);
      const l3 = issue(p('l3'), k('leaf'), 'Leaf', int2, k('int2'), 'leaf');
      add('good: root → int → int2 → leaf', true, l3, [int2, int], [root]);
      add('good: intermediates in reverse order', true, l3, [int, int2], [root]);
      add('good: root sent by the peer too', true, l3, [int2, int, root], [root]);
      add(
        'good: leaf without keyUsage',
        true,
        issue(p('l4'), k('leaf'), 'Leaf', int, k('int'), 'leaf_noku'),
        [int],
        [root],
      );
      add(
        'good: root pathlen:1 above one intermediate',
        true,
        issue(p('l5'), k('leaf'), 'Leaf', int, k('int'), 'leaf'),
        [int],
        [rootPl1],
      );
      add(
        'good: intermediate pathlen:0 directly above the leaf',
        true,
        issue(p('l6'), k('leaf'), 'Leaf', intPl0, k('int'), 'leaf'),
        [intPl0],
        [root],
      );

      // issue #14 item 3: a CA issues a CA:FALSE leaf, and the leaf signs an "evil" certificate
      const victim = issue(p('victim'), k('leaf'), 'Victim', int, k('int'), 'leaf');
      add(
        'non-CA issuer (CA:FALSE leaf signs a certificate)',
        false,
        issue(p('evil'), k('evil'), 'Evil', victim, k('leaf'), 'leaf'),
        [victim, int],
        [root],
      );
      add(
        'issuer without basicConstraints',
        false,
        issue(p('l7'), k('leaf'), 'Leaf', intNoBc, k('int'), 'leaf'),
        [intNoBc],
        [root],
      );
      add(
        'pathlen:0 root above an intermediate',
        false,
        issue(p('l8'), k('leaf'), 'Leaf', int, k('int'), 'leaf'),
        [int],
        [rootPl0],
      );
      add(
        'pathlen:0 intermediate above another',
        false,
        issue(p('l9'), k('leaf'), 'Leaf', int2UnderPl0, k('int2'), 'leaf'),
        [int2UnderPl0, intPl0],
        [root],
      );
      add(
        'expired leaf',
        false,
        issue(p('l10'), k('leaf'), 'Leaf', int, k('int'), 'leaf', ['200101000000Z', '210101000000Z']),
        [int],
        [root],
      );
      add(
        'leaf not yet valid',
        false,
        issue(p('l11'), k('leaf'), 'Leaf', int, k('int'), 'leaf', ['400101000000Z', '410101000000Z']),
        [int],
        [root],
      );
      add(
        'expired intermediate',
        false,
        issue(p('l12'), k('leaf'), 'Leaf', intExpired, k('int'), 'leaf'),
        [intExpired],
        [root],
      );
      add(
        'issuer keyUsage without keyCertSign',
        false,
        issue(p('l13'), k('leaf'), 'Leaf', intBadKu, k('int'), 'leaf'),
        [intBadKu],
        [root],
      );
      add(
        'leaf keyUsage without digitalSignature',
        false,
        issue(p('l14'), k('leaf'), 'Leaf', int, k('int'), 'leaf_badku'),
        [int],
        [root],
      );
      const impostor = selfSigned(p('impostor'), k('int'), 'Impostor', 'root');
      add('wrong issuer name', false, issue(p('l15'), k('leaf'), 'Leaf', impostor, k('int'), 'leaf'), [int], [root]);
      const bad = issue(p('l16'), k('leaf'), 'Leaf', int, k('int'), 'leaf');
      const der = pemBlocks(readFileSync(join(dir, bad), 'utf8'))[0]!;
      der[der.length - 3]! ^= 0x01; // inside the signature value
      writeFileSync(join(dir, p('l16-badsig')), toPem(der));
      add('bad signature', false, p('l16-badsig'), [int], [root]);
      const self = selfSigned(p('self'), k('self'), 'Self', 'selfleaf');
      add('self-signed leaf not in the trust store', false, self, [], [root]);
      add('self-signed leaf that is the trust anchor', true, self, [], [self]);
      add(
        'chain to a root that is not trusted',
        false,
        issue(p('l17'), k('leaf'), 'Leaf', int, k('int'), 'leaf'),
        [int],
        [otherRoot],
      );
      add(
        'unhandled critical extension on the leaf',
        false,
        issue(p('l18'), k('leaf'), 'Leaf', int, k('int'), 'leaf_crit'),
        [int],
        [root],
      );
      add('intermediate missing from the chain', false, l3, [int], [root]);
    }
    // mixed algorithms: an RSA root, an ECDSA intermediate, an RSA leaf
    const mixedInt = issue('mixed-int.pem', key('int', 'ec'), 'Int', 'rsa-root.pem', key('root', 'rsa'), 'int');
    const mixedLeaf = issue('mixed-leaf.pem', key('leaf', 'rsa'), 'Leaf', mixedInt, key('int', 'ec'), 'leaf');
    cases.push({
      name: 'mixed: RSA root → ECDSA int → RSA leaf',
      expected: true,
      leaf: mixedLeaf,
      untrusted: [mixedInt],
      roots: ['rsa-root.pem'],
    });
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a corpus of at least 30 chains: mdh verdict = openssl verify verdict = the RFC 5280 verdict, for every chain', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    const read = (f: string) => pemBlocks(readFileSync(join(dir, f), 'utf8'));
    const rows: string[] = [];
    const now = Date.now();
    for (const c of cases) {
      writeFileSync(join(dir, 'cafile.pem'), c.roots.map((f) => readFileSync(join(dir, f), 'utf8')).join(''));
      writeFileSync(join(dir, 'untrusted.pem'), c.untrusted.map((f) => readFileSync(join(dir, f), 'utf8')).join(''));
      const args = ['verify', '-x509_strict', '-purpose', 'sslclient', '-CAfile', 'cafile.pem'];
      if (c.untrusted.length > 0) args.push('-untrusted', 'untrusted.pem');
      const r = spawnSync('openssl', [...args, c.leaf], { cwd: dir, encoding: 'utf8' });
      const theirs = r.status === 0 && /: OK\s*$/.test(r.stdout);
      const chain = [...read(c.leaf), ...c.untrusted.flatMap(read)];
      const ours = validateCertificatePath(chain, c.roots.flatMap(read), { time: now });
      const opensslWhy = (r.stderr.match(/error \d+ at \d+ depth lookup: [^\n]*/) ?? [''])[0];
      rows.push(
        `${c.name}: mdh ${ours.ok ? 'OK' : `rejects (${ours.reason})`} | openssl ${theirs ? 'OK' : opensslWhy}`,
      );
      expect({ chain: c.name, verdict: ours.ok }).toEqual({ chain: c.name, verdict: theirs });
      expect({ chain: c.name, verdict: ours.ok }).toEqual({ chain: c.name, verdict: c.expected });
    }
    console.log(rows.join('\n'));
  });

  it('a DTLS server with --ca refuses a client whose chain passes through a non-CA certificate, and accepts a good one', () => {
    const rootPem = readFileSync(join(dir, 'ec-root.pem'), 'utf8');
    const pair = (certFiles: string[], keyFile: string) => {
      const cert = loadCertificate(
        certFiles.map((f) => readFileSync(join(dir, f), 'utf8')).join(''),
        readFileSync(join(dir, keyFile), 'utf8'),
      );
      const serverCert = loadCertificate(
        readFileSync(join(dir, 'ec-l2.pem'), 'utf8') + readFileSync(join(dir, 'ec-int.pem'), 'utf8'),
        readFileSync(join(dir, 'leaf-ec.key'), 'utf8'),
      );
      const client = new DtlsEngine({ role: 'client', certificate: cert, ca: [rootPem] });
      const server = new DtlsEngine({ role: 'server', certificate: serverCert, ca: [rootPem], cookieExchange: false });
      client.start(0);
      const events: { client: string[]; server: string[] } = { client: [], server: [] };
      for (let round = 0; round < 10; round++) {
        for (const [from, to, name] of [
          [client, server, 'client'],
          [server, client, 'server'],
        ] as const) {
          for (let o = from.pollOutput(); o.kind !== 'deadline'; o = from.pollOutput()) {
            if (o.kind === 'datagram') to.handleInput(o.data, round);
            else if (o.kind === 'event')
              events[name].push(o.event.type === 'error' ? `error: ${o.event.error.message}` : o.event.type);
          }
        }
      }
      return events;
    };
    const good = pair(['ec-l2.pem', 'ec-int.pem'], 'leaf-ec.key');
    expect(good.client).toContain('connected');
    expect(good.server).toContain('connected');
    const evil = pair(['ec-evil.pem', 'ec-victim.pem', 'ec-int.pem'], 'evil-ec.key');
    expect(evil.server.join()).toMatch(/peer certificate chain does not verify: issuer is not a CA/);
    expect(evil.server).not.toContain('connected');
  });
});
