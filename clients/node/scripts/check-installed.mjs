// Runs before `npm test`: without `npm ci` the compiler is missing and tsc's
// own error ("tsc: not found") does not say what to do.
import { existsSync } from 'node:fs';

if (!existsSync(new URL('../node_modules/typescript/package.json', import.meta.url))) {
  console.error(
    'clients/node: node_modules is missing: run `npm ci` in clients/node (`make build` does it) before the tests.',
  );
  process.exit(1);
}
if (!process.env.RINGCASTD) {
  console.error(
    'clients/node: RINGCASTD is not set: the tests run the real daemon. ' +
      '`meson test` sets it; by hand: RINGCASTD=$PWD/../../build/src/ringcastd npm test',
  );
  process.exit(1);
}
