/**
 * cert-rotation's triggers in one description, used by the CDK stack and the twin's deployment alike (as
 * infra/primary-failover.ts is for the primary watch): the certificate-expiry alarm on `CertificateDaysLeft`
 * (published by the reconciler; the primary alarm's rule routes it to dispatch: primaryAlarmEventPattern), the
 * daily census schedule,
 * and the environment dispatch, the reconciler and the watch need for them.
 */
import {
  CERT_DAYS_LEFT_METRIC,
  CERT_ROTATION,
  censusRuleName as clusterCensusRuleName,
  certAlarmName as clusterCertAlarmName,
} from '../functions/core/cert-triggers';
import { ENV } from '../functions/shared/env';
import type { Config } from './config/schema';
import { METRIC_NAMESPACE } from './stacks/names';

export { CERT_DAYS_LEFT_METRIC, CERT_ROTATION };

export function certAlarmName(config: Config, region: string): string {
  return clusterCertAlarmName(config.cluster.name, region);
}

export function censusRuleName(config: Config): string {
  return clusterCensusRuleName(config.cluster.name);
}

/**
 * The certificate-expiry alarm: the cluster's smallest `CertificateDaysLeft` under `nearExpiryDays` over a
 * 15-minute period (three sweeps). A period without data (no node has a recorded certificate) is not
 * breaching: nothing recorded is nothing to renew, and a missed sweep inside the period changes nothing.
 */
export function certAlarmSpec(config: Config, region: string) {
  return {
    name: certAlarmName(config, region),
    namespace: METRIC_NAMESPACE,
    metricName: CERT_DAYS_LEFT_METRIC,
    dimensions: { Cluster: config.cluster.name, Region: region },
    statistic: 'Minimum' as const,
    periodSeconds: 900,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    threshold: config.certificates.nearExpiryDays,
    comparison: 'LessThanThreshold' as const,
    treatMissingData: 'notBreaching' as const,
  };
}

/** The daily census: `cron(0 <censusHourUtc> * * ? *)` (EventBridge cron is UTC). */
export function censusScheduleExpression(config: Config): string {
  return `cron(0 ${config.certificates.censusHourUtc} * * ? *)`;
}

/** What dispatch needs to start cert-rotation under the gates (beside its lifecycle environment). */
export function certDispatchEnvironment(config: Config, certRotationArn: string): Record<string, string> {
  return {
    [ENV.certRotationStateMachineArn]: certRotationArn,
    [ENV.certCooldownMinutes]: String(config.automation.cooldownMinutes.certRotation),
    [ENV.dailyBudget]: String(config.automation.dailyBudget),
  };
}

/** What the reconciler needs to publish `CertificateDaysLeft`. */
export function certSweepEnvironment(): Record<string, string> {
  return { [ENV.metricNamespace]: METRIC_NAMESPACE };
}

/** What the watch needs to know a planned primary restart: the lease's table and cert-rotation's ARN. */
export function plannedRestartEnvironment(
  stateTable: string,
  certRotationArn: string,
): Record<string, string> {
  return { [ENV.stateTable]: stateTable, [ENV.certRotationStateMachineArn]: certRotationArn };
}
