/**
 * The state table's keys, in one place. One partition per cluster (`CLUSTER#<cluster>`) holds its `STATE`
 * item (epoch, phase, owner, primary), its leases (`LOCK#<name>`), one item per node (`NODE#<instance id>`),
 * one anti-flapping gate per automatic action (`GATE#<action>`), one record per kind of incident the operator
 * was told about while automation is paused (`NOTICE#<finding>`), one rendezvous per SSM command node-command
 * waits on (`COMMAND#<command id>#<instance id>`), the cluster CA's state (`PKI`: which generation issues,
 * which are trusted, a CA rotation's phase), one item per CA generation (`CA#<generation>`: its KMS key and
 * certificate), what the primary watch remembers between minutes (`WATCH#<name>`), the audit log
 * (`AUDIT#<time>#<id>`) and, per execution, whether the run reported itself (`REPORTED#<execution ARN>`).
 *
 * {@link KEY_FORMATS} are the templates; the functions fill them. The workflows build the same keys with
 * `States.Format`, which takes these templates verbatim: a template never holds a character `States.Format`
 * would need escaped (`'`, `{`, `}` outside a `{}` placeholder, `\`).
 */

/** The key templates, `{}` for each value, as `States.Format` reads them. */
export const KEY_FORMATS = {
  clusterPk: 'CLUSTER#{}',
  stateSk: 'STATE',
  lockSk: 'LOCK#{}',
  nodeSk: 'NODE#{}',
  gateSk: 'GATE#{}',
  noticeSk: 'NOTICE#{}',
  commandSk: 'COMMAND#{}#{}',
  pkiSk: 'PKI',
  caSk: 'CA#{}',
  watchSk: 'WATCH#{}',
  auditSk: 'AUDIT#{}#{}',
  reportedSk: 'REPORTED#{}',
  routingPk: 'ROUTING#{}',
  routingLeaseSk: 'LEASE',
  switchSk: 'SWITCH#{}',
  readinessSk: 'READINESS#{}',
  pauseSk: 'PAUSE',
} as const;

export type KeyFormat = keyof typeof KEY_FORMATS;

/** A state table key. */
export interface TableKey {
  readonly pk: string;
  readonly sk: string;
}

/**
 * `States.Format`'s substitution: each `{}` in turn takes the next value, and a value is never re-read. Like
 * `States.Format`, it refuses a count of values that does not match the template's placeholders.
 */
export function fill(template: string, ...values: readonly string[]): string {
  const parts = template.split('{}');
  if (parts.length !== values.length + 1) {
    throw new Error(`key template ${template} takes ${parts.length - 1} value(s), got ${values.length}`);
  }
  return parts.reduce((out, part, i) => `${out}${values[i - 1]}${part}`);
}

/** `CLUSTER#<cluster>`: the partition of everything the control plane records about one cluster. */
export const clusterPk = (cluster: string): string => fill(KEY_FORMATS.clusterPk, cluster);

/** `LOCK#<name>`: a lease (`join`, `cluster`). */
export const lockSk = (name: string): string => fill(KEY_FORMATS.lockSk, name);

/** `NODE#<instance id>`: what node-bootstrap recorded about one node. */
export const nodeSk = (instanceId: string): string => fill(KEY_FORMATS.nodeSk, instanceId);

/** The prefix every node item's sort key starts with (`NODE#`): a Query over the cluster's node records. */
export const NODE_SK_PREFIX = nodeSk('');

/** The instance id a node item's sort key names, or undefined for any other item. */
export const instanceOfNodeSk = (sk: string): string | undefined =>
  sk.startsWith(NODE_SK_PREFIX) && sk.length > NODE_SK_PREFIX.length
    ? sk.slice(NODE_SK_PREFIX.length)
    : undefined;

/** `GATE#<action>`: the anti-flapping record of one automatic action (e.g. `primary-failover`). */
export const gateSk = (action: string): string => fill(KEY_FORMATS.gateSk, action);

/** `NOTICE#<finding>`: the last sighting of one kind of incident while automation is paused. */
export const noticeSk = (finding: string): string => fill(KEY_FORMATS.noticeSk, finding);

/**
 * `COMMAND#<command id>#<instance id>`: where node-command's wait (its task token) and SSM's status event for
 * one command invocation meet.
 */
export const commandSk = (commandId: string, instanceId: string): string =>
  fill(KEY_FORMATS.commandSk, commandId, instanceId);

/** `CA#<generation>`: one generation of the cluster CA (its KMS key ARN and self-signed certificate). */
export const caSk = (generation: number): string => fill(KEY_FORMATS.caSk, String(generation));

/**
 * `AUDIT#<time>#<id>`: one audit entry. The time is written as ISO-8601 UTC with milliseconds, so entries
 * sort by time; `id` (an event id, an execution name) makes it one entry per event or run.
 */
export const auditSk = (at: string | number | Date, id: string): string =>
  fill(KEY_FORMATS.auditSk, new Date(at).toISOString(), id);

/** The cluster's `STATE` item: epoch, phase, owner of the epoch, recorded primary and candidate. */
export const stateKey = (cluster: string): TableKey => ({ pk: clusterPk(cluster), sk: KEY_FORMATS.stateSk });

/** A lease's item. */
export const lockKey = (cluster: string, name: string): TableKey => ({
  pk: clusterPk(cluster),
  sk: lockSk(name),
});

/** A node's item. */
export const nodeKey = (cluster: string, instanceId: string): TableKey => ({
  pk: clusterPk(cluster),
  sk: nodeSk(instanceId),
});

/** An action's gate item. */
export const gateKey = (cluster: string, action: string): TableKey => ({
  pk: clusterPk(cluster),
  sk: gateSk(action),
});

/** A paused-incident notice record's item. */
export const noticeKey = (cluster: string, finding: string): TableKey => ({
  pk: clusterPk(cluster),
  sk: noticeSk(finding),
});

/** A command invocation's rendezvous item (see {@link commandSk}). */
export const commandKey = (cluster: string, commandId: string, instanceId: string): TableKey => ({
  pk: clusterPk(cluster),
  sk: commandSk(commandId, instanceId),
});

/** The cluster's PKI item: the issuing CA generation, the trusted ones, and a CA rotation in progress. */
export const pkiKey = (cluster: string): TableKey => ({ pk: clusterPk(cluster), sk: KEY_FORMATS.pkiSk });

/** One CA generation's item (see {@link caSk}). */
export const caKey = (cluster: string, generation: number): TableKey => ({
  pk: clusterPk(cluster),
  sk: caSk(generation),
});

/** `WATCH#<name>`: what the primary watch remembers between minutes (`primary-restart`: a planned restart). */
export const watchKey = (cluster: string, name: string): TableKey => ({
  pk: clusterPk(cluster),
  sk: fill(KEY_FORMATS.watchSk, name),
});

/** The prefix every audit entry's sort key starts with (`AUDIT#`): the trail is one Query from it. */
export const AUDIT_SK_PREFIX = KEY_FORMATS.auditSk.split('{}')[0] as string;

/** An audit entry's key (see {@link auditSk}). */
export const auditKey = (cluster: string, at: string | number | Date, id: string): TableKey => ({
  pk: clusterPk(cluster),
  sk: auditSk(at, id),
});

/**
 * `REPORTED#<execution ARN>`: one run's report marker (issue 15). The report Lambda's normal path sets
 * `reportedAt` when the run told the operator what it had to; the run-status path claims `endedStatus` on the
 * same item (conditional), so a run that ended FAILED, TIMED_OUT or ABORTED without reporting itself is
 * notified once, and a duplicate status event changes nothing. Keyed by the whole ARN: execution names are
 * unique per state machine only.
 */
export const reportedKey = (cluster: string, executionArn: string): TableKey => ({
  pk: clusterPk(cluster),
  sk: fill(KEY_FORMATS.reportedSk, executionArn),
});

/**
 * The routing table (one per region plus the witness: infra/stacks/names.ts `routingTableName`) holds one
 * partition per cluster, `ROUTING#<cluster>`: the routing lease and epoch (`LEASE`), each region's switch as the
 * control plane last set it (`SWITCH#<region>`), each region's last readiness evaluation (`READINESS#<region>`)
 * and the regional-failover gate (`GATE#regional-failover`).
 */
export const routingPk = (cluster: string): string => fill(KEY_FORMATS.routingPk, cluster);

/** The routing lease's item (holder, epoch, expiry) in one routing table. */
export const routingLeaseKey = (cluster: string): TableKey => ({
  pk: routingPk(cluster),
  sk: KEY_FORMATS.routingLeaseSk,
});

/** Region `region`'s switch record in one routing table. */
export const switchKey = (cluster: string, region: string): TableKey => ({
  pk: routingPk(cluster),
  sk: fill(KEY_FORMATS.switchSk, region),
});

/** Region `region`'s last readiness evaluation in one routing table. */
export const readinessKey = (cluster: string, region: string): TableKey => ({
  pk: routingPk(cluster),
  sk: fill(KEY_FORMATS.readinessSk, region),
});

/** The regional-failover gate (cooldown, daily budget) in one routing table. */
export const routingGateKey = (cluster: string): TableKey => ({
  pk: routingPk(cluster),
  sk: gateSk('regional-failover'),
});

/**
 * The global pause (issue 15): one item per routing table, the same in every voter's copy (written to every
 * voter, a majority needed; read from the local copy). `paused`, `reason`, `actor`, `changedAt` (epoch ms),
 * `version` (raised by one on every change), `remindedAt` (epoch ms of the last reminder).
 */
export const pauseKey = (cluster: string): TableKey => ({
  pk: routingPk(cluster),
  sk: KEY_FORMATS.pauseSk,
});
