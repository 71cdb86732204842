/**
 * The idle hour the idle-cost bench prices (bench/idle-twin.ts): what the control plane does in a region when
 * nothing happens. Every custom metric series emitted idle costs $0.30 a month and every PutMetricData call
 * $0.01 per thousand (docs/performance.md, "Idle cost"), so the idle hour is held to what something reads.
 */
import { measureIdleHour } from '../../bench/idle-twin';

jest.setTimeout(120_000);

describe('an idle hour on the twin', () => {
  it.each([1, 2])(
    'runs the watch every minute, the sweep every 5 and the hourly readiness evaluation; emits only PrimaryHealthy, CertificateDaysLeft and RegionReady (seed %i)',
    async (seed) => {
      const idle = await measureIdleHour({ seed });
      expect(Object.fromEntries(Object.entries(idle.functions).map(([k, f]) => [k, f.invocations]))).toEqual({
        watch: 60,
        reconciler: 12,
        // regional-readiness (failover.readiness.evaluationMinutes, 60): readiness-target, then assess.
        routing: 2,
      });
      // The primary-unhealthy alarm's metric once a minute, and the certificate-expiry alarm's once a sweep
      // (the idle world's nodes hold recorded certificates); no other series (no zeros, no cold starts).
      expect(idle.series.map((s) => `${s.name} ${s.dimensions.join(',')} ${s.via}`).sort()).toEqual([
        `CertificateDaysLeft Cluster=artifactory-prod,Region=${idle.region} PutMetricData`,
        // An EMF log line a minute (functions/watch/emf.ts): no PutMetricData call.
        `PrimaryHealthy Cluster=artifactory-prod,Region=${idle.region} EMF`,
        // The readiness alarm's metric, once an evaluation.
        `RegionReady Cluster=artifactory-prod,Region=${idle.region} PutMetricData`,
      ]);
      expect(idle.putMetricDataCalls).toBe(12 + 1);
      expect(Object.fromEntries(Object.entries(idle.functions).map(([k, f]) => [k, f.emfLines]))).toEqual({
        watch: 60,
        reconciler: 0,
        routing: 0,
      });
      // One regional-readiness run (no replication repositories configured: the read is skipped).
      expect(idle.executions).toBe(1);
      expect(idle.stateTransitions).toBe(6);
    },
  );
});
