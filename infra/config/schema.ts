import { z } from 'zod';

import { AWS_REGIONS } from '../../functions/shared/aws-regions';

export { AWS_REGIONS };

const regionName = z.string().refine((r) => (AWS_REGIONS as readonly string[]).includes(r), {
  error: (issue) => `unknown AWS region ${JSON.stringify(issue.input)}`,
});

const nonEmpty = (what: string) =>
  z
    .string({ error: `${what} is required` })
    .trim()
    .min(1, `${what} is required`);

/** Names an EC2 Auto Scaling group: 1–255 characters, no colon (AWS Auto Scaling API reference). */
const asgName = (what: string) =>
  nonEmpty(what)
    .max(255, `${what} is longer than 255 characters`)
    .refine((s) => !s.includes(':'), `${what} must be a name, not an ARN`);

const targetGroupArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/,
    'not a target group ARN (arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>)',
  );

const albArn = z
  .string({ error: 'alb.arn is required' })
  .regex(
    /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/,
    'alb.arn is not an Application Load Balancer ARN (arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>)',
  );

export const RegionConfigSchema = z
  .object({
    name: regionName,
    /** The one-instance Auto Scaling group that holds the primary node. */
    primaryAsgName: asgName('primaryAsgName'),
    /** The Auto Scaling group of member nodes. */
    memberAsgName: asgName('memberAsgName'),
    /**
     * At most 3: the region's degraded alarm reads 3 ALB metrics per target group, and an alarm reads at most 10
     * metrics (PutMetricAlarm, `Metrics`; docs/facts.md, "Regional routing").
     */
    targetGroupArns: z
      .array(targetGroupArn)
      .min(1, 'at least one target group ARN is required')
      .max(
        3,
        'at most 3 target groups: the degraded alarm reads 3 metrics of each, and an alarm reads at most 10',
      ),
    alb: z.strictObject({
      /**
       * The ALB's ARN: its `app/<name>/<id>` part is the `LoadBalancer` dimension of the AWS/ApplicationELB
       * metrics the region's degraded alarm reads (they are published per target group AND load balancer only).
       */
      arn: albArn,
      dnsName: nonEmpty('alb.dnsName').regex(/^[A-Za-z0-9.-]+$/, 'alb.dnsName must be a DNS name'),
      healthPath: z
        .string()
        .startsWith('/', 'alb.healthPath must start with /')
        .default('/router/api/v1/system/health'),
    }),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.primaryAsgName === r.memberAsgName) {
      ctx.addIssue({
        code: 'custom',
        path: ['memberAsgName'],
        message: 'memberAsgName must differ from primaryAsgName',
      });
    }
    // An unknown region is already reported; comparing ARNs against it would only add noise.
    if (!(AWS_REGIONS as readonly string[]).includes(r.name)) return;
    const albRegion = r.alb.arn.split(':')[3];
    if (albRegion !== r.name) {
      ctx.addIssue({
        code: 'custom',
        path: ['alb', 'arn'],
        message: `the ALB is in ${albRegion}, not in ${r.name}`,
      });
    }
    r.targetGroupArns.forEach((arn, i) => {
      const arnRegion = arn.split(':')[3];
      if (arnRegion !== r.name) {
        ctx.addIssue({
          code: 'custom',
          path: ['targetGroupArns', i],
          message: `target group is in ${arnRegion}, not in ${r.name}`,
        });
      }
    });
  });

const minutes = (what: string) =>
  z
    .number({ error: `${what} must be a number of minutes` })
    .int(`${what} must be a whole number of minutes`)
    .min(0, `${what} must be >= 0`);

export const ConfigSchema = z
  .strictObject({
    /** The AWS account to deploy to; defaults to the CLI's current account. */
    account: z
      .string()
      .regex(/^\d{12}$/, 'account must be a 12-digit AWS account id')
      .optional(),
    cluster: z.strictObject({
      name: nonEmpty('cluster.name').regex(
        /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/,
        'cluster.name must be 3-32 characters of lowercase letters, digits and hyphens',
      ),
      /** Artifactory < 7.17.4 has one primary node; from 7.17.4 every node can run tasks (docs/facts.md). */
      mode: z.enum(['legacy-primary', 'cloud-native']),
      /** Rollouts and drains never take the healthy node count below this. */
      minHealthyNodes: z.number().int().min(1, 'cluster.minHealthyNodes must be >= 1').default(2),
      /** Cloud-native mode: nodes that must keep taskAffinity "any". */
      minTaskNodes: z.number().int().min(1, 'cluster.minTaskNodes must be >= 1').default(2),
    }),
    regions: z.array(RegionConfigSchema).min(1, 'at least one region is required'),
    routing: z.strictObject({
      /** Region of the global routing stack (Route 53 is global; its control plane lives in us-east-1). */
      stackRegion: regionName.default('us-east-1'),
      hostedZoneId: z
        .string()
        .regex(/^Z[A-Z0-9]{1,31}$/, 'routing.hostedZoneId must be a Route 53 hosted zone id'),
      /** A name below the zone apex: each region answers with a latency-routed CNAME to its ALB. */
      recordName: nonEmpty('routing.recordName').regex(
        /^[A-Za-z0-9.-]+$/,
        'routing.recordName must be a DNS name',
      ),
      /** Route 53 recommends 60 s or less for health-checked records (docs/facts.md). */
      ttlSeconds: z.number().int().min(1).max(300, 'routing.ttlSeconds above 300 slows failover').default(60),
      /** Fixed when the health check is created: 10 or 30 seconds. */
      healthCheckIntervalSeconds: z.union([z.literal(10), z.literal(30)]).default(30),
      /** 1-10 consecutive checks (Route 53 default 3). */
      healthCheckFailureThreshold: z.number().int().min(1).max(10).default(3),
    }),
    failover: z
      .strictObject({
        /**
         * How regional-failover flips a region's switch: `cloudwatch-switch` publishes the switch metric
         * (CloudWatch's regional data plane, which Route 53's health checks watch); `route53-api` inverts the
         * region's switch health check through Route 53's API, whose control plane lives in us-east-1
         * (statemachines/regional-failover.md, "Drivers").
         */
        driver: z.enum(['cloudwatch-switch', 'route53-api']).default('cloudwatch-switch'),
        /** After any change at least this many regions serve; a run that would leave fewer is refused or reverted. */
        minServingRegions: z.number().int().min(1, 'failover.minServingRegions must be >= 1').default(1),
        /** Every evacuation and restore waits for an operator's approval (a task token), or times out unapproved. */
        approvalRequired: z.boolean().default(false),
        approvalTimeoutMinutes: z.number().int().min(5).max(1440).default(60),
        /**
         * A region outside `regions` holding only a copy of the routing table: the routing lease is taken in a
         * majority of the routing tables (every region's and the witness's), so with two regions a quorum
         * exists without the sick one. Required when `regions` has an even number (>= 2) of regions.
         */
        witnessRegion: regionName.optional(),
        /** Anti-flapping: the least time between two flips of the same region (ARC's wait-period rule). */
        flipWaitMinutes: minutes('failover.flipWaitMinutes').default(10),
        /** Automatic restore only after the region's degraded alarm has been OK this long (hysteresis). */
        restoreHysteresisMinutes: minutes('failover.restoreHysteresisMinutes').default(30),
        /** Restore automatically once the hysteresis window has passed; false: restores are manual only. */
        automaticRestore: z.boolean().default(true),
        /** The region's degraded alarm: HTTP 5xx share of the ALB's requests, in percent, over 5 minutes. */
        degraded: z
          .strictObject({
            max5xxPercent: z.number().gt(0).max(100).default(5),
            /** Minutes without a healthy target (or, legacy-primary, without a healthy primary). */
            noHealthyMinutes: z.number().int().min(1).max(60).default(5),
          })
          .prefault({}),
        readiness: z
          .strictObject({
            /** Healthy nodes the receiving regions need, as a share of what the evacuated region served. */
            minCapacityShare: z.number().gt(0).max(10).default(1),
            /** Certificates of the receiving regions' nodes must be valid beyond this many days. */
            minCertificateDays: z.number().int().min(0).default(7),
            /** Replication of `replicationRepos` must be within this lag. */
            maxReplicationLagMinutes: z.number().int().min(1).default(60),
            /** Repositories whose replication status is read on the primary (empty: the check is skipped and says so). */
            replicationRepos: z
              .array(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'not a repository key'))
              .default([]),
            /** The scheduled readiness evaluation's period. */
            evaluationMinutes: z.number().int().min(5).max(1440).default(60),
          })
          .prefault({}),
        drill: z
          .strictObject({
            /** EventBridge schedule of the dry-run evacuation drill of each region (default: weekly). */
            schedule: z
              .string()
              .regex(/^(cron|rate)\(.+\)$/, 'failover.drill.schedule must be cron(...) or rate(...)')
              .default('cron(0 10 ? * TUE *)'),
            /** A canary record (with its own switch) a live drill flips instead of the real one; absent: dry runs only. */
            canaryRecordName: z
              .string()
              .regex(/^[A-Za-z0-9.-]+$/, 'failover.drill.canaryRecordName must be a DNS name')
              .optional(),
          })
          .prefault({}),
      })
      .prefault({}),
    automation: z
      .strictObject({
        /**
         * Master switch for automatic remediation: false pauses every failover the control plane would start
         * on its own (alarm, sweep, replacement, drain handover) and reports what it sees once per incident.
         * Lifecycle hooks are still answered and manual runs still act (statemachines/primary-failover.md).
         */
        enabled: z.boolean().default(true),
        cooldownMinutes: z
          .strictObject({
            primaryFailover: minutes('automation.cooldownMinutes.primaryFailover').default(15),
            regionalFailover: minutes('automation.cooldownMinutes.regionalFailover').default(60),
            certRotation: minutes('automation.cooldownMinutes.certRotation').default(60),
          })
          .prefault({}),
        /** Automatic actions allowed per cluster per UTC day before the gate turns to notify-only. */
        dailyBudget: z.number().int().min(0, 'automation.dailyBudget must be >= 0').default(10),
      })
      .prefault({}),
    certificates: z
      .strictObject({
        leafLifetimeDays: z
          .number()
          .int()
          .min(1)
          .max(397, 'certificates.leafLifetimeDays must be <= 397')
          .default(90),
        /** Renew at this fraction of the lifetime; cert-manager renews at 2/3. */
        renewalFraction: z
          .number()
          .gt(0, 'certificates.renewalFraction must be > 0')
          .lt(1, 'certificates.renewalFraction must be < 1')
          .default(2 / 3),
        /** The smallest RSA key the signer accepts in a node's CSR, and the size the node's key is made with. */
        keySize: z.union([z.literal(2048), z.literal(3072), z.literal(4096)]).default(2048),
        caLifetimeDays: z.number().int().min(30).max(7300).default(3650),
        /** Nodes a rotation takes out of service at once; never below `cluster.minHealthyNodes` in service. */
        maxUnavailable: z.number().int().min(1, 'certificates.maxUnavailable must be >= 1').default(1),
        /**
         * When planned renewals may restart nodes (UTC): on these days, from `startHour` to `endHour`
         * (exclusive; 24 = midnight). Absent: any time. A certificate with fewer than `nearExpiryDays` left
         * renews outside the window, and the run says so.
         */
        renewalWindow: z.optional(
          z.strictObject({
            days: z
              .array(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']))
              .min(1, 'certificates.renewalWindow.days must name at least one day'),
            startHour: z.number().int().min(0).max(23),
            endHour: z.number().int().min(1).max(24),
          }),
        ),
        /** Days left below which a certificate renews outside the window, and the expiry alarm fires. */
        nearExpiryDays: z.number().int().min(1, 'certificates.nearExpiryDays must be >= 1').default(14),
        /** The hour (UTC) of the daily census that finds certificates due for renewal. */
        censusHourUtc: z.number().int().min(0).max(23).default(3),
        /**
         * The cluster CA's generation: each is its own KMS key (asymmetric keys cannot rotate). Raising it
         * deploys a new CA key beside the old one; a CA rotation run then moves the cluster to it. With
         * `keepPrevious` the previous generation's key stays deployed (it still signs until the rotation's
         * second phase, and its certificate stays trusted until the third).
         */
        ca: z
          .strictObject({
            generation: z.number().int().min(1, 'certificates.ca.generation must be >= 1').default(1),
            keepPrevious: z.boolean().default(true),
          })
          .prefault({}),
      })
      .superRefine((c, ctx) => {
        // An out-of-range fraction is already reported; the comparisons below would only add noise.
        if (!(c.renewalFraction > 0 && c.renewalFraction < 1)) return;
        const renewalDaysLeft = (1 - c.renewalFraction) * c.leafLifetimeDays;
        if (c.nearExpiryDays >= renewalDaysLeft) {
          ctx.addIssue({
            code: 'custom',
            path: ['nearExpiryDays'],
            message: `certificates.nearExpiryDays (${c.nearExpiryDays}) must be less than the days left at renewal (${renewalDaysLeft.toFixed(1)} = (1 - renewalFraction) x leafLifetimeDays)`,
          });
        }
        const w = c.renewalWindow;
        if (w === undefined) return;
        if (w.endHour <= w.startHour) {
          ctx.addIssue({
            code: 'custom',
            path: ['renewalWindow', 'endHour'],
            message: `certificates.renewalWindow.endHour (${w.endHour}) must be after startHour (${w.startHour})`,
          });
        }
        // A window must open at least once between the renewal point and the near-expiry override, or every
        // renewal would wait for the override (cert-manager#9146: windows that could never be met).
        const planned = renewalDaysLeft - c.nearExpiryDays;
        if (planned < 7) {
          ctx.addIssue({
            code: 'custom',
            path: ['renewalWindow'],
            message: `certificates.renewalWindow: a weekly window may not open in the ${planned.toFixed(1)} days between renewal and the near-expiry override (${c.nearExpiryDays} days); allow at least 7`,
          });
        }
      })
      .prefault({}),
    encryption: z
      .strictObject({
        /**
         * Automatic rotation period of each region's control-plane key (AWS allows 90-2560 days). Each of a
         * key's first two rotations adds $1 a month to its price (docs/performance.md#idle-cost): the default,
         * AWS's longest period, keeps the key at $1 a month for its first seven years.
         */
        keyRotationDays: z
          .number()
          .int()
          .min(90, 'encryption.keyRotationDays must be 90-2560 (the KMS limits)')
          .max(2560, 'encryption.keyRotationDays must be 90-2560 (the KMS limits)')
          .default(2560),
      })
      .prefault({}),
    notifications: z
      .strictObject({
        emails: z.array(z.email('notifications.emails must hold e-mail addresses')).default([]),
      })
      .prefault({}),
    /** How the control plane watches itself (issue 15; docs/operations.md). */
    operations: z
      .strictObject({
        /** While the global pause stays on, the operator is reminded every this many hours. */
        pauseReminderHours: z
          .number()
          .int()
          .min(1, 'operations.pauseReminderHours must be 1-168')
          .max(168, 'operations.pauseReminderHours must be 1-168')
          .default(4),
        /** Messages in the dead-letter queue are kept this many days (SQS allows 1-14). */
        deadLetterRetentionDays: z
          .number()
          .int()
          .min(1, 'operations.deadLetterRetentionDays must be 1-14 (the SQS limits)')
          .max(14, 'operations.deadLetterRetentionDays must be 1-14 (the SQS limits)')
          .default(14),
        /** A CloudWatch dashboard per region ($3 a month each beyond an account's three free ones). */
        dashboard: z.boolean().default(true),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    const seen = new Map<string, number>();
    c.regions.forEach((r, i) => {
      const first = seen.get(r.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['regions', i, 'name'],
          message: `region ${r.name} is listed twice (also regions[${first}])`,
        });
      } else {
        seen.set(r.name, i);
      }
    });
    const names = c.regions.map((r) => r.name);
    const witness = c.failover.witnessRegion;
    if (witness !== undefined && names.includes(witness)) {
      ctx.addIssue({
        code: 'custom',
        path: ['failover', 'witnessRegion'],
        message: `failover.witnessRegion (${witness}) must be a region outside regions`,
      });
    }
    const voters = names.length + (witness === undefined ? 0 : 1);
    if (names.length >= 2 && voters % 2 === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['failover', 'witnessRegion'],
        message:
          witness === undefined
            ? `failover.witnessRegion is required with ${names.length} regions: the routing lease needs a majority of routing tables without the sick region`
            : `with failover.witnessRegion the routing tables number ${voters}; use an odd number (drop the witness)`,
      });
    }
    if (c.failover.minServingRegions > c.regions.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['failover', 'minServingRegions'],
        message: `failover.minServingRegions (${c.failover.minServingRegions}) exceeds the number of regions (${c.regions.length})`,
      });
    }
  });

/** The validated deployment configuration (defaults applied). */
export type Config = z.infer<typeof ConfigSchema>;
export type RegionConfig = Config['regions'][number];
