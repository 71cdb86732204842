/**
 * Errors the twin's APIs throw, shaped like the AWS SDK v3's service exceptions (`name`, `$fault`,
 * `$metadata.httpStatusCode`), so handlers' SDK clients classify and retry them as they would in AWS and
 * Step Functions' Retry/Catch match the same names.
 */
export class AwsError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: {
    httpStatusCode: number;
    requestId?: string;
    attempts?: number;
    totalRetryDelay?: number;
  };
  readonly $retryable?: { throttling: boolean };

  constructor(
    name: string,
    message: string,
    opts: { status?: number; fault?: 'client' | 'server'; throttling?: boolean } = {},
  ) {
    super(message);
    this.name = name;
    const status = opts.status ?? (opts.fault === 'server' ? 500 : 400);
    this.$fault = opts.fault ?? (status >= 500 ? 'server' : 'client');
    this.$metadata = { httpStatusCode: status };
    if (opts.throttling) this.$retryable = { throttling: true };
  }
}

/** The operation exists in AWS but the twin does not model it: loud, never a silent success. */
export class NotModelledError extends Error {
  override readonly name = 'TwinNotModelled';
}

export const throttling = (service: string, action: string) =>
  // Query-protocol services (Auto Scaling, ELBv2, CloudWatch, EC2) return `Throttling`; JSON ones
  // `ThrottlingException` (AWS SDK retry docs: both are in the SDK's throttling error list).
  new AwsError(
    ['autoscaling', 'elbv2', 'cloudwatch', 'ec2', 'route53'].includes(service)
      ? 'Throttling'
      : 'ThrottlingException',
    `Rate exceeded (${service}:${action})`,
    { status: 400, throttling: true },
  );

export const validation = (message: string) => new AwsError('ValidationError', message, { status: 400 });
export const serviceUnavailable = (service: string, region: string) =>
  new AwsError('ServiceUnavailable', `${service} in ${region} is unavailable (injected region failure)`, {
    status: 503,
    fault: 'server',
  });
