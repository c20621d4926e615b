// The package as an app gets it: its exports resolve to the built files, it
// packs the builds, types, stylesheet, sources and license and nothing else,
// and it has no runtime dependency.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

it('resolves ".", "./react" and "./ringcast.css" to dist/', async () => {
  assert.match(import.meta.resolve('@ringcast/browser'), /\/dist\/index\.js$/);
  assert.match(import.meta.resolve('@ringcast/browser/react'), /\/dist\/react\/index\.js$/);
  assert.match(import.meta.resolve('@ringcast/browser/ringcast.css'), /\/dist\/ringcast\.css$/);
  const core = await import('@ringcast/browser');
  assert.deepEqual(Object.keys(core).sort(), ['EVENT_NAMES', 'SSEClient', 'backoffDelay', 'byPriority', 'createSSEClient', 'createSSEParser']);
  const react = await import('@ringcast/browser/react');
  assert.deepEqual(Object.keys(react).sort(), ['BannerStack', 'SSEConnectionIndicator', 'useSSE', 'useSSEAlerts']);
});

it('has no runtime dependency; React is an optional peer', () => {
  assert.equal(pkg.dependencies, undefined);
  assert.equal(pkg.peerDependencies.react, '>=18');
  assert.equal(pkg.peerDependenciesMeta.react.optional, true);
  for (const [name, version] of Object.entries(pkg.devDependencies)) assert.match(version, /^\d+\.\d+\.\d+$/, `${name} is pinned`);
});

it('packs the builds, the declarations, the stylesheet, the sources and the license only', async () => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
  const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, env });
  const files = JSON.parse(stdout)[0].files.map((f) => f.path);
  for (const f of ['package.json', 'LICENSE', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/react/index.js', 'dist/react/index.d.ts', 'dist/ringcast.css', 'src/index.ts'])
    assert.ok(files.includes(f), `${f} is packed`);
  assert.deepEqual(
    files.filter((f) => /^(test|scripts|node_modules)\//.test(f) || f.startsWith('tsconfig')),
    [],
  );
});
