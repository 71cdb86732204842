/**
 * ReadReplicationStatus on a stub node (JFROG_HOME in a temp dir; curl, aws and instance metadata stubbed), as
 * SSM Agent runs it: the token fetched on the node and handed to curl in a header file, never in an argument
 * or the output; one JSON line per repository; bad parameters refused before anything runs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseReplicationOutput, replicationCheck } from '../../functions/core/regional-readiness';
import {
  clusterDocumentParameters,
  clusterReplicationTokenSecretId,
  documentCommands,
  documentParameters,
} from '../../infra/ssm-documents';

const TOKEN = 'cmVmdGtuOjAxOjE3NjQ2MjAwMDA6c2VjcmV0';
const DONE = '2026-06-01T11:50:00.000Z';

/** curl: instance metadata, and the replication API answering per repository (logging its arguments). */
const CURL = `
out=/dev/null; header=''; url=''
while (($#)); do
  case $1 in
    -o) out=$2; shift ;;
    -H) header=$2; shift ;;
    -w|--max-time|--max-filesize|--cacert|-X) shift ;;
    -*) ;;
    *) url=$1 ;;
  esac
  shift
done
printf '%s\\n' "$url $header" >>"$STUB_LOG"
case $url in
  *api/token) echo imds-token; exit 0 ;;
  *placement/region) echo eu-west-1; exit 0 ;;
esac
[[ $header == @* ]] && grep -qx 'Authorization: Bearer ${TOKEN}' "\${header#@}" || { printf 401; exit 0; }
case $url in
  */api/replication/libs-release-local)
    printf '{"status" : "ok", "lastCompleted" : "${DONE}", "targets" : [ {"status":"error","lastCompleted":null} ]}' >"$out"; printf 200 ;;
  */api/replication/never) printf '{"status":"never_run","lastCompleted":null}' >"$out"; printf 200 ;;
  */api/replication/odd) printf '{"status":"ok\\\\"; rm -rf /","lastCompleted":"x"}' >"$out"; printf 200 ;;
  */api/replication/docker-local) printf '{"errors":[{"status":404}]}' >"$out"; printf 404 ;;
  *) exit 7 ;;
esac`;

const AWS = `case "$*" in
  *"--secret-id artifactory-prod/replication-token "*) echo ${TOKEN} ;;
  *"--secret-id artifactory-prod/short "*) echo abc ;;
  *) echo "An error occurred (ResourceNotFoundException) when calling the GetSecretValue operation" >&2; exit 254 ;;
esac`;

function node() {
  const root = mkdtempSync(path.join(tmpdir(), 'jfrog-repl-'));
  const bin = path.join(root, 'bin');
  spawnSync('mkdir', ['-p', path.join(root, 'artifactory/var/etc'), bin]);
  writeFileSync(path.join(bin, 'curl'), `#!/usr/bin/env bash\n${CURL}\n`, { mode: 0o755 });
  writeFileSync(path.join(bin, 'aws'), `#!/usr/bin/env bash\n${AWS}\n`, { mode: 0o755 });
  const log = path.join(root, 'calls.log');
  const run = (sent: Record<string, string>) => {
    const declared = documentParameters('readReplicationStatus');
    const commands = documentCommands('readReplicationStatus')
      .map((line) =>
        line.replace(/\{\{ (\w+) \}\}/g, (_, name: string) => {
          const spec = declared[name];
          const value = sent[name];
          if (spec === undefined || value === undefined) throw new Error(`${name} is required`);
          return value;
        }),
      )
      .join('\n')
      .replace(/^(\s*)readonly JFROG_HOME=\/opt\/jfrog$/m, `$1readonly JFROG_HOME=${root}`);
    const out = spawnSync('bash', ['-s'], {
      input: commands,
      encoding: 'utf8',
      env: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, STUB_LOG: log, TMPDIR: root },
    });
    return { status: out.status, stdout: out.stdout, stderr: out.stderr };
  };
  const calls = () => readFileSync(log, 'utf8');
  return { root, run, calls };
}

const SECRET = clusterReplicationTokenSecretId('artifactory-prod');

describe('ReadReplicationStatus on a stub node', () => {
  it('prints one JSON line per repository: the top-level status, errors by HTTP status', () => {
    const { run, calls } = node();
    const out = run({ RepoKeys: 'libs-release-local,docker-local,never,odd', TokenSecretId: SECRET });
    expect(out).toMatchObject({ status: 0, stderr: '' });
    expect(parseReplicationOutput(out.stdout)).toEqual([
      { repo: 'libs-release-local', status: 'ok', lastCompleted: DONE },
      { repo: 'docker-local', error: 'http 404' },
      { repo: 'never', status: 'never_run', lastCompleted: null },
      // A status that is not a plain word never reaches the output.
      { repo: 'odd', error: 'no status in the answer' },
    ]);
    expect(calls()).toContain('http://localhost:8082/artifactory/api/replication/libs-release-local @');
    // The token is in no argument and no output.
    expect(calls()).not.toContain(TOKEN);
    expect(`${out.stdout}${out.stderr}`).not.toContain(TOKEN);
  });

  it("feeds the routing Lambda's replication check", () => {
    const { run } = node();
    const out = run({ RepoKeys: 'libs-release-local', TokenSecretId: SECRET });
    const now = Date.parse(DONE) + 15 * 60_000;
    expect(replicationCheck(['libs-release-local'], { output: out.stdout }, 60, now)).toMatchObject({
      check: { ok: true },
      lagMinutes: 15,
    });
  });

  it('leaves no header file behind, and fails on a missing or malformed token without printing it', () => {
    const { root, run } = node();
    expect(run({ RepoKeys: 'libs-release-local', TokenSecretId: SECRET }).status).toBe(0);
    expect(readdirSync(root).sort()).toEqual(['artifactory', 'bin', 'calls.log']);
    const missing = run({ RepoKeys: 'libs-release-local', TokenSecretId: 'artifactory-prod/nope' });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('ResourceNotFoundException');
    expect(missing.stdout).toBe('');
    const short = run({ RepoKeys: 'libs-release-local', TokenSecretId: 'artifactory-prod/short' });
    expect(short.status).not.toBe(0);
    expect(short.stderr).toContain('does not hold an access token');
    expect(short.stderr).not.toContain('abc');
  });

  it('refuses bad parameters with exit 2 before fetching anything', () => {
    for (const [name, bad] of [
      ['RepoKeys', 'libs;id'],
      ['RepoKeys', Array.from({ length: 21 }, (_, i) => `r${i}`).join(',')],
      ['TokenSecretId', 'x$(id)'],
    ] as const) {
      const { run } = node();
      const out = run({ RepoKeys: 'libs-release-local', TokenSecretId: SECRET, [name]: bad });
      expect(out).toMatchObject({ status: 2, stdout: '' });
      expect(out.stderr).not.toContain(bad);
    }
  });

  it('admits only the cluster token secret when deployed', () => {
    const p = clusterDocumentParameters('readReplicationStatus', 'artifactory-prod').TokenSecretId;
    expect(p?.allowedValues).toEqual(['artifactory-prod/replication-token']);
    expect(new RegExp(p?.allowedPattern ?? '').test('artifactory-prod/master-key')).toBe(false);
  });
});
