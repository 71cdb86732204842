/** The human view of `hactl status` (the JSON document is StatusDoc as is). */
import type { CliContext } from './context';
import { paint, table } from './output';
import type { RegionStatus, StatusDoc } from './status-read';

function servingText(ctx: CliContext, r: RegionStatus): string {
  if (r.serving === 'serving') return paint(ctx, 'green', 'serving');
  if (r.serving === 'evacuated') return paint(ctx, 'yellow', 'evacuated');
  return paint(ctx, 'red', 'unknown');
}

function region(ctx: CliContext, r: RegionStatus): string[] {
  const head = `${paint(ctx, 'bold', r.region)}  ${servingText(ctx, r)} (switch alarm ${r.switchAlarm}${r.switchRecord?.serving === undefined ? '' : `, record ${r.switchRecord.serving ? 'on' : 'off'}`})`;
  if (r.error) return [head, `  ${paint(ctx, 'red', `cannot read: ${r.error}`)}`];
  const lines = [head];
  lines.push(
    r.primary
      ? `  primary ${r.primary}  epoch ${r.epoch ?? '-'}${r.phase ? ` (${r.phase})` : ''}`
      : `  no primary recorded${r.epoch === null ? '' : `  epoch ${r.epoch}${r.phase ? ` (${r.phase})` : ''}`}`,
  );
  if (r.nodes.length > 0) {
    const body = table(
      ['NODE', 'GROUP', 'ROLE', 'READINESS', 'TARGET', 'CERT EXPIRES'],
      r.nodes.map((n) => [
        n.instanceId,
        n.group,
        n.role,
        n.readiness.startsWith('InService/Healthy') ? n.readiness : paint(ctx, 'yellow', n.readiness),
        n.targetHealth === 'healthy' ? paint(ctx, 'green', n.targetHealth) : n.targetHealth,
        n.certExpiry ?? '-',
      ]),
    );
    lines.push(...body.split('\n').map((l) => `  ${l}`));
  } else lines.push('  no nodes');
  lines.push(
    r.locks.length === 0
      ? '  locks: none held'
      : `  locks: ${r.locks.map((l) => `${l.name} by ${l.holder} until ${l.expiresAt}${l.expired ? ' (expired)' : ''}`).join('; ')}`,
  );
  const gates = r.gates.map(
    (g) =>
      `${g.action}: ${g.cooldownUntil ? `cooldown until ${g.cooldownUntil}` : 'no cooldown'}, budget left ${g.budgetLeft ?? '-'}`,
  );
  lines.push(`  gate: ${gates.length === 0 ? 'no election yet' : gates.join('; ')}`);
  const p = r.pause;
  const pause =
    p.paused === null
      ? 'unknown'
      : p.paused
        ? paint(ctx, 'yellow', `PAUSED${p.actor ? ` by ${p.actor}` : ''}${p.reason ? `: ${p.reason}` : ''}`)
        : 'off';
  lines.push(
    `  pause: ${pause}${p.effective === true && p.paused === false ? ' (automation disabled in the config)' : ''}`,
  );
  if (r.lastRuns.length === 0) lines.push('  last runs: none');
  else {
    lines.push('  last runs:');
    const body = table(
      ['WORKFLOW', 'RUN', 'STATUS', 'STARTED'],
      r.lastRuns.map((l) => [
        l.workflow,
        l.name,
        paint(ctx, l.status === 'SUCCEEDED' ? 'green' : l.status === 'RUNNING' ? 'blue' : 'red', l.status),
        l.startedAt,
      ]),
    );
    lines.push(...body.split('\n').map((l) => `    ${l}`));
  }
  return lines;
}

export function renderStatus(ctx: CliContext, doc: StatusDoc): string {
  return [`cluster ${doc.cluster} at ${doc.at}`, ...doc.regions.flatMap((r) => ['', ...region(ctx, r)])].join(
    '\n',
  );
}
