// Builds the pages ringcastd serves: every web/pages/<name>/main.tsx (or .ts)
// becomes <outdir>/<name>/app.js (+ app.css when the page imports CSS) and a
// generated <outdir>/<name>/index.html. Bundled and minified by esbuild; the
// HTML holds no inline script or style, so the daemon's strict
// Content-Security-Policy (src/web/README.md) holds. With no pages the outdir
// is empty.
//
//   node web/build.mjs [--outdir DIR] [--watch] [--dev]
//                      [--manifest FILE] [--depfile FILE]
//                      [--pages DIR] [--browser-src DIR]
//
// --outdir    where the pages go (default web/dist); emptied first, so it must
//             not exist yet, be empty, or be an earlier output of this script
// --watch     rebuild on every change (serve the outdir with [web] root)
// --dev       no minification, and source maps beside each bundle
// --manifest  write the list of files built, one path per line, relative to
//             the outdir (meson embeds those: tools/embed_web.py)
// --depfile   write what the build read, as a Makefile rule for the manifest
//             (ninja rebuilds when a page, the browser client or this file changes)
// --pages, --browser-src  other pages and client sources (the tests use them)
//
// Imports resolve as an app's would: '@ringcast/browser',
// '@ringcast/browser/react' and '@ringcast/browser/ringcast.css' to
// clients/browser/src/index.ts, src/react/index.ts and src/react/ringcast.css, and 'react' / 'react-dom' always to web/node_modules, so
// that a bundle holds one React whatever imports it.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const webDir = path.dirname(fileURLToPath(import.meta.url));
const repoDir = path.dirname(webDir);
// Marks an outdir as this script's, so that emptying it never removes anything else.
const MARKER = '.ringcast-web';
// Page names become the first segment of a URL; /api is the daemon's API.
const PAGE_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const RESERVED = new Set(['api']);

function fail(message) {
  console.error(`web/build.mjs: ${message}`);
  process.exit(1);
}

function options() {
  const { values } = parseArgs({
    options: {
      outdir: { type: 'string', default: path.join(webDir, 'dist') },
      pages: { type: 'string', default: path.join(webDir, 'pages') },
      'browser-src': { type: 'string', default: path.join(repoDir, 'clients/browser/src') },
      manifest: { type: 'string' },
      depfile: { type: 'string' },
      watch: { type: 'boolean', default: false },
      dev: { type: 'boolean', default: false },
    },
    strict: true,
  });
  return {
    outdir: path.resolve(values.outdir),
    pagesDir: path.resolve(values.pages),
    browserSrc: path.resolve(values['browser-src']),
    manifest: values.manifest && path.resolve(values.manifest),
    depfile: values.depfile && path.resolve(values.depfile),
    watch: values.watch,
    dev: values.dev,
  };
}

// Every <name> with a main.tsx or main.ts, sorted: { name, entry }.
function findPages(pagesDir) {
  if (!existsSync(pagesDir)) return [];
  const pages = [];
  for (const name of readdirSync(pagesDir).sort()) {
    const dir = path.join(pagesDir, name);
    if (!statSync(dir).isDirectory()) continue;
    const entry = ['main.tsx', 'main.ts'].map((f) => path.join(dir, f)).find((f) => existsSync(f));
    if (!entry) continue;
    if (!PAGE_NAME.test(name) || RESERVED.has(name))
      fail(
        `page ${dir}: a page's name is its URL (/${name}/): use lower-case letters, digits, ` +
          `'-' and '_', and not ${[...RESERVED].join(', ')}`,
      );
    pages.push({ name, entry });
  }
  return pages;
}

// Empties outdir, refusing a directory this script did not make.
function prepareOutdir(outdir) {
  if (existsSync(outdir)) {
    if (!statSync(outdir).isDirectory()) fail(`--outdir ${outdir} is not a directory`);
    if (readdirSync(outdir).length > 0 && !existsSync(path.join(outdir, MARKER)))
      fail(`--outdir ${outdir} holds files this script did not make: choose an empty or new directory`);
    rmSync(outdir, { recursive: true, force: true });
  }
  mkdirSync(outdir, { recursive: true });
  writeFileSync(path.join(outdir, MARKER), 'made by web/build.mjs: emptied at each build\n');
}

// The imports that resolve to fixed places (see the top of this file).
function resolvePlugin(browserSrc) {
  const browser = {
    '@ringcast/browser': path.join(browserSrc, 'index.ts'),
    '@ringcast/browser/react': path.join(browserSrc, 'react/index.ts'),
    '@ringcast/browser/ringcast.css': path.join(browserSrc, 'react/ringcast.css'),
  };
  return {
    name: 'ringcast-resolve',
    setup(build) {
      build.onResolve({ filter: /^@ringcast\/browser(\/react|\/ringcast\.css)?$/ }, (args) => {
        const file = browser[args.path];
        if (!existsSync(file))
          return { errors: [{ text: `${args.path} resolves to ${file}, which does not exist` }] };
        return { path: file };
      });
      build.onResolve({ filter: /^(react|react-dom)(\/.*)?$/ }, async (args) => {
        if (args.pluginData?.fromWeb) return undefined;  // our own lookup, below
        const r = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: webDir,
          pluginData: { fromWeb: true },
        });
        return r.errors.length > 0 ? { errors: r.errors } : { path: r.path, sideEffects: r.sideEffects };
      });
    },
  };
}

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// The page's HTML: its bundle and stylesheet by relative URL (it is served at
// /<name>/), nothing inline. The empty data: icon keeps browsers from asking
// for /favicon.ico (img-src allows data:).
function indexHtml(name, hasCss) {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>ringcast ${escapeHtml(name)}</title>`,
    '<link rel="icon" href="data:,">',
    ...(hasCss ? ['<link rel="stylesheet" href="./app.css">'] : []),
    '<script type="module" src="./app.js"></script>',
    '</head>',
    '<body>',
    '<div id="root"></div>',
    '<noscript>This page needs JavaScript.</noscript>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

// Every file under dir, relative to it, '/'-separated, sorted; the marker left out.
function listFiles(dir, prefix = '') {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    if (prefix === '' && name === MARKER) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...listFiles(full, `${prefix}${name}/`));
    else out.push(`${prefix}${name}`);
  }
  return out;
}

function escapeMakePath(p) {
  return p.replace(/([ #$\\])/g, '\\$1');
}

// What the build read: this script, the lockfile and what npm installed, the
// pages folder and each page's (a page added or removed), every bundled input.
function writeDepfile(opts, pages, metafile) {
  const deps = new Set([
    fileURLToPath(import.meta.url),
    path.join(webDir, 'package.json'),
    path.join(webDir, 'package-lock.json'),
    path.join(webDir, 'node_modules/.package-lock.json'),
    opts.pagesDir,
    ...pages.map((p) => path.dirname(p.entry)),
  ]);
  for (const input of Object.keys(metafile?.inputs ?? {})) deps.add(path.resolve(webDir, input));
  // A path ninja cannot find would make the manifest out of date for ever.
  const existing = [...deps].filter((d) => existsSync(d)).sort();
  const target = escapeMakePath(opts.manifest ?? path.join(opts.outdir, 'manifest'));
  writeFileSync(opts.depfile, `${target}: \\\n  ${existing.map(escapeMakePath).join(' \\\n  ')}\n`);
}

async function loadEsbuild() {
  try {
    return await import('esbuild');
  } catch {
    fail(
      `esbuild is not installed: run \`npm ci\` in ${webDir} (\`make build\` and \`make run\` do it)`,
    );
  }
}

async function main() {
  const opts = options();
  const pages = findPages(opts.pagesDir);
  prepareOutdir(opts.outdir);

  // Once each build ends (every rebuild too, with --watch): the HTML, then the
  // manifest and depfile.
  const finish = (metafile) => {
    const built = new Set(Object.keys(metafile?.outputs ?? {}).map((o) => path.resolve(webDir, o)));
    for (const { name } of pages) {
      const css = path.join(opts.outdir, name, 'app.css');
      if (!built.has(css)) rmSync(css, { force: true });  // no longer imported
      writeFileSync(path.join(opts.outdir, name, 'index.html'), indexHtml(name, built.has(css)));
    }
    if (opts.manifest) {
      const files = listFiles(opts.outdir);
      writeFileSync(opts.manifest, files.map((f) => `${f}\n`).join(''));
    }
    if (opts.depfile) writeDepfile(opts, pages, metafile);
  };

  if (pages.length === 0) {
    finish(null);
    console.log(`web/build.mjs: no pages in ${opts.pagesDir}: nothing to build`);
    return;
  }

  const esbuild = await loadEsbuild();
  const config = {
    absWorkingDir: webDir,
    entryPoints: Object.fromEntries(pages.map((p) => [`${p.name}/app`, p.entry])),
    outdir: opts.outdir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    minify: !opts.dev,
    sourcemap: opts.dev ? 'linked' : false,
    metafile: true,
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': opts.dev ? '"development"' : '"production"' },
    // Small images inline (img-src allows data:); other files are not bundled.
    loader: { '.svg': 'dataurl', '.png': 'dataurl', '.jpg': 'dataurl', '.gif': 'dataurl', '.webp': 'dataurl' },
    plugins: [
      resolvePlugin(opts.browserSrc),
      {
        name: 'ringcast-finish',
        setup(build) {
          build.onEnd((result) => {
            if (result.errors.length === 0) finish(result.metafile);
          });
        },
      },
    ],
  };

  if (opts.watch) {
    const ctx = await esbuild.context(config);
    await ctx.watch();
    console.log(
      `web/build.mjs: watching ${pages.map((p) => p.name).join(', ')}; built into ${opts.outdir} ` +
        '(serve it with [web] root; a new page needs a restart of this script)',
    );
    return;
  }
  try {
    await esbuild.build(config);
  } catch {
    process.exit(1);  // esbuild printed the errors
  }
  console.log(`web/build.mjs: built ${pages.map((p) => `/${p.name}/`).join(', ')} into ${opts.outdir}`);
}

await main();
