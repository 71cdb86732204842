/**
 * Readiness: could a region take the traffic of another? Four checks, the same ones the scheduled readiness
 * evaluation records (`READINESS#<region>`) and an evacuation's plan reads back: capacity (healthy nodes vs what
 * the other region served), a primary (legacy) or enough task nodes (cloud-native), certificates valid beyond N
 * days, replication within a lag (Artifactory's `GET /artifactory/api/replication/{repoKey}`, read on the node
 * by the ReadReplicationStatus document). Pure: the routing Lambda gathers the facts.
 */

export interface Check {
  readonly name: string;
  readonly region?: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** One repository's replication status as the ReadReplicationStatus document prints it (one JSON line each). */
export interface ReplicationLine {
  readonly repo: string;
  /** Artifactory's status: `ok`, `inprogress`, `never_run`, `incomplete`, `error`, `warn`, … */
  readonly status?: string;
  /** ISO 8601, or null when it never completed. */
  readonly lastCompleted?: string | null;
  /** Why the node could not read it (HTTP status, curl failure). */
  readonly error?: string;
}

/** Statuses under which a repository's last completed replication still counts (JFrog REST API). */
const USABLE_STATUSES: ReadonlySet<string> = new Set(['ok', 'inprogress', 'warn']);

/**
 * Parse the document's standard output: one JSON object per non-empty line, each naming its repository. A line
 * that is not such an object makes the whole output unreadable (the error names the line number, never its
 * text).
 */
export function parseReplicationOutput(output: string): ReplicationLine[] {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return lines.map((line, i) => {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new Error(`replication output line ${i + 1} is not JSON`);
    }
    const o = v as Record<string, unknown>;
    if (typeof v !== 'object' || v === null || typeof o.repo !== 'string' || o.repo === '')
      throw new Error(`replication output line ${i + 1} names no repository`);
    if (o.status !== undefined && typeof o.status !== 'string')
      throw new Error(`replication output line ${i + 1}: status is not a string`);
    if (o.lastCompleted !== undefined && o.lastCompleted !== null && typeof o.lastCompleted !== 'string')
      throw new Error(`replication output line ${i + 1}: lastCompleted is not a string`);
    if (o.error !== undefined && typeof o.error !== 'string')
      throw new Error(`replication output line ${i + 1}: error is not a string`);
    return {
      repo: o.repo,
      ...(o.status === undefined ? {} : { status: o.status as string }),
      ...(o.lastCompleted === undefined ? {} : { lastCompleted: o.lastCompleted as string | null }),
      ...(o.error === undefined ? {} : { error: o.error as string }),
    };
  });
}

/**
 * The replication check from the document's lines: every configured repository must be reported, readable,
 * in a usable status, and completed within `maxLagMinutes`. The lag is the worst repository's (minutes since
 * its last completed replication). No repositories configured: the check passes and says it was skipped.
 */
export function replicationCheck(
  repos: readonly string[],
  result: { readonly output: string } | { readonly error: string } | undefined,
  maxLagMinutes: number,
  now: number,
): { readonly check: Check; readonly lagMinutes: number | undefined } {
  if (repos.length === 0)
    return {
      check: { name: 'replication', ok: true, detail: 'skipped: no repositories' },
      lagMinutes: undefined,
    };
  if (result === undefined)
    return {
      check: { name: 'replication', ok: false, detail: 'replication status was not read' },
      lagMinutes: undefined,
    };
  if ('error' in result)
    return {
      check: { name: 'replication', ok: false, detail: `replication status not read: ${result.error}` },
      lagMinutes: undefined,
    };
  let lines: ReplicationLine[];
  try {
    lines = parseReplicationOutput(result.output);
  } catch (err) {
    return {
      check: { name: 'replication', ok: false, detail: (err as Error).message },
      lagMinutes: undefined,
    };
  }
  const problems: string[] = [];
  let worst = 0;
  for (const repo of repos) {
    const line = lines.find((l) => l.repo === repo);
    if (line === undefined) {
      problems.push(`${repo}: not reported`);
      continue;
    }
    if (line.error !== undefined) {
      problems.push(`${repo}: ${line.error}`);
      continue;
    }
    if (line.status === undefined || !USABLE_STATUSES.has(line.status)) {
      problems.push(`${repo}: status ${line.status ?? 'missing'}`);
      continue;
    }
    const done = line.lastCompleted == null ? Number.NaN : Date.parse(line.lastCompleted);
    if (!Number.isFinite(done)) {
      problems.push(`${repo}: never completed`);
      continue;
    }
    const lag = Math.max(0, Math.floor((now - done) / 60_000));
    worst = Math.max(worst, lag);
    if (lag > maxLagMinutes) problems.push(`${repo}: ${lag} min behind (max ${maxLagMinutes})`);
  }
  const lagMinutes = problems.length === 0 ? worst : undefined;
  return {
    check: {
      name: 'replication',
      ok: problems.length === 0,
      detail:
        problems.length === 0
          ? `${repos.length} repositor${repos.length === 1 ? 'y' : 'ies'} within ${maxLagMinutes} min (worst ${worst} min)`
          : problems.join('; '),
    },
    lagMinutes,
  };
}

/** The certificates check: the earliest node certificate must be valid beyond `minDays`. */
export function certificateCheck(
  notAfters: readonly string[],
  minDays: number,
  now: number,
): { readonly check: Check; readonly daysLeft: number | undefined } {
  const times = notAfters.map((t) => Date.parse(t)).filter((t) => Number.isFinite(t));
  if (times.length === 0)
    return {
      check: { name: 'certificates', ok: false, detail: 'no node certificate recorded' },
      daysLeft: undefined,
    };
  const daysLeft = Math.floor((Math.min(...times) - now) / 86_400_000);
  return {
    check: {
      name: 'certificates',
      ok: daysLeft >= minDays,
      detail: `earliest node certificate expires in ${daysLeft} day(s) (need ${minDays})`,
    },
    daysLeft,
  };
}

/**
 * The capacity check: `healthy` nodes must be at least `share` × `needed` (what the other region served).
 * Nothing to compare with (`needed` 0 or unknown): passes when the region has a healthy node.
 */
export function capacityCheck(healthy: number, needed: number | undefined, share: number): Check {
  if (needed === undefined || needed <= 0)
    return {
      name: 'capacity',
      ok: healthy >= 1,
      detail: `${healthy} healthy node(s); no other region's load recorded to compare with`,
    };
  const want = Math.ceil(share * needed - 1e-9);
  return {
    name: 'capacity',
    ok: healthy >= want,
    detail: `${healthy} healthy node(s) for ${needed} served elsewhere (need ${want} at share ${share})`,
  };
}

/** The primary check: legacy, a healthy primary; cloud-native, at least `minTaskNodes` healthy nodes. */
export function primaryCheck(
  mode: 'legacy-primary' | 'cloud-native',
  facts: { readonly primaryHealthy: boolean; readonly healthyNodes: number },
  minTaskNodes: number,
): Check {
  if (mode === 'legacy-primary')
    return {
      name: 'primary',
      ok: facts.primaryHealthy,
      detail: facts.primaryHealthy ? 'a healthy primary node' : 'no healthy primary node',
    };
  return {
    name: 'primary',
    ok: facts.healthyNodes >= minTaskNodes,
    detail: `${facts.healthyNodes} healthy task node(s) (need ${minTaskNodes})`,
  };
}

/** A region's `READINESS#<region>` record, as the readiness evaluation writes it. */
export interface ReadinessRecord {
  readonly at: string;
  readonly ready: boolean;
  readonly checks: readonly Check[];
  readonly servingNodes: number;
  readonly minCertificateDays?: number | undefined;
  readonly replicationLagMinutes?: number | undefined;
}

/**
 * The recorded checks of a receiving region an evacuation relies on (`certificates`, `replication`), each
 * failing as `stale` when the record is older than 2 × the evaluation period (or missing).
 */
export function recordedChecks(
  region: string,
  record: ReadinessRecord | undefined,
  names: readonly string[],
  evaluationMinutes: number,
  now: number,
): Check[] {
  if (record === undefined)
    return names.map((name) => ({ name, region, ok: false, detail: 'no readiness evaluation recorded' }));
  const age = now - Date.parse(record.at);
  const limit = 2 * evaluationMinutes * 60_000;
  if (!(age <= limit))
    return names.map((name) => ({
      name,
      region,
      ok: false,
      detail: `stale: evaluated ${Number.isFinite(age) ? Math.floor(age / 60_000) : '?'} min ago (limit ${2 * evaluationMinutes} min)`,
    }));
  return names.map((name) => {
    const c = record.checks.find((x) => x.name === name);
    return c === undefined
      ? { name, region, ok: false, detail: 'not in the last readiness evaluation' }
      : { name, region, ok: c.ok, detail: `${c.detail} (evaluated ${record.at})` };
  });
}
