// .dev.vars is wrangler's local-secrets file. Created once, with a random admin token, when missing;
// `npm start` and the test setup both call this, so concurrent starts never race to write it.
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const devVarsPath = join(dirname(fileURLToPath(import.meta.url)), '..', '.dev.vars');

/** The key TLS Secrets are encrypted with at rest (AES-256-GCM): base64 of 32 random bytes. */
const secretsKey = () => randomBytes(32).toString('base64');

/** Creates .dev.vars when missing; returns whether it did, and the admin token it holds. */
export function ensureDevVars() {
  let created = false;
  if (!existsSync(devVarsPath)) {
    const token = randomBytes(24).toString('base64url');
    try {
      // 'wx': if another process created it meanwhile, keep theirs.
      writeFileSync(devVarsPath, `# Local secrets for wrangler dev (never commit).\nADMIN_TOKEN=${token}\nALLOW_ANONYMOUS_XDS=true\nWEBHOOK_ALLOW_PRIVATE_TARGETS=true\nSECRETS_KEY=${secretsKey()}\n`, { mode: 0o600, flag: 'wx' });
      created = true;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
  }
  const text = readFileSync(devVarsPath, 'utf8');
  // Files made before TLS Secrets existed get their encryption key added once.
  if (!/^SECRETS_KEY=/m.test(text)) appendFileSync(devVarsPath, `${text.endsWith('\n') ? '' : '\n'}SECRETS_KEY=${secretsKey()}\n`);
  // Local receivers listen on loopback, which webhooks refuse unless this is set.
  if (!/^WEBHOOK_ALLOW_PRIVATE_TARGETS=/m.test(readFileSync(devVarsPath, 'utf8'))) appendFileSync(devVarsPath, 'WEBHOOK_ALLOW_PRIVATE_TARGETS=true\n');
  const adminToken = /^ADMIN_TOKEN=(.*)$/m.exec(text)?.[1]?.trim();
  return { created, adminToken };
}
