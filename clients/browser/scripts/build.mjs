// Builds the package into a clean dist/ (so that a file whose source was
// removed is never packed):
//   dist/index.js         the client, one ES module, no dependencies
//   dist/react/index.js   the React part; imports 'react' and '../index.js'
//   dist/ringcast.css     the components' stylesheet
//   dist/**/*.d.ts        declarations (tsc)
// esbuild bundles each entry point and renames the members whose names start
// with "_" (the classes' private state) to short ones, so that what apps ship
// is as small as what the size test measures. The code is not minified here:
// the app's bundler minifies it. Run by `npm run build`, `npm test` and
// `npm pack` (prepack); never on install.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

// The browsers whose syntax the build keeps as written (no helpers needed):
// class fields, ??, ||=, optional chaining.
const TARGET = ['chrome91', 'edge91', 'firefox90', 'safari15'];

// The React part imports the client as '../index.js': the same module as the
// app's own imports of the package, never a second copy of it.
const coreIsExternal = {
  name: 'core-is-external',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/index\.js$/ }, () => ({ path: '../index.js', external: true }));
  },
};

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
const common = { bundle: true, format: 'esm', target: TARGET, mangleProps: /^_/, logLevel: 'warning', absWorkingDir: root };
await esbuild.build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.js' });
// "use client": Next.js's App Router may import the hooks and components from
// a server component's file; the directive makes them client components.
await esbuild.build({
  ...common,
  entryPoints: ['src/react/index.ts'],
  outfile: 'dist/react/index.js',
  external: ['react'],
  plugins: [coreIsExternal],
  banner: { js: "'use client';" },
});
mkdirSync(new URL('../dist', import.meta.url), { recursive: true });
copyFileSync(new URL('../src/react/ringcast.css', import.meta.url), new URL('../dist/ringcast.css', import.meta.url));
const run = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--emitDeclarationOnly'], { cwd: root, stdio: 'inherit' });
if (run.status !== 0) process.exit(run.status ?? 1);
