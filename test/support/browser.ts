import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (the `chromium` package, installed by the test setup when it can: scripts/system-packages.mjs). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Headless and quiet on a closed network: without the background-networking, component-update and sync
 * switches Chromium keeps trying to reach Google's services. A fresh profile per run.
 */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  page: Page;
  /** Every console error, uncaught exception, failed request and 4xx/5xx answer the page saw. */
  problems: string[];
  close(): Promise<void>;
}

/** Starts Chromium through playwright-core (which downloads no browser of its own) with one page that records its problems. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install the Debian package "chromium" (apt-get install chromium); the test setup does when it runs as root`);
  const profile = mkdtempSync(join(tmpdir(), 'xdsflare-chromium-'));
  // Playwright refuses --user-data-dir in args: a persistent context is how it takes a profile directory.
  const context: BrowserContext = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 800 } });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  return {
    page,
    problems,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
