// web/build.mjs on pages made here, in a temporary folder: what it writes for a
// page (a bundle, its stylesheet, HTML with nothing inline), how imports
// resolve (the browser client's sources; React from web/node_modules only, even
// when the client has a React of its own), the manifest and depfile meson reads,
// and the mistakes it refuses. `meson test web-build`, or
// `node --test web/test/build.test.mjs` after `npm ci` in web/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const webDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const buildScript = path.join(webDir, 'build.mjs');
const scratch = mkdtempSync(path.join(tmpdir(), 'ringcast-web-build-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let counter = 0;
function folder() {
  const dir = path.join(scratch, `t${++counter}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function write(file, text) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

// A browser client's sources as the real one lays them out (src/index.ts,
// src/react/index.ts), with a React of its own beside them that must not be used.
function browserClient(dir) {
  write(path.join(dir, 'src/index.ts'), 'export function clientName(): string { return "from-the-browser-client"; }\n');
  write(
    path.join(dir, 'src/react/index.ts'),
    "import { useState } from 'react';\n" +
      'export function useCount(): number { const [n] = useState(41); return n + 1; }\n',
  );
  write(path.join(dir, 'node_modules/react/package.json'), '{"name":"react","version":"0.0.0","main":"index.js"}\n');
  write(path.join(dir, 'node_modules/react/index.js'), 'module.exports = { marker: "A-SECOND-REACT" };\n');
  return path.join(dir, 'src');
}

function build(args) {
  const r = spawnSync(process.execPath, [buildScript, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('no pages: an empty outdir, an empty manifest', () => {
  const dir = folder();
  const r = build([
    '--pages', path.join(dir, 'pages'), '--outdir', path.join(dir, 'out'),
    '--manifest', path.join(dir, 'manifest'), '--depfile', path.join(dir, 'deps'),
  ]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(readdirSync(path.join(dir, 'out')), ['.ringcast-web']);
  assert.equal(readFileSync(path.join(dir, 'manifest'), 'utf8'), '');
  assert.match(readFileSync(path.join(dir, 'deps'), 'utf8'), /manifest: \\\n.*build\.mjs/);
});

test('a page: its bundle, stylesheet and HTML, minified, one React', () => {
  const dir = folder();
  const pages = path.join(dir, 'pages');
  write(
    path.join(pages, 'demo/main.tsx'),
    "import { createRoot } from 'react-dom/client';\n" +
      "import { clientName } from '@ringcast/browser';\n" +
      "import { useCount } from '@ringcast/browser/react';\n" +
      "import './demo.css';\n" +
      '// a comment minification drops\n' +
      'function App() { return <p className="demo">{clientName()} {useCount()}</p>; }\n' +
      "createRoot(document.getElementById('root')!).render(<App />);\n",
  );
  write(path.join(pages, 'demo/demo.css'), '.demo {\n  color: rebeccapurple;\n}\n');
  write(path.join(pages, 'plain/main.ts'), "document.title = 'plain';\n");
  write(path.join(pages, 'notes/README.md'), 'not a page: no main.ts\n');
  const out = path.join(dir, 'out');
  const r = build([
    '--pages', pages, '--browser-src', browserClient(path.join(dir, 'browser')), '--outdir', out,
    '--manifest', path.join(dir, 'manifest'), '--depfile', path.join(dir, 'deps'),
  ]);
  assert.equal(r.code, 0, r.err);

  assert.equal(
    readFileSync(path.join(dir, 'manifest'), 'utf8'),
    'demo/app.css\ndemo/app.js\ndemo/index.html\nplain/app.js\nplain/index.html\n',
  );
  const js = readFileSync(path.join(out, 'demo/app.js'), 'utf8');
  assert.ok(js.includes('from-the-browser-client'), 'the client is bundled');
  assert.ok(!js.includes('A-SECOND-REACT'), "the client's own React is not");
  assert.ok(!js.includes('a comment minification drops'));
  // Minified: a few long lines, then the libraries' license comments.
  const code = js.split('/*! Bundled license information')[0];
  assert.ok(code.split('\n').length < 20, 'minified');
  assert.match(readFileSync(path.join(out, 'demo/app.css'), 'utf8'), /\.demo\{color:#639}/);

  const html = readFileSync(path.join(out, 'demo/index.html'), 'utf8');
  assert.match(html, /<script type="module" src="\.\/app\.js"><\/script>/);
  assert.match(html, /<link rel="stylesheet" href="\.\/app\.css">/);
  assert.match(html, /<div id="root"><\/div>/);
  // Nothing a strict CSP would block: no inline script, style or handler.
  assert.equal([...html.matchAll(/<script/g)].length, 1);
  assert.ok(!/<style|\sstyle=|\son[a-z]+=|javascript:/i.test(html), html);
  const plain = readFileSync(path.join(out, 'plain/index.html'), 'utf8');
  assert.ok(!plain.includes('app.css'), 'no stylesheet where the page imports none');

  // React came from web/node_modules, and the depfile names what was read.
  const deps = readFileSync(path.join(dir, 'deps'), 'utf8');
  assert.ok(deps.includes(path.join(webDir, 'node_modules/react/')), deps);
  assert.ok(deps.includes(path.join(webDir, 'node_modules/react-dom/')), deps);
  assert.ok(!deps.includes(path.join(dir, 'browser/node_modules')), deps);
  for (const f of ['pages/demo/main.tsx', 'pages/demo/demo.css', 'browser/src/index.ts', 'browser/src/react/index.ts'])
    assert.ok(deps.includes(path.join(dir, f)), `${f} in the depfile`);

  // Built again: the outdir is this script's, emptied first (a removed page goes).
  rmSync(path.join(pages, 'plain'), { recursive: true });
  const again = build(['--pages', pages, '--browser-src', path.join(dir, 'browser/src'), '--outdir', out]);
  assert.equal(again.code, 0, again.err);
  assert.ok(!existsSync(path.join(out, 'plain')));
});

test('a page name must be able to be a URL, and not the API', () => {
  for (const name of ['api', 'Demo', 'my page']) {
    const dir = folder();
    write(path.join(dir, 'pages', name, 'main.ts'), 'export {};\n');
    const r = build(['--pages', path.join(dir, 'pages'), '--outdir', path.join(dir, 'out')]);
    assert.equal(r.code, 1, name);
    assert.match(r.err, /a page's name is its URL/, name);
  }
});

test('an outdir of other files is not emptied', () => {
  const dir = folder();
  write(path.join(dir, 'mine/keep.txt'), 'precious\n');
  const r = build(['--pages', path.join(dir, 'pages'), '--outdir', path.join(dir, 'mine')]);
  assert.equal(r.code, 1);
  assert.match(r.err, /holds files this script did not make/);
  assert.equal(readFileSync(path.join(dir, 'mine/keep.txt'), 'utf8'), 'precious\n');
});

test('a missing browser client is named', () => {
  const dir = folder();
  write(path.join(dir, 'pages/demo/main.ts'), "import { x } from '@ringcast/browser';\nconsole.log(x);\n");
  const r = build([
    '--pages', path.join(dir, 'pages'), '--browser-src', path.join(dir, 'nowhere'),
    '--outdir', path.join(dir, 'out'),
  ]);
  assert.equal(r.code, 1);
  assert.ok(r.err.includes(path.join(dir, 'nowhere/index.ts')), r.err);
});
