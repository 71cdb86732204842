// One config, one project per test layer (DESIGN §7): `npm test` runs unit and infra; workflows run on the twin.
const swc = ['@swc/jest', { jsc: { target: 'es2023', parser: { syntax: 'typescript' } } }];
const common = {
  transform: { '^.+\\.(t|j|mj)s$': swc },
  // @middy/* is ESM-only: map each package to its entry file and let swc transform it. commander (hactl) too.
  moduleNameMapper: { '^@middy/(.*)$': '<rootDir>/node_modules/@middy/$1/index.js' },
  transformIgnorePatterns: ['/node_modules/(?!@middy/|commander/)'],
  setupFiles: ['<rootDir>/test/setup.ts'],
  testEnvironment: 'node',
  // `npm run mutate` copies the repository into .stryker-tmp/ while it runs.
  modulePathIgnorePatterns: ['<rootDir>/.stryker-tmp/'],
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'infra', testMatch: ['<rootDir>/test/infra/**/*.test.ts'] },
    { ...common, displayName: 'workflows', testMatch: ['<rootDir>/test/workflows/**/*.test.ts'] },
  ],
};
