#!/usr/bin/env node
// hactl's entry point: registers tsx (its CommonJS API) to run the TypeScript sources, runs main, sets the exit code.
require('tsx/cjs');
const { main } = require('../hactl.ts');

main(process.argv, {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`hactl: ${err?.message ? err.message : String(err)}\n`);
    process.exitCode = 3;
  },
);
