// Real components some test suites need that npm has none of, from Debian's packages. The test command
// installs what is missing when it can (root on Debian); where it cannot, the suites that need it fail
// with a message naming the package (never a silent skip).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** What each package is for, and how to tell it is there. */
export const SYSTEM_PACKAGES = [
  {
    name: 'python3-grpcio',
    forSuites: 'the gRPC C-core client in test/bridge and test/e2e',
    // Debian's interpreter: the package installs into it, not into a pyenv or venv python3 on PATH.
    present: () => spawnSync('/usr/bin/python3', ['-c', 'import grpc'], { stdio: 'ignore' }).status === 0,
  },
  {
    name: 'openssl',
    forSuites: 'the workload certificates (SPIFFE IDs) the mTLS tests make in test/e2e/proxy-identity',
    present: () => spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0,
  },
  {
    name: 'prometheus',
    forSuites: 'the real Prometheus that judges rollouts in test/e2e/rollout-analysis',
    present: () => existsSync('/usr/bin/prometheus'),
  },
  {
    name: 'chromium',
    forSuites: 'the headless browser that drives the web console in test/e2e/console',
    present: () => existsSync('/usr/bin/chromium'),
  },
];

const canInstall = () => process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');

/** Installs the missing packages when it can; returns the ones still missing (each suite says so itself). */
export function ensureSystemPackages(log = (line) => console.log(line)) {
  const missing = SYSTEM_PACKAGES.filter((p) => !p.present());
  if (!missing.length) return [];
  const names = missing.map((p) => p.name);
  if (!canInstall()) {
    log(`missing Debian packages (not root, or no apt-get): ${names.join(', ')} — install them for ${missing.map((p) => p.forSuites).join('; ')}`);
    return names;
  }
  log(`installing ${names.join(', ')} with apt-get (needed by ${missing.map((p) => p.forSuites).join('; ')})`);
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], { stdio: 'inherit', env });
  } catch (err) {
    log(`apt-get failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  return SYSTEM_PACKAGES.filter((p) => !p.present()).map((p) => p.name);
}
