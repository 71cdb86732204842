/**
 * One datapoint in CloudWatch's embedded metric format (CloudWatch User Guide, "Specification: Embedded metric
 * format", https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
 * a JSON log line whose `_aws` member names the namespace, the one dimension set and the metric; the dimension
 * values and the metric's value are top-level members; `Timestamp` (epoch ms) is the datapoint's time. Exactly
 * the dimensions given (no `service`), so the metric is the one the alarms read.
 */
export function emfLine(m: {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly value: number;
  readonly timestamp: number;
}): string {
  const names = Object.keys(m.dimensions);
  if (m.namespace === '' || m.metricName === '' || names.length === 0 || names.length > 30)
    throw new Error('an EMF datapoint needs a namespace, a metric name and 1-30 dimensions');
  if (!Number.isFinite(m.value) || !Number.isInteger(m.timestamp))
    throw new Error('an EMF datapoint needs a finite value and an epoch-millisecond timestamp');
  return JSON.stringify({
    _aws: {
      Timestamp: m.timestamp,
      CloudWatchMetrics: [
        { Namespace: m.namespace, Dimensions: [names], Metrics: [{ Name: m.metricName, Unit: 'Count' }] },
      ],
    },
    ...m.dimensions,
    [m.metricName]: m.value,
  });
}
