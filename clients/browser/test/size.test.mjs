// The size budget of the issue: what an app ships, minified (esbuild, as an
// app's bundler would) and gzipped (zlib, level 9): the client at most 4 KB,
// the React part at most 1.5 KB (1 KB = 1024 bytes). The React part is
// measured alone: it imports the client, which an app has already counted.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { gzipSync } from 'node:zlib';

import { transformSync } from 'esbuild';

const BUDGET = { 'dist/index.js': 4096, 'dist/react/index.js': 1536 };

function minGzip(file) {
  const { code } = transformSync(readFileSync(new URL('../' + file, import.meta.url), 'utf8'), { minify: true, format: 'esm' });
  return { min: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

for (const [file, budget] of Object.entries(BUDGET)) {
  it(`${file} fits in ${budget} bytes minified and gzipped`, (t) => {
    const { min, gzip } = minGzip(file);
    t.diagnostic(`${file}: ${min} bytes minified, ${gzip} bytes min+gzip (budget ${budget})`);
    console.log(`size: ${file}: ${min} B minified, ${gzip} B min+gzip, budget ${budget} B`);
    assert.ok(gzip <= budget, `${file} is ${gzip} bytes min+gzip, over its budget of ${budget}`);
  });
}

it('the React part is a client module that imports React and the client, bundling neither', () => {
  const code = readFileSync(new URL('../dist/react/index.js', import.meta.url), 'utf8');
  assert.match(code, /^'use client';/, 'a client module for Next.js');
  assert.match(code, /from "react"/);
  assert.match(code, /from "\.\.\/index\.js"/);
  assert.ok(!code.includes('createSSEParser') && !code.includes('class SSEClient'), 'the client is imported, not copied');
});
