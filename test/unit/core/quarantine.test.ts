// Issue 11, items 2 and 4: failed and superseded candidates are quarantined, never forgotten.
import fc from 'fast-check';
import { bootstrapRole } from '../../../functions/core/election-census';
import {
  type ClusterState,
  type QuarantineEntry,
  type QuarantineFence,
  toClusterState,
} from '../../../functions/core/failover';
import { decide } from '../../../functions/core/failover-decide';
import { type NodeObservation, observe, type Probe } from '../../../functions/core/failover-observe';
import {
  concludeFailover,
  type FailoverRun,
  FailoverRunSchema,
} from '../../../functions/core/failover-outcome';
import { CandidateError, plan } from '../../../functions/core/failover-plan';
import {
  isQuarantined,
  mayActAsPrimary,
  prunable,
  quarantinedIds,
  quarantineRefusal,
  releaseAuditPut,
  releaseCheck,
} from '../../../functions/core/quarantine';

const NOW = Date.UTC(2026, 2, 10, 12);
const EXECS = ['a', 'b', 'c'].map(
  (x) => `arn:aws:states:eu-west-1:111122223333:execution:primary-failover:${x}`,
);
const [A, B] = EXECS as [string, string];
const IDS = ['i-0000000000000000a', 'i-0000000000000000b', 'i-0000000000000000c', 'i-0000000000000000d'];
const [P, M1, M2, Q] = IDS as [string, string, string, string];
const FENCES: QuarantineFence[] = ['pending', 'demoted', 'stopped', 'unconfirmed'];
const EC2_STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated', undefined];

const entry = (over: Partial<QuarantineEntry> = {}): QuarantineEntry => ({
  reason: 'candidate-failed',
  run: A,
  epoch: 4,
  since: NOW - 60_000,
  fence: 'stopped',
  ...over,
});

const id = fc.constantFrom(...IDS);
const exec = fc.constantFrom(...EXECS);
const quarantineEntry = fc.record<QuarantineEntry>({
  reason: fc.constantFrom('candidate-failed', 'superseded'),
  run: exec,
  epoch: fc.nat({ max: 9 }),
  since: fc.integer({ min: NOW - 86_400_000, max: NOW }),
  fence: fc.constantFrom(...FENCES),
});
const state: fc.Arbitrary<ClusterState | undefined> = fc.option(
  fc.record<ClusterState>(
    {
      epoch: fc.nat({ max: 9 }),
      primary: fc.option(id, { nil: undefined }),
      phase: fc.constantFrom('fenced', 'committed', 'claimed', 'escalated', undefined),
      owner: fc.option(exec, { nil: undefined }),
      candidate: fc.option(id, { nil: undefined }),
      quarantine: fc.option(fc.dictionary(id, quarantineEntry, { maxKeys: 3 }), { nil: undefined }),
    },
    { requiredKeys: ['epoch'] },
  ),
  { nil: undefined },
);

// --- the rules --------------------------------------------------------------------------------------------

describe('quarantine rules', () => {
  it('a quarantined node may act as a primary exactly when EC2 runs or starts it and it was not demoted', () => {
    for (const fence of FENCES) {
      for (const ec2 of EC2_STATES) {
        expect({ fence, ec2, may: mayActAsPrimary(entry({ fence }), ec2) }).toEqual({
          fence,
          ec2,
          may: (ec2 === 'running' || ec2 === 'pending') && fence !== 'demoted',
        });
      }
    }
  });

  it('refuses to quarantine the recorded primary, or the live candidate of another election, and nothing else', () => {
    fc.assert(
      fc.property(state, id, exec, (s, node, me) => {
        const refused = quarantineRefusal(s, { instanceId: node, execution: me });
        const owned =
          s?.primary === node || (s?.candidate === node && s.owner !== me && s.phase === 'fenced');
        expect(refused !== undefined).toBe(owned);
        if (refused) expect(refused).toContain(node);
      }),
    );
    // A superseded run's own candidate, left behind by a claim (no election holds it), may be quarantined.
    expect(
      quarantineRefusal(
        { epoch: 6, phase: 'claimed', owner: B, primary: P, candidate: M1 },
        {
          instanceId: M1,
          execution: A,
        },
      ),
    ).toBeUndefined();
  });

  it('prunes exactly the quarantined nodes EC2 reports terminated', () => {
    fc.assert(
      fc.property(
        state,
        fc.uniqueArray(
          fc.record({ instanceId: id, ec2State: fc.constantFrom('running', 'stopped', 'terminated') }),
          {
            selector: (n) => n.instanceId,
          },
        ),
        (s, nodes) => {
          const pruned = prunable(nodes, s);
          for (const n of nodes) {
            expect(pruned.includes(n.instanceId)).toBe(
              n.ec2State === 'terminated' && isQuarantined(s, n.instanceId),
            );
          }
          expect(pruned).toEqual([...pruned].sort());
        },
      ),
    );
  });

  it('reads entries from the table cautiously: an unknown fence is pending, never no entry', () => {
    const read = toClusterState({
      epoch: 3,
      quarantine: { [Q]: { reason: 'superseded', run: A, epoch: '3', since: '5', fence: 'sideways' } },
    } as unknown as ClusterState);
    expect(read?.quarantine?.[Q]).toEqual({
      reason: 'superseded',
      run: A,
      epoch: 3,
      since: 5,
      fence: 'pending',
    });
    expect(quarantinedIds(read)).toEqual([Q]);
    expect(quarantinedIds(undefined)).toEqual([]);
  });

  it('a release names the entry it releases, or says which nodes are quarantined', () => {
    const s: ClusterState = { epoch: 5, quarantine: { [Q]: entry() } };
    expect(releaseCheck(s, Q)).toEqual({ entry: entry() });
    expect(releaseCheck(s, M1)).toEqual({ error: `${M1} is not quarantined (quarantined: ${Q})` });
    expect(releaseCheck({ epoch: 5 }, M1)).toEqual({ error: `${M1} is not quarantined (no node is)` });
  });

  it('audits a release: who, why, which entry; kept like every audit entry; never overwrites one', () => {
    const put = releaseAuditPut(
      {
        cluster: 'prod',
        instanceId: Q,
        operator: 'jane@example.com',
        reason: 'checked the logs',
        entry: entry(),
      },
      NOW,
    );
    expect(put).toEqual({
      Item: {
        pk: 'CLUSTER#prod',
        sk: `AUDIT#${new Date(NOW).toISOString()}#release-quarantine-${Q}`,
        trigger: 'operator',
        action: 'release-quarantine',
        instanceId: Q,
        operator: 'jane@example.com',
        reason: 'checked the logs',
        quarantinedFor: 'candidate-failed',
        quarantinedBy: A,
        quarantinedAt: new Date(NOW - 60_000).toISOString(),
        fence: 'stopped',
        outcome: 'released',
        ttl: Math.floor(NOW / 1000) + 90 * 86_400,
      },
      ConditionExpression: 'attribute_not_exists(sk)',
    });
  });
});

// --- node-bootstrap's claim -------------------------------------------------------------------------------

describe('bootstrapRole beside a quarantined node', () => {
  it('never claims the primary role while a quarantined node other than itself may act as one', () => {
    fc.assert(
      fc.property(
        state,
        id,
        fc.uniqueArray(id, { minLength: 1 }),
        fc.boolean(),
        (s, me, live, recordedRunning) => {
          const role = bootstrapRole(
            {
              instanceId: me,
              groupRole: 'primary',
              mode: 'legacy-primary',
              recordedPrimaryRunning: recordedRunning,
              quarantinedLive: live,
            },
            s,
            NOW,
          );
          if (live.some((x) => x !== me)) expect(role).toMatchObject({ role: 'member', claim: false });
        },
      ),
    );
    expect(
      bootstrapRole(
        {
          instanceId: P,
          groupRole: 'primary',
          mode: 'legacy-primary',
          recordedPrimaryRunning: false,
          quarantinedLive: [Q],
        },
        { epoch: 3, phase: 'escalated' },
        NOW,
      ),
    ).toEqual({
      role: 'member',
      claim: false,
      askAgain: false,
      reason: `quarantined ${Q} may still act as the primary (running, demotion not confirmed)`,
    });
    // Nothing quarantined runs: the claim goes ahead as before.
    expect(
      bootstrapRole(
        {
          instanceId: P,
          groupRole: 'primary',
          mode: 'legacy-primary',
          recordedPrimaryRunning: false,
          quarantinedLive: [],
        },
        { epoch: 3, phase: 'escalated' },
        NOW,
      ),
    ).toMatchObject({ role: 'primary', claim: true });
  });
});

// --- observe and plan -------------------------------------------------------------------------------------

const ready = (role: 'primary' | 'member'): Probe => ({
  reachable: true,
  ready: true,
  role,
  taskAffinity: null,
});
const node = (
  instanceId: string,
  group: NodeObservation['group'],
  over: Partial<NodeObservation> = {},
): NodeObservation => ({
  instanceId,
  group,
  az: group === 'primary' ? 'eu-west-1a' : 'eu-west-1b',
  lifecycleState: group === 'none' ? 'none' : 'InService',
  health: 'Healthy',
  target: group === 'none' ? 'absent' : 'healthy',
  ec2State: 'running',
  probe: ready(group === 'primary' ? 'primary' : 'member'),
  ...over,
});
const legacy = { mode: 'legacy-primary' as const, minTaskNodes: 1 };
const quarantined = (ids: readonly string[], fence: QuarantineFence = 'stopped'): ClusterState => ({
  epoch: 6,
  phase: 'committed',
  primary: P,
  quarantine: Object.fromEntries(ids.map((i) => [i, entry({ fence })])),
});

const anyProbe: fc.Arbitrary<Probe> = fc.record({
  reachable: fc.boolean(),
  ready: fc.boolean(),
  role: fc.constantFrom('primary', 'member', null),
  taskAffinity: fc.constantFrom('any', 'none', null),
});
const anyCluster = fc.uniqueArray(
  fc.record<NodeObservation>({
    instanceId: id,
    group: fc.constantFrom('primary', 'member', 'member', 'none'),
    az: fc.constantFrom('eu-west-1a', 'eu-west-1b'),
    lifecycleState: fc.constantFrom('InService', 'InService', 'Pending:Wait', 'none'),
    health: fc.constantFrom('Healthy', 'Healthy', 'Unhealthy'),
    target: fc.constantFrom('healthy', 'healthy', 'unhealthy', 'absent'),
    ec2State: fc.constantFrom('running', 'running', 'stopped', 'terminated'),
    probe: anyProbe,
  }),
  { selector: (n) => n.instanceId, minLength: 1 },
);

describe('observe and plan never trust a quarantined node', () => {
  it('a quarantined ready primary beside the primary is a split brain; alone it is no primary to keep or adopt', () => {
    const rogue = node(Q, 'none', { probe: ready('primary') });
    const cluster = [node(P, 'primary'), node(M1, 'member'), rogue];
    expect(observe(cluster, quarantined([Q]), legacy)).toEqual({ kind: 'split', primaries: [P, Q] });
    // The primary is gone and only the quarantined node answers as one: it is not re-housed (adopted).
    const alone = [
      node(P, 'primary', { ec2State: 'terminated', probe: undefined }),
      node(M1, 'member'),
      rogue,
    ];
    expect(observe(alone, quarantined([Q]), legacy)).toEqual({
      kind: 'down',
      why: 'the cluster has no primary instance',
    });
    // Without the quarantine the same node would be adopted.
    expect(observe(alone, { epoch: 6, primary: P }, legacy)).toMatchObject({ kind: 'unhoused', primary: Q });
  });

  it('property: no quarantined node is ever a candidate, an adoption or the primary a demotion keeps', () => {
    fc.assert(
      fc.property(
        anyCluster,
        fc.uniqueArray(id, { minLength: 1 }),
        fc.option(id, { nil: undefined }),
        (nodes, q, failed) => {
          const s = quarantined(q);
          const obs = observe(nodes, s, legacy);
          if (obs.kind === 'unhoused') expect(q).not.toContain(obs.primary);
          if (obs.kind === 'healthy') expect(q).not.toContain(obs.primary);
          const split = obs.kind === 'split' ? obs.primaries : undefined;
          const p = plan(nodes, s, { ...legacy, failedPrimary: failed, split });
          if (p.action === 'promote') for (const c of p.candidates) expect(q).not.toContain(c);
          if (p.action === 'demote' && p.keep !== undefined && split?.some((x) => !q.includes(x))) {
            expect(q).not.toContain(p.keep);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('property: while a quarantined node answers as a ready primary, nobody is promoted beside it', () => {
    fc.assert(
      fc.property(anyCluster, id, fc.option(id, { nil: undefined }), (nodes, q, failed) => {
        const withRogue = [
          ...nodes.filter((n) => n.instanceId !== q),
          node(q, 'none', { probe: ready('primary') }),
        ];
        const p = plan(withRogue, quarantined([q]), { ...legacy, failedPrimary: failed });
        expect(p.action).not.toBe('promote');
      }),
      { numRuns: 300 },
    );
  });

  it('nor beside a quarantined node that runs unreachable on a live host without a confirmed demotion', () => {
    const cut = {
      probe: { reachable: false, ready: false, role: null, taskAffinity: null },
      hostStatus: 'ok',
    };
    const nodes = [
      node(P, 'primary', { target: 'unhealthy', probe: undefined, ec2State: 'stopped' }),
      node(M1, 'member'),
      node(Q, 'none', cut),
    ];
    for (const fence of FENCES) {
      const p = plan(nodes, quarantined([Q], fence), { ...legacy, failedPrimary: P });
      // Demoted: its process was stopped with primary: false written; it cannot be a primary in a partition.
      expect({ fence, action: p.action }).toEqual({
        fence,
        action: fence === 'demoted' ? 'promote' : 'escalate',
      });
    }
    // A host EC2 calls impaired is taken as down (as an old primary's is), and a stopped one as stopped.
    for (const change of [{ hostStatus: 'impaired' }, { ec2State: 'stopped' }]) {
      const p = plan(
        [...nodes.slice(0, 2), node(Q, 'none', { ...cut, ...change })],
        quarantined([Q], 'pending'),
        {
          ...legacy,
          failedPrimary: P,
        },
      );
      expect(p).toMatchObject({ action: 'promote', candidates: [M1] });
    }
    expect(plan(nodes, quarantined([Q], 'stopped'), { ...legacy, failedPrimary: P })).toMatchObject({
      reason: expect.stringContaining(`quarantined ${Q} may run as a primary`),
    });
  });

  it('refuses a quarantined node an operator names as the candidate, saying how to release it', () => {
    const nodes = [
      node(P, 'primary', { target: 'unhealthy', probe: undefined }),
      node(M1, 'member'),
      node(Q, 'member'),
    ];
    expect(() =>
      plan(nodes, quarantined([Q], 'demoted'), { ...legacy, failedPrimary: P, candidate: Q }),
    ).toThrow(
      new CandidateError(
        `candidate ${Q} is quarantined (candidate-failed, by ${A}, fence demoted): release it first`,
      ),
    );
    // Not named: the other member is chosen, the quarantined one never.
    expect(plan(nodes, quarantined([Q]), { ...legacy, failedPrimary: P })).toMatchObject({
      action: 'promote',
      candidates: [M1],
    });
  });

  it('does not take over a quarantined node as the interrupted candidate of a dead run', () => {
    const nodes = [
      node(P, 'primary', { target: 'unhealthy', probe: undefined }),
      node(M1, 'member'),
      node(Q, 'none'),
    ];
    const s = { ...quarantined([Q]), phase: 'fenced' as const, owner: A, candidate: Q };
    expect(plan(nodes, s, { ...legacy, failedPrimary: P })).toMatchObject({ candidates: [M1] });
    expect(plan(nodes, { ...s, quarantine: {} }, { ...legacy, failedPrimary: P })).toMatchObject({
      candidates: [Q, M1],
    });
  });

  it('decide hands the fence the quarantined nodes EC2 reports terminated (and only those)', () => {
    const nodes = [
      node(P, 'primary', { target: 'unhealthy', probe: undefined }),
      node(M1, 'member'),
      node(M2, 'none', { ec2State: 'terminated', probe: undefined }),
      node(Q, 'none', { ec2State: 'stopped', probe: undefined }),
    ];
    const d = decide(
      {
        run: { trigger: 'manual', force: false },
        verdict: { verdict: 'confirmed', primary: P },
        nodes,
        state: quarantined([M2, Q]),
        gate: undefined,
      },
      {
        mode: 'legacy-primary',
        minTaskNodes: 1,
        cooldownMinutes: 15,
        dailyBudget: 10,
        automationEnabled: true,
      },
      NOW,
    );
    expect(d.plan.prune).toEqual([M2]);
    expect(d.plan).toMatchObject({ action: 'promote', candidates: [M1] });
  });
});

// --- how a run ends ---------------------------------------------------------------------------------------

const EXECUTION = EXECS[0] as string;
const fencedRun: FailoverRun = {
  input: { cluster: 'prod', region: 'eu-west-1', trigger: 'alarm' },
  lock: { acquired: true },
  confirmation: { verdict: { verdict: 'confirmed', payload: { why: 'down' } } },
  decision: {
    gate: { allow: true },
    plan: { action: 'promote', mode: 'legacy-primary' },
    summary: 'promote',
  },
  fence: { epoch: 7 },
  attempts: { attempt: 1, lastFailed: 'none' },
  candidate: { instanceId: M1 },
};
const promotedThenStale: FailoverRun = {
  ...fencedRun,
  attempt: { outcome: 'promoted', detail: {} },
  staleError: { Error: 'StaleEpoch', Cause: 'epoch 7 no longer belongs to this execution' },
};
const conclude = (run: FailoverRun) => concludeFailover(FailoverRunSchema.parse(run), EXECUTION);

describe('concludeFailover: quarantined candidates', () => {
  it.each(['demoted', 'stopped'])(
    'a superseded run that %s its promoted candidate is notified, not quiet',
    (how) => {
      const c = conclude({ ...promotedThenStale, supersededCandidate: { outcome: how, instanceId: M1 } });
      expect(c.report).toMatchObject({ outcome: 'superseded', notify: true });
      expect(c.report.summary).toMatch(
        new RegExp(`^Superseded after promoting ${M1}: .*${M1} was .* and is quarantined`),
      );
      expect(c.failed).toBe(false);
      expect(c.restorePrimaryGroup).toBe(false);
    },
  );

  it('a superseded run whose candidate now belongs to the election that holds the epoch stays quiet', () => {
    const c = conclude({
      ...promotedThenStale,
      supersededCandidate: { outcome: 'left-to-owner', instanceId: M1 },
    });
    expect(c.report.outcome).toBe('superseded');
    expect(c.report.notify).toBeUndefined();
    expect(c.report.summary).toContain('now belongs to that election');
  });

  it('a superseded run that could not put its promoted candidate away fails and says so', () => {
    const err = { Error: 'FenceUnconfirmed', Cause: 'not stopped' };
    const c = conclude({ ...promotedThenStale, supersededError: err });
    expect(c.report).toMatchObject({ outcome: 'failed', error: err });
    expect(c.failed).toBe(true);
    expect(c.report.summary).toContain(`${M1} could not be confirmed demoted or stopped`);
  });

  it('a failed candidate nothing confirms out of service escalates: nobody else was promoted', () => {
    const err = { Error: 'FenceUnconfirmed', Cause: 'not stopped' };
    const c = conclude({ ...fencedRun, escalation: { escalated: true }, quarantineError: err });
    expect(c.report).toMatchObject({ outcome: 'escalated', error: err });
    expect(c.report.summary).toMatch(new RegExp(`^${M1} failed its promotion and could not be confirmed`));
    expect(c.restorePrimaryGroup).toBe(true);
  });

  it('a recovery after a failed candidate names the quarantined node', () => {
    const c = conclude({ ...fencedRun, quarantined: { outcome: 'stopped', instanceId: M2 } });
    expect(c.report).toMatchObject({ outcome: 'succeeded', notify: true });
    expect(c.report.summary).toContain(
      `${M2} was stopped at the hypervisor and is quarantined (it failed its promotion)`,
    );
  });

  it('property: a run superseded after promoting a node is quiet only if it left the node to its new owner', () => {
    const handled = fc.option(
      fc.record({ outcome: fc.constantFrom('demoted', 'stopped', 'left-to-owner'), instanceId: id }),
      { nil: undefined },
    );
    const caught = fc.option(fc.record({ Error: fc.string(), Cause: fc.string() }), { nil: undefined });
    fc.assert(
      fc.property(handled, caught, (q, error) => {
        fc.pre(q !== undefined || error !== undefined);
        const c = conclude({
          ...promotedThenStale,
          ...(q ? { supersededCandidate: q } : {}),
          ...(error ? { supersededError: error } : {}),
        });
        const quiet = c.report.notify === undefined && !['failed', 'escalated'].includes(c.report.outcome);
        expect(quiet).toBe(error === undefined && q?.outcome === 'left-to-owner');
      }),
    );
  });
});
