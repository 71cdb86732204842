import fc from 'fast-check';
import {
  type Assumptions,
  alarmLines,
  billedRotations,
  firingsPerMonth,
  healthCheckLines,
  type IdleMeasurement,
  idleCostNow,
  keyLines,
  metricLines,
  scheduleLines,
  type Template,
  total,
  unpricedTypes,
} from '../../../bench/idle-cost-model';
import { dashboardLines } from '../../../bench/idle-dashboard';
import { emfSeries } from '../../../bench/idle-twin';

const cents = (n: number) => Math.round(n * 1e6) / 1e6;

/** A tiny regional stack: one scheduled function (its log group), two alarms, two keys. */
const regional: Template = {
  Resources: {
    Logs: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } },
    Fn: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        MemorySize: 1024,
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'tick' } },
        LoggingConfig: { LogGroup: { Ref: 'Logs' } },
      },
    },
    Hourly: {
      Type: 'AWS::Events::Rule',
      Properties: { ScheduleExpression: 'rate(1 hour)', Targets: [{ Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] } }] },
    },
    Plain: { Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'Up', Period: 60 } },
    Math: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        Metrics: [
          { Id: 'e', Expression: 'a + b + c' },
          { Id: 'a', MetricStat: { Period: 300 } },
          { Id: 'b', MetricStat: { Period: 300 } },
          { Id: 'c', MetricStat: { Period: 10 } },
        ],
      },
    },
    Sym: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } },
    Ca: { Type: 'AWS::KMS::Key', Properties: { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' } },
  },
};

/** Three health checks for two regions. */
const global: Template = {
  Resources: {
    Endpoint: {
      Type: 'AWS::Route53::HealthCheck',
      Properties: {
        HealthCheckConfig: {
          Type: 'HTTPS_STR_MATCH',
          FullyQualifiedDomainName: 'x.eu-west-1.elb.amazonaws.com',
          RequestInterval: 10,
          MeasureLatency: true,
        },
      },
    },
    Outside: {
      Type: 'AWS::Route53::HealthCheck',
      Properties: { HealthCheckConfig: { Type: 'HTTP', FullyQualifiedDomainName: 'example.com' } },
    },
    Switch: {
      Type: 'AWS::Route53::HealthCheck',
      Properties: { HealthCheckConfig: { Type: 'CLOUDWATCH_METRIC' } },
    },
    Calc: { Type: 'AWS::Route53::HealthCheck', Properties: { HealthCheckConfig: { Type: 'CALCULATED' } } },
  },
};

const idle: IdleMeasurement = {
  hours: 2,
  functions: { tick: { invocations: 2, logBytes: 800 } },
  series: [
    { namespace: 'N', name: 'A', dimensions: ['x=1'], via: 'EMF' },
    { namespace: 'N', name: 'B', dimensions: [], via: 'PutMetricData' },
  ],
  putMetricDataCalls: 10,
  stateTransitions: 4,
};

const assumptions: Assumptions = {
  durationMs: { tick: 500 },
  platformLogBytes: 600,
  kmsRequestsPerMonth: 10_000,
  keyYear: 1,
};

describe('idle cost model', () => {
  it('counts schedule firings a month: rate by division, cron by its calendar', () => {
    expect(firingsPerMonth('rate(1 minute)')).toBe(43_800);
    expect(firingsPerMonth('rate(5 minutes)')).toBe(8_760);
    expect(firingsPerMonth('rate(1 hour)')).toBe(730);
    // 730 hours from Monday 2026-01-05T00:00Z end on Wednesday 2026-02-04T10:00Z. Every day at 03:15: 31 firings.
    expect(firingsPerMonth('cron(15 3 * * ? *)')).toBe(31);
    // Weekdays at 09:00: four whole weeks and Monday to Wednesday of the fifth.
    expect(firingsPerMonth('cron(0 9 ? * MON-FRI *)')).toBe(23);
  });

  it('refuses a schedule it cannot read, naming it', () => {
    expect(() => firingsPerMonth('every 5 minutes')).toThrow(/every 5 minutes/);
    expect(() => firingsPerMonth('rate(5 minute)')).toThrow(/plural/);
  });

  it('prices health checks by kind and optional feature, the global share per region', () => {
    const lines = healthCheckLines(global, 1 / 2);
    const by = (id: string) => lines.find((l) => l.item.startsWith(id))?.usdPerMonth;
    // AWS endpoint: $0.50 + HTTPS, string matching, fast interval, latency measurement at $1 each; half of it.
    expect(by('Endpoint')).toBe(2.25);
    expect(lines.find((l) => l.item.startsWith('Endpoint'))?.item).toContain(
      'HTTPS, string matching, fast interval, latency measurement',
    );
    // A non-AWS endpoint, basic: $0.75.
    expect(by('Outside')).toBe(0.375);
    expect(by('Switch')).toBe(0.25);
    expect(by('Calc')).toBe(0.25);
  });

  it('refuses a health check of an unknown kind', () => {
    const bad: Template = {
      Resources: {
        X: { Type: 'AWS::Route53::HealthCheck', Properties: { HealthCheckConfig: { Type: 'PING' } } },
      },
    };
    expect(() => healthCheckLines(bad, 1)).toThrow(/health check X: unknown Type "PING"/);
  });

  it('prices every metric an alarm reads, a high-resolution one at $0.30', () => {
    const lines = alarmLines(regional);
    expect(lines.map((l) => [l.quantity, cents(l.usdPerMonth)])).toEqual([
      [1, 0.1],
      [3, 0.5],
    ]);
    expect(() =>
      alarmLines({ Resources: { A: { Type: 'AWS::CloudWatch::Alarm', Properties: {} } } }),
    ).toThrow(/alarm A: neither MetricName nor a MetricStat/);
  });

  it('prices a composite alarm at $0.50 and refuses alarms billed by rules it does not model', () => {
    const composite: Template = { Resources: { C: { Type: 'AWS::CloudWatch::CompositeAlarm' } } };
    expect(alarmLines(composite).map((l) => l.usdPerMonth)).toEqual([0.5]);
    const insights: Template = {
      Resources: {
        I: {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: { Metrics: [{ Id: 'q', Expression: 'SELECT AVG(x) FROM y' }] },
        },
      },
    };
    expect(() => alarmLines(insights)).toThrow(/alarm I: a Metrics Insights or anomaly-detection alarm/);
  });

  it('adds $1 for each of the first two rotations of a rotating symmetric key, never for an asymmetric one', () => {
    const usd = (year: number) => keyLines(regional, year).map((l) => l.usdPerMonth);
    expect(usd(1)).toEqual([1, 1]);
    expect(usd(2)).toEqual([2, 1]);
    expect(usd(3)).toEqual([3, 1]);
    expect(usd(9)).toEqual([3, 1]);
  });

  it('counts rotations at the key’s own period: 2560 days bills none before the eighth year', () => {
    const slow: Template = {
      Resources: {
        K: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true, RotationPeriodInDays: 2560 } },
      },
    };
    const usd = (year: number) => keyLines(slow, year)[0]?.usdPerMonth;
    expect([1, 2, 3, 7].map(usd)).toEqual([1, 1, 1, 1]);
    expect(usd(8)).toBe(2);
    expect(usd(15)).toBe(3);
    expect(billedRotations(1, 90)).toBe(2);
    expect(billedRotations(40, 365)).toBe(2);
  });

  it('turns a schedule into requests, GB-seconds, traces and logs with the measured bytes', () => {
    const lines = scheduleLines(regional, idle, assumptions);
    const get = (prefix: string) => lines.find((l) => l.item.startsWith(prefix));
    // 730 invocations a month.
    expect(cents(get('tick: requests')?.usdPerMonth ?? -1)).toBe(cents(730 * 0.2e-6));
    // 730 × 0.5 s × 1 GB = 365 GB-s at the arm64 rate.
    expect(get('tick: 1024 MB arm64')?.quantity).toBe(365);
    expect(cents(get('tick: 1024 MB arm64')?.usdPerMonth ?? -1)).toBe(cents(365 * 0.0000133334));
    // 800 B over 2 invocations measured + 600 B platform = 1,000 B × 730 = 0.00073 GB at $0.50.
    expect(get('tick: 1000 B per invocation')?.quantity).toBe(0.0007);
    expect(cents(get('tick: 1000 B per invocation')?.usdPerMonth ?? -1)).toBe(cents(0.00073 * 0.5));
    // 30 days of retention keep about one month of it.
    expect(get('tick: stored')?.usdPerMonth).toBeCloseTo(0.00073 * (30 / (365 / 12)) * 0.03, 9);
    expect(cents(get('tick: active tracing')?.usdPerMonth ?? -1)).toBe(cents(730 * 5e-6));
  });

  it('refuses to price a scheduled function the twin did not run, or one without a stated duration', () => {
    expect(() => scheduleLines(regional, { ...idle, functions: {} }, assumptions)).toThrow(
      /twin's idle hour ran no tick/,
    );
    expect(() => scheduleLines(regional, idle, { ...assumptions, durationMs: {} })).toThrow(
      /no stated duration for tick/,
    );
  });

  it('prices a daily function the idle hour cannot run with its stated log bytes, and says so', () => {
    const lines = scheduleLines(
      regional,
      { ...idle, functions: {} },
      { ...assumptions, statedLogBytes: { tick: 400 } },
    );
    // 400 B stated + 600 B platform = 1,000 B, the same as the measured case above.
    expect(lines.find((l) => l.item.startsWith('tick: 1000 B per invocation'))?.item).toContain(
      '400 stated + 600 platform',
    );
    // A function the hour did run keeps its measured bytes even when some are stated.
    const measured = scheduleLines(regional, idle, { ...assumptions, statedLogBytes: { tick: 5_000 } });
    expect(measured.find((l) => l.item.includes('B per invocation'))?.item).toContain('400 measured');
  });

  it('refuses a scheduled target that is not a function of the template', () => {
    const queue: Template = {
      Resources: {
        Q: { Type: 'AWS::SQS::Queue' },
        R: {
          Type: 'AWS::Events::Rule',
          Properties: {
            ScheduleExpression: 'rate(1 hour)',
            Targets: [{ Arn: { 'Fn::GetAtt': ['Q', 'Arn'] } }],
          },
        },
      },
    };
    expect(() => scheduleLines(queue, idle, assumptions)).toThrow(/rule R: a scheduled target other than/);
  });

  it('bills each series emitted in the idle hour for a month, and PutMetricData calls by the hour', () => {
    const lines = metricLines(idle);
    expect(lines.map((l) => cents(l.usdPerMonth))).toEqual([0.3, 0.3, cents(5 * 730 * 0.00001)]);
    expect(lines.at(-1)?.quantity).toBe(3650);
  });

  it('adds up to the sum of its parts', () => {
    const lines = idleCostNow({ regional, global, regions: 2, idle, assumptions });
    const parts = {
      // Endpoint $0.50 + 4 features, Outside $0.75, Switch and Calc $0.50: half of each per region.
      healthChecks: (4.5 + 0.75 + 0.5 + 0.5) / 2,
      keys: 1 + 1 + 10_000 * 0.000003,
      alarms: 0.1 + 0.5,
      metrics: 0.3 + 0.3 + 3650 * 0.00001,
      lambda: 730 * 0.2e-6 + 365 * 0.0000133334,
      logs: 0.00073 * 0.5 + 0.00073 * (30 / (365 / 12)) * 0.03,
      xray: 730 * 5e-6,
      // 4 transitions in 2 hours.
      stepFunctions: 2 * 730 * 0.000025,
    };
    const expected = Object.values(parts).reduce((a, b) => a + b, 0);
    expect(total(lines)).toBeCloseTo(expected, 9);
    expect(() => idleCostNow({ regional, global, regions: 0, idle, assumptions })).toThrow(
      /positive integer/,
    );
  });

  it('refuses an idle measurement in which a function no schedule invokes ran', () => {
    const stray = { ...idle, functions: { ...idle.functions, dispatch: { invocations: 1, logBytes: 10 } } };
    expect(() => idleCostNow({ regional, global, regions: 2, idle: stray, assumptions })).toThrow(
      /the twin ran dispatch while idle, but no schedule of the template invokes it/,
    );
  });

  it('names the resource types it neither prices nor knows to be free', () => {
    expect(unpricedTypes([regional, global])).toEqual([]);
    const more: Template = {
      Resources: { S: { Type: 'AWS::Scheduler::Schedule' }, N: { Type: 'AWS::EC2::NatGateway' } },
    };
    expect(unpricedTypes([regional, more])).toEqual(['AWS::EC2::NatGateway', 'AWS::Scheduler::Schedule']);
  });

  it('prices each dashboard at $3 apart, naming it and the free tier; none when there is none', () => {
    const withBoard: Template = {
      Resources: {
        ...regional.Resources,
        D: { Type: 'AWS::CloudWatch::Dashboard', Properties: { DashboardName: 'c-eu-west-1' } },
      },
    };
    expect(dashboardLines(withBoard)).toEqual([
      {
        category: 'CloudWatch dashboard',
        item: "c-eu-west-1 (free within the account's first 3 dashboards of up to 50 metrics)",
        quantity: 1,
        unit: 'dashboard',
        usdPerMonth: 3,
      },
    ]);
    expect(dashboardLines(regional)).toEqual([]);
    expect(unpricedTypes([withBoard])).toEqual(['AWS::CloudWatch::Dashboard']);
  });

  it('a rate schedule of n minutes fires 43,800 / n times a month', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 1440 }), (n) => {
        expect(firingsPerMonth(`rate(${n} minutes)`)).toBeCloseTo(43_800 / n, 9);
      }),
    );
  });
});

describe('EMF lines on the twin', () => {
  it('yields one series per metric and dimension set, nothing for other lines', () => {
    const line = JSON.stringify({
      _aws: {
        Timestamp: 0,
        CloudWatchMetrics: [
          { Namespace: 'N', Dimensions: [['service', 'Workflow']], Metrics: [{ Name: 'M' }] },
        ],
      },
      service: 's',
      Workflow: 'w',
      M: 1,
    });
    expect(emfSeries(line)).toEqual([
      { namespace: 'N', name: 'M', dimensions: ['Workflow=w', 'service=s'], via: 'EMF' },
    ]);
    expect(emfSeries('{"level":"INFO","message":"sweep done"}')).toEqual([]);
    expect(emfSeries('"_aws" but not JSON')).toEqual([]);
  });
});
