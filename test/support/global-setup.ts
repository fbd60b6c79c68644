import { ensureDevVars } from '../../scripts/dev-vars.mjs';

/** Runs once before any test file: several files start `npm start`'s script at once, and all must share one .dev.vars. */
export default function setup(): void {
  ensureDevVars();
}
