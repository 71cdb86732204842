/**
 * Tests run on the Node.js the Lambdas run on: `npm test` uses the `node` devDependency (node_modules/.bin
 * comes first on an npm script's PATH), pinned to the major of LAMBDA_RUNTIME.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LAMBDA_RUNTIME, REPO_ROOT } from '../../infra/constructs/control-plane-function';

const lambdaMajor = Number(/^nodejs(\d+)\.x$/.exec(LAMBDA_RUNTIME.name)?.[1]);

test('the Lambda runtime is a nodejsNN.x runtime', () => {
  expect(Number.isInteger(lambdaMajor)).toBe(true);
});

test('the tests run on the Lambda runtime’s Node.js major', () => {
  expect(Number(process.versions.node.split('.')[0])).toBe(lambdaMajor);
});

test('the pinned node devDependency is the Lambda runtime’s major, pinned exactly', () => {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  expect(pkg.devDependencies.node).toMatch(new RegExp(`^${lambdaMajor}\\.\\d+\\.\\d+$`));
});
