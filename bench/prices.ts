/**
 * AWS prices the benchmarks turn counts into dollars with (us-east-1, on-demand, USD, list prices: free tiers
 * are account-wide and shared with other workloads, so none is subtracted). Each entry names the AWS pricing
 * page it was read from and the date it was read; keep both when a price changes. `note` says where the
 * page itself could not be read and what the figure rests on instead.
 */
export interface Price {
  readonly usd: number;
  /** What one unit is, e.g. "state transition". */
  readonly per: string;
  readonly source: string;
  readonly read: string;
  readonly note?: string;
}

const READ = '2026-12-01';
const CLOUDWATCH = 'https://aws.amazon.com/cloudwatch/pricing/';
const CLOUDWATCH_TABS =
  "The stored copy of the page shows the free tier; the paid tier's tabs did not render. Figure from AWS's long-standing published rate (the same in the pricing calculator), not re-read today.";
const ROUTE53 = 'https://aws.amazon.com/route53/pricing/';
const ROUTE53_NOTE =
  'Read on a verbatim transcription of the page dated 2026-09-20 (api-evangelist/amazon-route53-resolver, plans/amazon-route53-resolver-plans-pricing.yml: "$0.50 per health check per month" AWS endpoints, "$0.75" non-AWS, "$1.00"/"$2.00 per optional health check feature per month"); the page itself could not be read here. Up to 50 health checks for AWS endpoints are free per account (not subtracted).';

export const PRICES = {
  sfnStandardTransition: {
    usd: 0.025 / 1000,
    per: 'state transition (Standard workflows, retries included)',
    source: 'https://aws.amazon.com/step-functions/pricing/',
    read: READ,
  },
  lambdaRequest: {
    usd: 0.2 / 1_000_000,
    per: 'Lambda request',
    source: 'https://aws.amazon.com/lambda/pricing/',
    read: READ,
  },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    per: 'Lambda GB-second (arm64)',
    source: 'https://aws.amazon.com/lambda/pricing/',
    read: READ,
  },
  lambdaX86GbSecond: {
    usd: 0.0000166667,
    per: 'Lambda GB-second (x86_64)',
    source: 'https://aws.amazon.com/lambda/pricing/',
    read: READ,
  },
  route53HealthCheckAws: {
    usd: 0.5,
    per: 'health check of an AWS endpoint per month (basic; calculated and CloudWatch-alarm checks priced alike)',
    source: ROUTE53,
    read: READ,
    note: `${ROUTE53_NOTE} Calculated and CloudWatch-alarm checks are priced as basic AWS-endpoint checks: the transcription lists no other health-check rate, and infracost's Route 53 model (internal/resources/aws/route53_health_check.go) bills every check type at the AWS-endpoint rate plus its optional features.`,
  },
  route53HealthCheckNonAws: {
    usd: 0.75,
    per: 'health check of a non-AWS endpoint per month (basic)',
    source: ROUTE53,
    read: READ,
    note: ROUTE53_NOTE,
  },
  route53FeatureAws: {
    usd: 1,
    per: 'optional feature (HTTPS, string matching, fast interval, latency measurement) of an AWS-endpoint check per month',
    source: ROUTE53,
    read: READ,
    note: ROUTE53_NOTE,
  },
  route53FeatureNonAws: {
    usd: 2,
    per: 'optional feature of a non-AWS-endpoint check per month',
    source: ROUTE53,
    read: READ,
    note: ROUTE53_NOTE,
  },
  cloudwatchCustomMetric: {
    usd: 0.3,
    per: 'custom metric per month (first 10,000; prorated by the hour it is emitted in; EMF metrics included)',
    source: CLOUDWATCH,
    read: READ,
    note: CLOUDWATCH_TABS,
  },
  cloudwatchPutMetricData: {
    usd: 0.01 / 1000,
    per: 'PutMetricData request',
    source: CLOUDWATCH,
    read: READ,
    note: CLOUDWATCH_TABS,
  },
  cloudwatchAlarmMetric: {
    usd: 0.1,
    per: 'standard-resolution alarm metric per month (a metric-math alarm pays for each metric it reads)',
    source: CLOUDWATCH,
    read: READ,
    note: CLOUDWATCH_TABS,
  },
  cloudwatchAlarmHighResMetric: {
    usd: 0.3,
    per: 'high-resolution (period < 60 s) alarm metric per month',
    source: CLOUDWATCH,
    read: READ,
    note: CLOUDWATCH_TABS,
  },
  cloudwatchDashboard: {
    usd: 3,
    per: "dashboard per month (the free tier covers an account's first 3 dashboards of up to 50 metrics each)",
    source: CLOUDWATCH,
    read: READ,
    note: CLOUDWATCH_TABS,
  },
  cloudwatchCompositeAlarm: {
    usd: 0.5,
    per: 'composite alarm per month',
    source: CLOUDWATCH,
    read: READ,
    note: CLOUDWATCH_TABS,
  },
  logsIngestion: {
    usd: 0.5,
    per: 'GB of logs ingested (standard class)',
    source: CLOUDWATCH,
    read: READ,
    note: CLOUDWATCH_TABS,
  },
  logsStorage: {
    usd: 0.03,
    per: 'GB-month of logs stored (billed compressed; charged here on raw bytes)',
    source: CLOUDWATCH,
    read: READ,
    note: CLOUDWATCH_TABS,
  },
  kmsKey: {
    usd: 1,
    per: 'KMS key per month (symmetric, asymmetric, HMAC alike)',
    source: 'https://aws.amazon.com/kms/pricing/',
    read: READ,
  },
  kmsRotation: {
    usd: 1,
    per: 'month, for each of the first two rotations of a key (later rotations add nothing)',
    source:
      'https://aws.amazon.com/blogs/security/the-curious-case-of-faster-aws-kms-symmetric-key-rotation/',
    read: READ,
    note: 'The pricing page says each rotation adds $1/month; the AWS Security Blog post (April 2024) caps it after the second rotation.',
  },
  kmsRequest: {
    usd: 0.03 / 10_000,
    per: 'KMS request (symmetric)',
    source: 'https://aws.amazon.com/kms/pricing/',
    read: READ,
    note: 'The stored page names the 20,000 free requests; the rate is from guides quoting it (not subtracted: free tier).',
  },
  xrayTraceRecorded: {
    usd: 5 / 1_000_000,
    per: 'X-Ray trace recorded',
    source: 'https://aws.amazon.com/xray/pricing/',
    read: READ,
    note: 'Read on the localized copies of the page (de, cn: 5 USD per million after 100,000 free a month).',
  },
  eventbridgeScheduledEvent: {
    usd: 0,
    per: 'event of a scheduled rule on the default bus (an AWS event, not a custom one)',
    source: 'https://aws.amazon.com/eventbridge/pricing/',
    read: READ,
    note: 'The page could not be read here; AWS service events are free by the guides quoting it (custom events $1 per million).',
  },
} as const satisfies Record<string, Price>;
