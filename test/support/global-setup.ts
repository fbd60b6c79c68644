import { ensureDevVars } from '../../scripts/dev-vars.mjs';
import { ensureSystemPackages } from '../../scripts/system-packages.mjs';

/**
 * Runs once before any test file: several files start `npm start`'s script at once, and all must share
 * one .dev.vars; Debian packages some suites need are installed here when missing (those suites fail
 * with the package's name when they still are).
 */
export default function setup(): void {
  ensureDevVars();
  ensureSystemPackages();
}
