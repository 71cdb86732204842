// The unit project of ../jest.config.js on its own, for tools that take one flat Jest config (StrykerJS:
// stryker.config.json). Same transform, setup and test files as `jest --selectProjects unit`.
const path = require('node:path');
const { projects } = require('../jest.config.js');

const unit = projects.find((p) => p.displayName === 'unit');
if (!unit) throw new Error('jest.config.js has no project named "unit"');
module.exports = { ...unit, rootDir: path.resolve(__dirname, '..') };
