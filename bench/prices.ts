/**
 * AWS prices the benchmarks turn counts into dollars with (us-east-1, on-demand, USD). Each entry names the
 * AWS pricing page it was read from and the date it was read; keep both when a price changes.
 */
export interface Price {
  readonly usd: number;
  /** What one unit is, e.g. "state transition". */
  readonly per: string;
  readonly source: string;
  readonly read: string;
}

export const PRICES = {
  sfnStandardTransition: {
    usd: 0.025 / 1000,
    per: 'state transition (Standard workflows, retries included)',
    source: 'https://aws.amazon.com/step-functions/pricing/',
    read: '2026-12-01',
  },
  lambdaRequest: {
    usd: 0.2 / 1_000_000,
    per: 'Lambda request',
    source: 'https://aws.amazon.com/lambda/pricing/',
    read: '2026-12-01',
  },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    per: 'Lambda GB-second (arm64)',
    source: 'https://aws.amazon.com/lambda/pricing/',
    read: '2026-12-01',
  },
} as const satisfies Record<string, Price>;
