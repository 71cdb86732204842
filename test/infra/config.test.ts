import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { ConfigError, formatPath, loadConfig, parseConfig } from '../../infra/config/load';
import { EXAMPLE_CONFIG_PATH, exampleRaw } from './helpers';

// biome-ignore lint/suspicious/noExplicitAny: tests reach into raw YAML to break one field at a time
type Raw = Record<string, any>;

function issuesOf(mutate: (raw: Raw) => void): string[] {
  const raw = exampleRaw() as Raw;
  mutate(raw);
  try {
    parseConfig(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).issues];
  }
  throw new Error('config was accepted');
}

/** A valid third region for the example. */
function thirdRegion(): Raw {
  return {
    name: 'ap-southeast-2',
    primaryAsgName: 'artifactory-prod-primary',
    memberAsgName: 'artifactory-prod-members',
    targetGroupArns: [
      'arn:aws:elasticloadbalancing:ap-southeast-2:111122223333:targetgroup/artifactory-prod/00112233aabbccdd',
    ],
    alb: {
      arn: 'arn:aws:elasticloadbalancing:ap-southeast-2:111122223333:loadbalancer/app/artifactory-prod/1234567890abcdef',
      dnsName: 'artifactory-prod-555.ap-southeast-2.elb.amazonaws.com',
    },
  };
}

describe('deployment configuration', () => {
  it('accepts the example and applies defaults', () => {
    const config = loadConfig(EXAMPLE_CONFIG_PATH);
    expect(config.cluster.name).toBe('artifactory-prod');
    expect(config.regions.map((r) => r.name)).toEqual(['eu-west-1', 'us-east-1']);
    expect(config.failover.driver).toBe('cloudwatch-switch');

    const raw = exampleRaw() as Raw;
    delete raw.certificates;
    delete raw.automation;
    const defaults = parseConfig(raw);
    expect(defaults.certificates).toEqual({
      leafLifetimeDays: 90,
      renewalFraction: 2 / 3,
      keySize: 2048,
      caLifetimeDays: 3650,
      maxUnavailable: 1,
      nearExpiryDays: 14,
      censusHourUtc: 3,
      ca: { generation: 1, keepPrevious: true },
    });
    expect(defaults.automation.cooldownMinutes.primaryFailover).toBe(15);
  });

  it.each<[string, (raw: Raw) => void, RegExp]>([
    [
      'an unknown region',
      (r) => (r.regions[1].name = 'eu-west-9'),
      /^regions\[1\]\.name: unknown AWS region "eu-west-9"/,
    ],
    [
      'a duplicated region',
      (r) => (r.regions[1].name = 'eu-west-1'),
      /^regions\[1\]\.name: region eu-west-1 is listed twice/,
    ],
    [
      'a missing primary ASG name',
      (r) => delete r.regions[0].primaryAsgName,
      /^regions\[0\]\.primaryAsgName: primaryAsgName is required/,
    ],
    [
      'an empty member ASG name',
      (r) => (r.regions[1].memberAsgName = ' '),
      /^regions\[1\]\.memberAsgName: memberAsgName is required/,
    ],
    [
      'the same ASG for both roles',
      (r) => (r.regions[0].memberAsgName = r.regions[0].primaryAsgName),
      /^regions\[0\]\.memberAsgName: memberAsgName must differ/,
    ],
    [
      'a negative cooldown',
      (r) => (r.automation.cooldownMinutes.primaryFailover = -5),
      /^automation\.cooldownMinutes\.primaryFailover: .*>= 0/,
    ],
    [
      'a renewal fraction of 1',
      (r) => (r.certificates.renewalFraction = 1),
      /^certificates\.renewalFraction: .*< 1/,
    ],
    [
      'a renewal fraction above 1',
      (r) => (r.certificates.renewalFraction = 1.5),
      /^certificates\.renewalFraction: .*< 1/,
    ],
    ['a 1024-bit key', (r) => (r.certificates.keySize = 1024), /^certificates\.keySize/],
    [
      'a near-expiry override past the renewal point',
      (r) => (r.certificates.nearExpiryDays = 30),
      /^certificates\.nearExpiryDays: .*less than the days left at renewal \(30\.0/,
    ],
    [
      'a renewal window that ends before it starts',
      (r) => (r.certificates.renewalWindow = { days: ['sat'], startHour: 6, endHour: 2 }),
      /^certificates\.renewalWindow\.endHour: .*after startHour/,
    ],
    [
      'a renewal window that may never open before the override',
      (r) => {
        r.certificates.renewalWindow = { days: ['sun'], startHour: 1, endHour: 5 };
        r.certificates.nearExpiryDays = 25;
      },
      /^certificates\.renewalWindow: .*a weekly window may not open in the 5\.0 days/,
    ],
    [
      'no window days',
      (r) => (r.certificates.renewalWindow = { days: [], startHour: 1, endHour: 5 }),
      /^certificates\.renewalWindow\.days/,
    ],
    [
      'a CA generation of 0',
      (r) => (r.certificates.ca = { generation: 0 }),
      /^certificates\.ca\.generation: .*>= 1/,
    ],
    ['an unknown mode', (r) => (r.cluster.mode = 'active-active'), /^cluster\.mode/],
    [
      'a target group in another region',
      (r) => (r.regions[0].targetGroupArns = r.regions[1].targetGroupArns),
      /^regions\[0\]\.targetGroupArns\[0\]: target group is in us-east-1/,
    ],
    [
      'more serving regions than regions',
      (r) => (r.failover.minServingRegions = 3),
      /^failover\.minServingRegions: .*exceeds the number of regions \(2\)/,
    ],
    [
      'a key rotation period KMS does not allow',
      (r) => (r.encryption = { keyRotationDays: 3000 }),
      /^encryption\.keyRotationDays: encryption\.keyRotationDays must be 90-2560/,
    ],
    ['an unknown field', (r) => (r.cluster.primaryCount = 2), /^cluster: unknown field\(s\) primaryCount/],
    ['no regions', (r) => (r.regions = []), /^regions: at least one region/],
    [
      'a health check interval Route 53 does not offer',
      (r) => (r.routing.healthCheckIntervalSeconds = 15),
      /^routing\.healthCheckIntervalSeconds/,
    ],
    [
      'two regions without a witness',
      (r) => delete r.failover.witnessRegion,
      /^failover\.witnessRegion: failover\.witnessRegion is required with 2 regions: the routing lease needs a majority/,
    ],
    [
      'a witness that is one of the regions',
      (r) => (r.failover.witnessRegion = 'eu-west-1'),
      /^failover\.witnessRegion: failover\.witnessRegion \(eu-west-1\) must be a region outside regions/,
    ],
    [
      'a witness making the voters even (3 regions + witness)',
      (r) => r.regions.push(thirdRegion()),
      /^failover\.witnessRegion: with failover\.witnessRegion the routing tables number 4; use an odd number/,
    ],
    [
      'an unknown witness region',
      (r) => (r.failover.witnessRegion = 'us-west-9'),
      /^failover\.witnessRegion: unknown AWS region/,
    ],
    [
      'a missing ALB ARN',
      (r) => delete r.regions[0].alb.arn,
      /^regions\[0\]\.alb\.arn: alb\.arn is required/,
    ],
    [
      'a Network Load Balancer ARN',
      (r) => (r.regions[0].alb.arn = r.regions[0].alb.arn.replace('/app/', '/net/')),
      /^regions\[0\]\.alb\.arn: alb\.arn is not an Application Load Balancer ARN/,
    ],
    [
      'an ALB in another region',
      (r) => (r.regions[0].alb.arn = r.regions[1].alb.arn),
      /^regions\[0\]\.alb\.arn: the ALB is in us-east-1, not in eu-west-1/,
    ],
    [
      'four target groups (the degraded alarm would read 12 metrics; an alarm reads at most 10)',
      (r) =>
        (r.regions[0].targetGroupArns = [1, 2, 3, 4].map(
          (i) => `${r.regions[0].targetGroupArns[0].slice(0, -1)}${i}`,
        )),
      /^regions\[0\]\.targetGroupArns: at most 3 target groups/,
    ],
    [
      'a 5xx share above 100 %',
      (r) => (r.failover.degraded.max5xxPercent = 101),
      /^failover\.degraded\.max5xxPercent/,
    ],
    [
      'a drill schedule that is not cron() or rate()',
      (r) => (r.failover.drill.schedule = 'weekly'),
      /^failover\.drill\.schedule: failover\.drill\.schedule must be cron\(\.\.\.\) or rate\(\.\.\.\)/,
    ],
    [
      'a canary record that is not a DNS name',
      (r) => (r.failover.drill.canaryRecordName = 'canary record'),
      /^failover\.drill\.canaryRecordName: failover\.drill\.canaryRecordName must be a DNS name/,
    ],
  ])('rejects %s, naming the field', (_what, mutate, expected) => {
    const issues = issuesOf(mutate);
    expect(issues.some((i) => expected.test(i))).toBe(true);
  });

  it('applies the failover defaults (issue 14) and needs no witness with an odd number of regions', () => {
    const raw = exampleRaw() as Raw;
    raw.failover = { witnessRegion: 'us-west-2' };
    expect(parseConfig(raw).failover).toEqual({
      driver: 'cloudwatch-switch',
      minServingRegions: 1,
      approvalRequired: false,
      approvalTimeoutMinutes: 60,
      witnessRegion: 'us-west-2',
      flipWaitMinutes: 10,
      restoreHysteresisMinutes: 30,
      automaticRestore: true,
      degraded: { max5xxPercent: 5, noHealthyMinutes: 5 },
      readiness: {
        minCapacityShare: 1,
        minCertificateDays: 7,
        maxReplicationLagMinutes: 60,
        replicationRepos: [],
        evaluationMinutes: 60,
      },
      drill: { schedule: 'cron(0 10 ? * TUE *)' },
    });

    const one = exampleRaw() as Raw;
    one.regions = one.regions.slice(0, 1);
    delete one.failover.witnessRegion;
    expect(parseConfig(one).failover.witnessRegion).toBeUndefined();

    const three = exampleRaw() as Raw;
    three.regions.push(thirdRegion());
    delete three.failover.witnessRegion;
    three.failover.minServingRegions = 2;
    expect(parseConfig(three).failover.minServingRegions).toBe(2);
  });

  it('reports every bad field at once', () => {
    const issues = issuesOf((r) => {
      r.regions[0].name = 'mars-1';
      r.certificates.renewalFraction = 2;
    });
    expect(issues).toHaveLength(2);
  });

  it('names the file it could not read or parse', () => {
    expect(() => loadConfig('/nonexistent/config.yaml')).toThrow(
      /\/nonexistent\/config\.yaml:\n {2}- cannot read the file/,
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'cluster: [unclosed');
    expect(() => loadConfig(bad)).toThrow(/not valid YAML\/JSON/);
  });

  it('formats paths as an operator reads them', () => {
    expect(formatPath(['regions', 1, 'alb', 'dnsName'])).toBe('regions[1].alb.dnsName');
    expect(formatPath([])).toBe('');
  });

  it('makes synth fail with a message naming the field', () => {
    const raw = exampleRaw() as Raw;
    raw.regions[1].name = 'us-east-7';
    const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, stringify(raw));
    const tsx = path.resolve(__dirname, '../../node_modules/.bin/tsx');
    const run = spawnSync(tsx, [path.resolve(__dirname, '../../infra/app.ts')], {
      env: { ...process.env, HA_CONFIG: file, CDK_OUTDIR: dir },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('regions[1].name: unknown AWS region "us-east-7"');
    expect(run.stderr).toContain(file);
  });
});
