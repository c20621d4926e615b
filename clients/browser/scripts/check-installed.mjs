// Runs before `npm test`: without `npm ci` the build tools are missing, and
// their own errors ("Cannot find package 'esbuild'") do not say what to do.
import { existsSync } from 'node:fs';

for (const tool of ['esbuild', 'typescript', 'react', 'react-dom', 'react-test-renderer']) {
  if (!existsSync(new URL(`../node_modules/${tool}/package.json`, import.meta.url))) {
    console.error(`clients/browser: node_modules/${tool} is missing: run \`npm ci\` in clients/browser (\`make build\` does it) before the tests.`);
    process.exit(1);
  }
}
