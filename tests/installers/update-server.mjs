// A release server for the update test: HTTPS on 127.0.0.1 with a certificate from a CA made
// for this run (the app trusts it through SSL_CERT_FILE, so TLS stays verified), serving a
// signed update manifest for version 9.9.9 and the package it names. The package is signed
// with a key pair made for this run; `sign('other')` switches the manifest to a signature by a
// different key, which the app must refuse.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const tauri = path.join(root, 'ui/node_modules/.bin/tauri');

function openssl(...args) {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA and a server certificate for 127.0.0.1, in `dir`. Returns the CA's path. */
function certificates(dir) {
  const p = (name) => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '2', '-subj', '/CN=Hearth update test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  openssl('req', ...ec, '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=127.0.0.1');
  fs.writeFileSync(p('server.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial',
    '-out', p('server.pem'), '-days', '2', '-extfile', p('server.ext'));
  return p('ca.pem');
}

/** A minisign key pair made with the Tauri CLI; returns { key, pub } as the CLI writes them. */
function keyPair(dir, name) {
  const file = path.join(dir, name);
  execFileSync(tauri, ['signer', 'generate', '--ci', '-p', '', '-w', file, '-f'], { stdio: 'ignore' });
  return { key: fs.readFileSync(file, 'utf8').trim(), pub: fs.readFileSync(`${file}.pub`, 'utf8').trim() };
}

/** The `.sig` content for `file` signed with `key`. */
function signature(dir, file, key, name) {
  const copy = path.join(dir, name);
  fs.copyFileSync(file, copy);
  execFileSync(tauri, ['signer', 'sign', '-k', key, '-p', '', copy], { stdio: 'ignore' });
  return fs.readFileSync(`${copy}.sig`, 'utf8').trim();
}

/**
 * Starts the server for `pkg` (the newer package's file). Returns the endpoint, the public key
 * the app should trust, the CA file, the request log and `sign(which)` to switch signatures.
 */
export async function startUpdateServer(dir, pkg) {
  const ca = certificates(dir);
  const release = keyPair(dir, 'release.key');
  const other = keyPair(dir, 'other.key');
  const signatures = {
    release: signature(dir, pkg, release.key, 'release-signed.deb'),
    other: signature(dir, pkg, other.key, 'other-signed.deb'),
  };
  let current = 'release';
  const requests = [];
  const server = https.createServer(
    { key: fs.readFileSync(path.join(dir, 'server.key')), cert: fs.readFileSync(path.join(dir, 'server.pem')) },
    (req, res) => {
      requests.push(req.url);
      if (req.url === '/latest.json') {
        const url = `https://127.0.0.1:${server.address().port}/Hearth_9.9.9_amd64.deb`;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({
          version: '9.9.9',
          notes: 'A newer Hearth for the update test',
          pub_date: '2026-11-30T00:00:00Z',
          platforms: { 'linux-x86_64-deb': { signature: signatures[current], url } },
        }));
      } else if (req.url === '/Hearth_9.9.9_amd64.deb') {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': fs.statSync(pkg).size });
        fs.createReadStream(pkg).pipe(res);
      } else {
        res.writeHead(404).end();
      }
    },
  );
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `https://127.0.0.1:${server.address().port}/latest.json`,
    pubkey: release.pub,
    ca,
    requests,
    sign(which) {
      current = which;
    },
    close: () => server.close(),
  };
}
