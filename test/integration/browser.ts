/**
 * Debian's Chromium for the tests that look at a page in a real browser (.ci/run installs
 * it). Without one the test is skipped, loudly, except in CI, where it must run.
 */
import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export const chromiumPath: string | undefined = [process.env.CHROMIUM_PATH, ...CANDIDATES].find((p): p is string => !!p && existsSync(p));

/** True when a browser test should be skipped (and says why). */
export function skipWithoutChromium(what: string): boolean {
  if (chromiumPath) return false;
  if (process.env.CI) return false; // run, and fail naming what to install
  process.stderr.write(`\n*** SKIPPED ${what}: no Chromium found (${CANDIDATES.join(', ')}, or CHROMIUM_PATH); apt-get install chromium ***\n\n`);
  return true;
}
