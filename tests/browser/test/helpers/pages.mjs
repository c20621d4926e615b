// Builds the test pages of tests/browser/pages/ (the probe) with web/build.mjs,
// as the daemon's own pages are built, into a folder a daemon serves with
// [web] root: returns the folder's path.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = join(here, '../../../..');

export function buildTestPages() {
  const out = join(mkdtempSync(join(tmpdir(), 'ringcast-test-pages-')), 'pages');
  execFileSync(process.execPath, [join(repo, 'web/build.mjs'), '--pages', join(repo, 'tests/browser/pages'), '--outdir', out], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return out;
}

/** The configuration that serves them: TOML text, plus any more. */
export function webRootConfig(root, more = '') {
  return `[web]\nroot = ${JSON.stringify(root)}\n${more}`;
}

/** Removes what buildTestPages() made. */
export function removeTestPages(root) {
  rmSync(dirname(root), { recursive: true, force: true });
}
