// Mutation testing of the core decisions and the fencing and lease modules: `npm run mutate` (not part of
// `npm test` or CI). See docs/testing.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  // The unit project only (the `--selectProjects unit` tests): a flat config, so the runner's per-test
  // coverage hooks apply to it.
  jest: { projectType: 'custom', configFile: 'test/jest.unit.config.js' },
  coverageAnalysis: 'perTest',
  // A static mutant (a module-level constant) needs the modules reloaded and every related test run: 3% of
  // the mutants here, more than half of the run time. They are reported as Ignored, not counted.
  ignoreStatic: true,
  mutate: ['functions/core/**/*.ts', 'functions/failover/fencing.ts', 'functions/lease/handler.ts'],
  ignorePatterns: ['cdk.out', 'coverage', '.twin', 'bench/results'],
  // Two cores shared by everyone on the machine: one test runner process.
  concurrency: 1,
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'html', 'json', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowEmojis: false, logTests: false, reportScoreTable: true },
  thresholds: { high: 90, low: 80, break: 90 },
  tempDirName: '.stryker-tmp',
  // Stryker rewrites tsconfig.json's `extends`/`references` in the sandbox through TypeScript's JS API, which
  // TypeScript 7 no longer ships (`ts.parseConfigFileTextToJson is not a function`). Ours has neither, and swc
  // compiles the tests without it, so point the rewrite at a file that does not exist and it is skipped.
  tsconfigFile: 'stryker-skips-tsconfig-rewrite.json',
};
