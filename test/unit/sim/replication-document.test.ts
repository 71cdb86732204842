import { replicationCheck } from '../../../functions/core/regional-readiness';
import type { DocumentEffect } from '../../../sim/core/contracts';
import { Rng } from '../../../sim/core/rng';
import { replicationStatusOf } from '../../../sim/services/artifactory';
import { readReplicationStatus } from '../../../sim/services/replication-document';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const TOKEN = 'tok_0123456789abcdefABCDEF';
type Args = Parameters<DocumentEffect>[0];

function args(
  over: { ready?: boolean; reachable?: boolean; lag?: number; secret?: string } = {},
  params = {},
) {
  const secrets: Record<string, string> = { 'prod/replication-token': over.secret ?? TOKEN };
  return {
    instance: { node: { ready: () => over.ready ?? true }, reachable: over.reachable ?? true },
    parameters: { RepoKeys: ['libs,docker'], TokenSecretId: ['prod/replication-token'], ...params },
    region: { name: 'eu-west-1', secretsmanager: { valueOf: (id: string) => secrets[id] } },
    clock: { sleep: async () => undefined, now: () => NOW },
    rng: new Rng(1),
    faults: { replicationLagMinutes: (r: string) => (r === 'eu-west-1' ? (over.lag ?? 0) : 99) },
  } as unknown as Args;
}

describe("the twin's ReadReplicationStatus", () => {
  it("answers each repository with the region's injected lag as its last completed replication", async () => {
    const out = await readReplicationStatus(args({ lag: 90 }));
    expect(out.status).toBe('Success');
    const lastCompleted = new Date(NOW - 90 * 60_000).toISOString();
    expect(out.stdout).toBe(
      `${JSON.stringify({ repo: 'libs', status: 'ok', lastCompleted })}\n${JSON.stringify({ repo: 'docker', status: 'ok', lastCompleted })}\n`,
    );
    expect(out.stdout).not.toContain(TOKEN);
    const check = replicationCheck(['libs', 'docker'], { output: out.stdout }, 60, NOW);
    expect(check.check).toMatchObject({ ok: false, detail: expect.stringContaining('90 min behind') });
    const fresh = await readReplicationStatus(args());
    expect(replicationCheck(['libs'], { output: fresh.stdout }, 60, NOW).check.ok).toBe(true);
  });

  it('answers nothing for a node that is not ready or not reachable (curl reads no status)', async () => {
    for (const over of [{ ready: false }, { reachable: false }]) {
      const out = await readReplicationStatus(args(over));
      expect(out.stdout.split('\n')[0]).toBe('{"repo":"libs","error":"http 0"}');
    }
    expect(replicationStatusOf({ ready: () => true }, true, 0, NOW)).toEqual({
      status: 'ok',
      lastCompleted: new Date(NOW).toISOString(),
    });
  });

  it('fails without the secret, or with one that holds no token, printing neither', async () => {
    const missing = await readReplicationStatus(args({}, { TokenSecretId: ['prod/other'] }));
    expect(missing).toMatchObject({ status: 'Failed', stdout: '', responseCode: 254 });
    const bad = await readReplicationStatus(args({ secret: 'x y' }));
    expect(bad).toMatchObject({ status: 'Failed', stdout: '' });
    expect(bad.stderr).not.toContain('x y');
  });

  it('refuses bad parameters with exit 2', async () => {
    for (const params of [{ RepoKeys: ['a;b'] }, { RepoKeys: [''] }, { TokenSecretId: ['x$(id)'] }]) {
      expect(await readReplicationStatus(args({}, params))).toMatchObject({
        status: 'Failed',
        responseCode: 2,
      });
    }
  });
});
