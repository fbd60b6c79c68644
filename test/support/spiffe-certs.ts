import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Real certificates for the mTLS tests, made by the openssl CLI at test time (Debian's openssl,
 * scripts/system-packages.mjs): a mesh CA, the bridge's serving certificate, and workload certificates
 * whose URI SAN is a SPIFFE ID, as Istio's and SPIRE's are. Nothing here is a double: the bridge verifies
 * them in a real TLS handshake.
 */
export interface CertFiles {
  cert: string;
  key: string;
}

export interface MeshCerts {
  dir: string;
  /** The CA bundle (PEM file) the bridge verifies client certificates against; it also signed the server's. */
  caFile: string;
  server: CertFiles;
  /** A workload certificate of `spiffeId`, signed by the mesh CA (or by another CA, `rogue`). */
  workload(name: string, spiffeId: string, options?: { rogue?: boolean }): CertFiles;
  read(path: string): Buffer;
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });

function selfSignedCa(dir: string, name: string): CertFiles {
  const files = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', files.key, '-out', files.cert, '-days', '2', '-subj', `/O=xdsflare test/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  return files;
}

function signed(dir: string, ca: CertFiles, name: string, san: string, usage: 'serverAuth' | 'clientAuth'): CertFiles {
  const files = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=${usage}\nsubjectAltName=${san}\n`);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', files.key, '-out', csr, '-subj', `/O=xdsflare test/CN=${name}`], dir);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', files.cert, '-days', '2', '-extfile', ext], dir);
  return files;
}

export function makeMeshCerts(): MeshCerts {
  const dir = mkdtempSync(join(tmpdir(), 'xdsflare-spiffe-'));
  const ca = selfSignedCa(dir, 'mesh-ca');
  const rogueCa = selfSignedCa(dir, 'rogue-ca');
  const server = signed(dir, ca, 'bridge', 'DNS:xdsflare-bridge.xdsflare-system.svc,DNS:localhost,IP:127.0.0.1', 'serverAuth');
  return {
    dir,
    caFile: ca.cert,
    server,
    workload: (name, spiffeId, options = {}) => signed(dir, options.rogue ? rogueCa : ca, name, `URI:${spiffeId}`, 'clientAuth'),
    read: (path) => readFileSync(path),
  };
}
