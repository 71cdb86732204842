/** The dashboard's spec (issue 15 §5): built from the alarms' names, showing what the issue lists. */
import { dashboardBody, dashboardSpec } from '../../infra/dashboard';
import { allFunctionAlarmSpecs, operationsAlarmSpecs } from '../../infra/operations';
import { exampleConfig } from './helpers';

const config = exampleConfig();
const region = config.regions[0]?.name as string;

describe('the dashboard (issue §5)', () => {
  it('is built from the alarms’ names and shows the census, runs, certificates, switches and errors', () => {
    const spec = dashboardSpec(config, region, {
      functionName: (fn) => `fn-${fn}`,
      stateMachineArn: (w) => `arn:${w}`,
      queueName: 'q',
    });
    const alarmsShown = spec.widgets.flatMap((w) => (w.type === 'alarm' ? w.alarms : []));
    const every = [
      ...operationsAlarmSpecs(config, region, 'q'),
      ...allFunctionAlarmSpecs(config, region, (fn) => `fn-${fn}`),
    ].map((a) => a.name);
    for (const name of every) expect(alarmsShown).toContain(name);
    const queries = spec.widgets.flatMap((w) => (w.type === 'log' ? [w.query] : []));
    expect(queries[0]).toMatch(
      /^fields .*census\.primary.*census\.epoch.* \| filter message = "sweep census" \| sort @timestamp desc \| limit 1$/,
    );
    const metrics = spec.widgets.flatMap((w) => (w.type === 'metric' ? w.metrics : []));
    expect(metrics.map((m) => m.metricName)).toEqual(
      expect.arrayContaining([
        'AutomationPaused',
        'CertificateDaysLeft',
        'RegionServing',
        'Errors',
        'RunsEnded',
        'ExecutionsFailed',
      ]),
    );
    // Within the free tier's 50 metrics a dashboard (bench/idle-dashboard.ts).
    expect(metrics.length).toBeLessThanOrEqual(50);
    const body = dashboardBody(spec, { account: '1', partition: 'aws', logGroupName: (fn) => `/lg/${fn}` });
    for (const w of body.widgets) expect(w.x + w.width).toBeLessThanOrEqual(24);
  });
});
