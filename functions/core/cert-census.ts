/**
 * The daily census's look at what the nodes serve (issue 13, item 5: "a node … whose served certificate
 * differs from the record"), pure: which peer probes which nodes in which batches, what one batch's
 * ProbeServedCertificate printed, and what the plan reads of it. The certs Lambda's `census` and `served` ops
 * hand the facts to these functions; `planRotation` (./cert-rotation.ts) compares them with the records.
 */

/**
 * Targets per ProbeServedCertificate command: equal to the document's `PROBE_TARGETS_MAX`
 * (infra/ssm-documents/index.ts; a unit test checks both agree). 25 targets cost at most 500 s of connect
 * bounds and print about 9,000 characters, under the 24,000 GetCommandInvocation returns.
 */
export const PROBE_BATCH = 25;

/** What the census's probe saw of one node, both ports together. */
export interface ServedSeen {
  readonly ip: string;
  /** The distinct fingerprints the ports served (empty: no port answered). */
  readonly fingerprints: readonly string[];
  /** The earliest notAfter served, ISO, or null. */
  readonly notAfter: string | null;
  /** Why the peer did not verify a port that answered (openssl's reason), or null. */
  readonly error: string | null;
}

/** The census's probe: one peer, the targets in batches of at most {@link PROBE_BATCH} (comma-separated). */
export interface CensusProbe {
  readonly peer: string | null;
  readonly batches: readonly { readonly targets: string }[];
  /** Why there is no probe (no serving peer, or a run that does not renew), null when there is one. */
  readonly skipped: string | null;
}

/**
 * The probe of a renewal run: from the first serving node (by id) over every InService node with an IP,
 * itself included.
 */
export function censusProbe(
  nodes: readonly {
    readonly instanceId: string;
    readonly ip: string | undefined;
    readonly lifecycleState: string;
    readonly target: string;
  }[],
): CensusProbe {
  const sorted = [...nodes].sort((a, b) => (a.instanceId < b.instanceId ? -1 : 1));
  const peer = sorted.find(
    (n) => n.lifecycleState === 'InService' && n.target === 'healthy' && n.ip !== undefined,
  );
  if (peer === undefined) return { peer: null, batches: [], skipped: 'no serving node to probe from' };
  const ips = sorted
    .filter((n) => n.lifecycleState === 'InService' && n.ip !== undefined)
    .map((n) => n.ip as string);
  const batches: { targets: string }[] = [];
  for (let i = 0; i < ips.length; i += PROBE_BATCH) {
    batches.push({ targets: ips.slice(i, i + PROBE_BATCH).join(',') });
  }
  return { peer: peer.instanceId, batches, skipped: null };
}

/** A probe's output that is not what was asked: the census does not guess from it. */
export class ProbeOutputInvalid extends Error {
  override readonly name = 'ProbeOutputInvalid';
}

interface PortLine {
  readonly port: number;
  readonly fingerprint: string | null;
  readonly verified: boolean;
  readonly notAfter: string | null;
  readonly error: string | null;
}

const FINGERPRINT = /^[0-9a-f]{64}$/;

function portOf(raw: unknown, where: string): PortLine {
  const p = raw as Partial<PortLine> | null;
  const ok =
    p !== null &&
    typeof p === 'object' &&
    Number.isInteger(p.port) &&
    (p.fingerprint === null || (typeof p.fingerprint === 'string' && FINGERPRINT.test(p.fingerprint))) &&
    typeof p.verified === 'boolean' &&
    (p.notAfter === null || (typeof p.notAfter === 'string' && Number.isFinite(Date.parse(p.notAfter)))) &&
    (p.error === null || typeof p.error === 'string');
  if (!ok)
    throw new ProbeOutputInvalid(`${where}: a port is not {port, fingerprint, verified, notAfter, error}`);
  return p as PortLine;
}

/**
 * One batch's stdout (one JSON line per target, in the order asked) read into what the census needs. Every
 * target asked must have exactly one line and no other target may appear; anything else is refused.
 */
export function readProbeBatch(stdout: string, targets: string): ServedSeen[] {
  const asked = targets.split(',').filter((t) => t !== '');
  if (asked.length === 0) throw new ProbeOutputInvalid('no targets were asked');
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const seen = new Map<string, ServedSeen>();
  for (const [i, line] of lines.entries()) {
    let parsed: { target?: unknown; ports?: unknown };
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new ProbeOutputInvalid(`line ${i + 1} is not JSON`);
    }
    const target = parsed?.target;
    if (typeof target !== 'string' || !asked.includes(target)) {
      throw new ProbeOutputInvalid(`line ${i + 1} answers for ${String(target)}, which was not asked`);
    }
    if (seen.has(target)) throw new ProbeOutputInvalid(`${target} answered twice`);
    if (!Array.isArray(parsed.ports) || parsed.ports.length === 0) {
      throw new ProbeOutputInvalid(`${target}: no ports`);
    }
    const ports = parsed.ports.map((p) => portOf(p, target));
    const answered = ports.filter((p) => p.fingerprint !== null);
    const afters = answered.map((p) => p.notAfter).filter((a): a is string => a !== null);
    afters.sort((a, b) => Date.parse(a) - Date.parse(b));
    const failed = answered.find((p) => !p.verified);
    seen.set(target, {
      ip: target,
      fingerprints: [...new Set(answered.map((p) => p.fingerprint as string))],
      notAfter: afters[0] ?? null,
      error: failed ? `${failed.port}: ${failed.error ?? 'not verified'}` : null,
    });
  }
  const missing = asked.filter((t) => !seen.has(t));
  if (missing.length > 0) throw new ProbeOutputInvalid(`no line for ${missing.join(', ')}`);
  return asked.map((t) => seen.get(t) as ServedSeen);
}

/**
 * What the plan compares with a node's record: the served fingerprint (the one that differs from the record
 * when the ports disagree), its notAfter and the peer's error; undefined when no port answered.
 */
export function servedState(
  seen: ServedSeen | undefined,
  recorded: string | undefined,
): { served: string; servedNotAfter?: string; servedError?: string } | undefined {
  if (seen === undefined || seen.fingerprints.length === 0) return undefined;
  const served = seen.fingerprints.find((f) => f !== recorded) ?? (seen.fingerprints[0] as string);
  return {
    served,
    ...(seen.notAfter !== null ? { servedNotAfter: seen.notAfter } : {}),
    ...(seen.error !== null ? { servedError: seen.error } : {}),
  };
}
