/**
 * What each Lambda's bundle holds, built with the construct's own esbuild options (LAMBDA_BUNDLING): only the
 * SDK clients its handler uses, no SDK code of its own (the runtime's is used), no X-Ray SDK, and nothing of
 * the SDK loaded until a client is first used. Sizes and load times are the bench's (bench/lambdas.ts).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Metafile } from 'esbuild';
import { build } from 'esbuild';
import { bundleHandler, clientModules, lambdaHandlers, sdkPackages } from '../../bench/lambdas';
import { ROOT } from '../../bench/synth';
import {
  ControlPlaneFunction,
  esbuildOptions,
  LAMBDA_BUNDLING,
} from '../../infra/constructs/control-plane-function';
import { ControlPlaneKey } from '../../infra/constructs/control-plane-key';
import { testApp } from './helpers';

/** The clients each Lambda passes to makeHandler, and the SDK packages they load. */
const EXPECTED: Record<string, { clients: string[]; sdk: string[] }> = {
  command: {
    clients: ['dynamodb', 'sfn', 'ssm'],
    sdk: ['@aws-sdk/client-dynamodb', '@aws-sdk/client-sfn', '@aws-sdk/client-ssm', '@aws-sdk/lib-dynamodb'],
  },
  dispatch: {
    clients: ['auto-scaling', 'dynamodb', 'sfn', 'sns'],
    sdk: [
      '@aws-sdk/client-auto-scaling',
      '@aws-sdk/client-dynamodb',
      '@aws-sdk/client-sfn',
      '@aws-sdk/client-sns',
      '@aws-sdk/lib-dynamodb',
    ],
  },
  certs: {
    clients: ['auto-scaling', 'dynamodb', 'ec2', 'elbv2'],
    sdk: [
      '@aws-sdk/client-auto-scaling',
      '@aws-sdk/client-dynamodb',
      '@aws-sdk/client-ec2',
      '@aws-sdk/client-elastic-load-balancing-v2',
      '@aws-sdk/lib-dynamodb',
    ],
  },
  failover: {
    clients: ['auto-scaling', 'dynamodb', 'ec2', 'elbv2', 'sfn'],
    sdk: [
      '@aws-sdk/client-auto-scaling',
      '@aws-sdk/client-dynamodb',
      '@aws-sdk/client-ec2',
      '@aws-sdk/client-elastic-load-balancing-v2',
      '@aws-sdk/client-sfn',
      '@aws-sdk/lib-dynamodb',
    ],
  },
  lease: {
    clients: ['dynamodb', 'sfn'],
    sdk: ['@aws-sdk/client-dynamodb', '@aws-sdk/client-sfn', '@aws-sdk/lib-dynamodb'],
  },
  operations: {
    clients: ['dynamodb', 'lambda', 'sfn', 'sns', 'sqs'],
    sdk: [
      '@aws-sdk/client-dynamodb',
      '@aws-sdk/client-lambda',
      '@aws-sdk/client-sfn',
      '@aws-sdk/client-sns',
      '@aws-sdk/client-sqs',
      '@aws-sdk/lib-dynamodb',
    ],
  },
  reconciler: {
    clients: ['auto-scaling', 'cloudwatch', 'dynamodb', 'sfn', 'sns'],
    sdk: [
      '@aws-sdk/client-auto-scaling',
      '@aws-sdk/client-cloudwatch',
      '@aws-sdk/client-dynamodb',
      '@aws-sdk/client-sfn',
      '@aws-sdk/client-sns',
      '@aws-sdk/lib-dynamodb',
    ],
  },
  report: {
    clients: ['dynamodb', 'sns'],
    sdk: ['@aws-sdk/client-dynamodb', '@aws-sdk/client-sns', '@aws-sdk/lib-dynamodb'],
  },
  routing: {
    clients: ['auto-scaling', 'cloudwatch', 'dynamodb', 'elbv2', 'route53', 'sfn'],
    sdk: [
      '@aws-sdk/client-auto-scaling',
      '@aws-sdk/client-cloudwatch',
      '@aws-sdk/client-dynamodb',
      '@aws-sdk/client-elastic-load-balancing-v2',
      '@aws-sdk/client-route-53',
      '@aws-sdk/client-sfn',
      '@aws-sdk/lib-dynamodb',
    ],
  },
  signer: {
    clients: ['auto-scaling', 'dynamodb', 'ec2', 'kms', 'ssm'],
    sdk: [
      '@aws-sdk/client-auto-scaling',
      '@aws-sdk/client-dynamodb',
      '@aws-sdk/client-ec2',
      '@aws-sdk/client-kms',
      '@aws-sdk/client-ssm',
      '@aws-sdk/lib-dynamodb',
    ],
  },
  // The watch publishes PrimaryHealthy as an EMF log line (issue 15): no CloudWatch client.
  watch: {
    clients: ['auto-scaling', 'dynamodb', 'elbv2', 'sfn'],
    sdk: [
      '@aws-sdk/client-auto-scaling',
      '@aws-sdk/client-dynamodb',
      '@aws-sdk/client-elastic-load-balancing-v2',
      '@aws-sdk/client-sfn',
      '@aws-sdk/lib-dynamodb',
    ],
  },
};

// Under node_modules, so that the external SDK resolves from the repository's node_modules as from the runtime's.
const OUT = path.join(ROOT, 'node_modules', '.cache', 'bundles-test');

/** Packages loaded (into require.cache) by requiring `file` in a fresh Node process. */
function loadedAtRequire(file: string): string[] {
  const script = [
    `require(${JSON.stringify(file)});`,
    'const hits = Object.keys(require.cache).map((k) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(k)?.[1]);',
    'console.log(JSON.stringify([...new Set(hits.filter(Boolean))].sort()));',
  ].join('\n');
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as string[];
}

const isSdk = (pkg: string) => /^@(aws-sdk|smithy)\//.test(pkg) || pkg.startsWith('aws-xray-sdk');

/** Inputs bundled from node_modules, by package. */
const bundledPackages = (meta: Metafile) =>
  [
    ...new Set(
      Object.keys(meta.inputs).flatMap((f) => {
        const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f);
        return m?.[1] ? [m[1]] : [];
      }),
    ),
  ].sort();

const bundles = new Map<string, { outfile: string; meta: Metafile }>();

beforeAll(async () => {
  rmSync(OUT, { recursive: true, force: true });
  for (const name of lambdaHandlers()) bundles.set(name, await bundleHandler(name, OUT));
}, 60_000);

afterAll(() => rmSync(OUT, { recursive: true, force: true }));

describe('Lambda bundles (LAMBDA_BUNDLING)', () => {
  it('are what the construct deploys: its own bundle of a handler is byte for byte the same', () => {
    const app = testApp({ bundle: true });
    const stack = new Stack(app, 'Bundles', { env: { account: '111122223333', region: 'eu-west-1' } });
    const logKey = new ControlPlaneKey(stack, 'Key', { description: 'fixture', rotationDays: 365 }).key;
    const fn = new ControlPlaneFunction(stack, 'Lease', {
      handlerDir: 'lease',
      description: 'fixture',
      logKey,
    });
    const assembly = app.synth();
    const code = stack.resolve((fn.fn.node.defaultChild as lambda.CfnFunction).code) as { s3Key: string };
    const asset = path.join(assembly.directory, `asset.${code.s3Key.replace(/\.zip$/, '')}`, 'index.js');
    const { outfile } = bundles.get('lease') as { outfile: string };
    expect(readFileSync(asset, 'utf8')).toBe(readFileSync(outfile, 'utf8'));
  }, 60_000);

  it('covers every Lambda', () => {
    expect([...bundles.keys()]).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s holds only the clients it uses', (name, expected) => {
    const { meta } = bundles.get(name) as { meta: Metafile };
    expect(clientModules(meta).map((m) => path.basename(m, '.ts'))).toEqual(expected.clients);
    expect(sdkPackages(meta)).toEqual(expected.sdk);
  });

  it.each(Object.keys(EXPECTED))('%s bundles no SDK or X-Ray code of its own', (name) => {
    const { meta } = bundles.get(name) as { meta: Metafile };
    const packages = bundledPackages(meta);
    expect(packages.filter(isSdk)).toEqual([]);
    expect(packages).not.toContain('@aws-lambda-powertools/tracer');
  });

  it.each(Object.keys(EXPECTED))('%s loads no SDK package when its module loads', (name) => {
    const { outfile } = bundles.get(name) as { outfile: string };
    expect(loadedAtRequire(outfile).filter(isSdk)).toEqual([]);
  });

  it('would see an SDK package imported at module load, and a client the handler does not pass', async () => {
    const outfile = path.join(OUT, 'offender', 'index.js');
    const result = await build({
      ...esbuildOptions(LAMBDA_BUNDLING),
      stdin: {
        contents: [
          "import { GetCommand } from '@aws-sdk/lib-dynamodb';",
          "import { ec2 } from './functions/shared/clients/ec2';",
          'export const handler = async () => [new GetCommand({ TableName: "t", Key: {} }), ec2];',
        ].join('\n'),
        resolveDir: ROOT,
        sourcefile: 'offender.ts',
        loader: 'ts',
      },
      absWorkingDir: ROOT,
      outfile,
      metafile: true,
      logLevel: 'silent',
    });
    expect(clientModules(result.metafile)).toEqual(['functions/shared/clients/ec2.ts']);
    expect(sdkPackages(result.metafile)).toEqual(['@aws-sdk/client-ec2', '@aws-sdk/lib-dynamodb']);
    expect(loadedAtRequire(outfile)).toContain('@aws-sdk/lib-dynamodb');
    expect(loadedAtRequire(outfile)).not.toContain('@aws-sdk/client-ec2');
  });
});
