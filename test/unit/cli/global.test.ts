/** hactl's program: help, usage errors, the environment errors (one line, exit 4), refusals, unknown errors. */
import { awsError, BASE_ANSWERS, run } from './helpers';

const oneLine = (text: string) => text.trimEnd().split('\n').length === 1;

describe('hactl program', () => {
  it('--help lists the commands and documents the exit codes', async () => {
    const r = await run(['--help'], {});
    expect(r.code).toBe(0);
    for (const cmd of ['status', 'runs', 'audit', 'dlq', 'pause', 'resume']) expect(r.out).toContain(cmd);
    expect(r.out).toMatch(/Exit codes:[\s\S]*2 {2}refused[\s\S]*4 {2}environment[\s\S]*5 {2}pending/);
    expect(r.calls).toEqual([]);
  });

  it('an unknown command or flag is a usage error (exit 1) and reads nothing', async () => {
    const a = await run(['bogus'], {});
    expect(a.code).toBe(1);
    expect(a.err).toContain("unknown command 'bogus'");
    const b = await run(['status', '--frobnicate'], {});
    expect(b.code).toBe(1);
    expect(b.err).toContain("unknown option '--frobnicate'");
    expect([...a.calls, ...b.calls]).toEqual([]);
  });

  it('no config: one line naming --config and HA_CONFIG, exit 4', async () => {
    const r = await run(['status'], {}, { env: { HA_CONFIG: '' } });
    expect(r.code).toBe(4);
    expect(oneLine(r.err)).toBe(true);
    expect(r.err).toMatch(/^hactl: no configuration: pass --config .* or set HA_CONFIG/);
  });

  it('an invalid config file: one line naming the file, exit 4', async () => {
    const r = await run(['--config', 'package.json', 'status'], {});
    expect(r.code).toBe(4);
    expect(oneLine(r.err)).toBe(true);
    expect(r.err).toMatch(/^hactl: invalid configuration package.json: /);
  });

  it('a region not in the config: one line listing the configured regions, exit 4, nothing called', async () => {
    const r = await run(['--region', 'ap-south-1', 'status'], {});
    expect(r.code).toBe(4);
    expect(oneLine(r.err)).toBe(true);
    expect(r.err).toBe(
      'hactl: region ap-south-1 is not in the config (eu-west-1, us-east-1): pick one of them or check --config\n',
    );
    expect(r.calls).toEqual([]);
  });

  it('a missing stack: one line naming the stack, the region and the fix, exit 4', async () => {
    const r = await run(['--region', 'us-east-1', 'status'], {
      'cloudFormation.DescribeStacksCommand': (input) => {
        throw awsError('ValidationError', `Stack with id ${String(input.StackName)} does not exist`);
      },
    });
    expect(r.code).toBe(4);
    expect(r.err).toBe(
      'hactl: stack artifactory-prod-control-plane-us-east-1 not found in us-east-1: deploy it (npm run deploy) or check --config\n',
    );
  });

  it('a stack without the outputs hactl reads: one line, exit 4', async () => {
    const r = await run(['--region', 'us-east-1', 'runs'], {
      'cloudFormation.DescribeStacksCommand': (input) => ({
        Stacks: [{ StackName: String(input.StackName), StackStatus: 'CREATE_COMPLETE', Outputs: [] }],
      }),
    });
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/^hactl: stack \S+ in us-east-1 has no output StateTableName: redeploy it/);
  });

  it('no credentials: one line naming the fix, exit 4 (from STS and from any call)', async () => {
    const noCreds = () => {
      throw awsError('CredentialsProviderError', 'Could not load credentials from any providers');
    };
    const a = await run(['pause', '--reason', 'maintenance', '--yes', '--dry-run'], {
      'cloudFormation.DescribeStacksCommand': noCreds,
    });
    expect(a.code).toBe(4);
    expect(a.err).toBe(
      'hactl: no usable AWS credentials (CredentialsProviderError): configure credentials (AWS_PROFILE, aws sso login, or AWS_ACCESS_KEY_ID)\n',
    );
    const b = await run(['dlq', 'list'], { ...BASE_ANSWERS, 'sts.GetCallerIdentityCommand': noCreds });
    expect(b.code).toBe(4);
    expect(b.err).toMatch(/^hactl: no usable AWS credentials .*configure credentials/);
    expect(oneLine(b.err)).toBe(true);
  });

  it('a change without --reason is refused (exit 2) before anything is read, even the config', async () => {
    for (const args of [['pause'], ['resume', '--yes'], ['dlq', 'replay', '--reason', '  ']]) {
      const r = await run(args, {}, { env: { HA_CONFIG: '' } });
      expect(r.code).toBe(2);
      expect(r.err).toBe('hactl: refused: a change needs --reason "<why>" (it goes to the audit trail)\n');
      expect(r.calls).toEqual([]);
    }
  });

  it('an unexpected error is one line and exit 3; --debug adds the stack', async () => {
    const boom = () => {
      throw new TypeError('socket hang up');
    };
    const a = await run(['runs'], { 'cloudFormation.DescribeStacksCommand': boom });
    expect(a.code).toBe(3);
    expect(a.err).toBe('hactl: unexpected error: TypeError: socket hang up\n');
    const b = await run(['--debug', 'runs'], { 'cloudFormation.DescribeStacksCommand': boom });
    expect(b.code).toBe(3);
    expect(b.err.split('\n').length).toBeGreaterThan(3);
    expect(b.err).toContain('at ');
  });
});
