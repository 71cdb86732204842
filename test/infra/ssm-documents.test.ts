import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { parse as parseYaml } from 'yaml';
import {
  DOCUMENT_KINDS,
  DOCUMENTS,
  type DocumentKind,
  documentContent,
  documentName,
  documentParameters,
  headerLines,
  scriptPath,
} from '../../infra/ssm-documents';
import { ProjectDocuments } from '../../infra/ssm-documents/construct';
import { testApp } from './helpers';

const CLUSTER = 'artifactory-prod';
const script = (kind: DocumentKind) => readFileSync(scriptPath(kind), 'utf8');

function fixture() {
  const stack = new Stack(testApp(), 'Docs', { env: { account: '111122223333', region: 'eu-west-1' } });
  const docs = new ProjectDocuments(stack, 'Documents', { cluster: CLUSTER });
  return { stack, docs, template: Template.fromStack(stack) };
}

/** Runs bash with a script on stdin and the given environment (PATH kept). */
function bash(source: string, env: Record<string, string> = {}, args: string[] = []) {
  const out = spawnSync('bash', ['-s', '--', ...args], {
    input: source,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
  });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

/** A function's definition in a script, from `name() {` to the closing `}` at column 0. */
function shellFunction(source: string, name: string): string {
  const m = new RegExp(`^${name}\\(\\) \\{\\n[\\s\\S]*?^\\}$`, 'm').exec(source);
  if (!m) throw new Error(`no function ${name}`);
  return m[0];
}

describe('ProjectDocuments', () => {
  it('creates the six Command documents, named per cluster, updated in place as new versions', () => {
    const { template } = fixture();
    template.resourceCountIs('AWS::SSM::Document', 6);
    for (const suffix of [
      'ConfigureNode',
      'StartArtifactory',
      'StopArtifactory',
      'ProbeReadiness',
      'PromotePrimary',
      'DemotePrimary',
    ]) {
      template.hasResourceProperties('AWS::SSM::Document', {
        Name: `${CLUSTER}-${suffix}`,
        DocumentType: 'Command',
        DocumentFormat: 'JSON',
        UpdateMethod: 'NewVersion',
        Content: Match.objectLike({
          schemaVersion: '2.2',
          mainSteps: [
            Match.objectLike({
              action: 'aws:runShellScript',
              name: suffix,
              inputs: Match.objectLike({ runCommand: Match.anyValue() }),
            }),
          ],
        }),
      });
    }
  });

  it('declares each parameter as a String with an allowedPattern, and defaults only where optional', () => {
    const { template } = fixture();
    template.hasResourceProperties('AWS::SSM::Document', {
      Name: `${CLUSTER}-ConfigureNode`,
      Content: Match.objectLike({
        parameters: {
          Role: Match.objectLike({ type: 'String', allowedPattern: '^(primary|member)$' }),
          TaskAffinity: Match.objectLike({ type: 'String', allowedPattern: '^(any|none)$', default: 'any' }),
          ClusterMode: Match.objectLike({
            type: 'String',
            allowedPattern: '^(legacy-primary|cloud-native)$',
          }),
          NodeId: Match.objectLike({ type: 'String', allowedPattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }),
          MasterKeySecretId: Match.objectLike({
            type: 'String',
            allowedPattern: '^[A-Za-z0-9/_+=.@:-]{1,2048}$',
          }),
          JoinKeySecretId: Match.objectLike({
            type: 'String',
            allowedPattern: '^[A-Za-z0-9/_+=.@:-]{1,2048}$',
          }),
        },
        mainSteps: [Match.objectLike({ inputs: Match.objectLike({ timeoutSeconds: '300' }) })],
      }),
    });
    template.hasResourceProperties('AWS::SSM::Document', {
      Name: `${CLUSTER}-ProbeReadiness`,
      Content: Match.objectLike({
        parameters: {},
        mainSteps: [Match.objectLike({ inputs: Match.objectLike({ timeoutSeconds: '60' }) })],
      }),
    });
    template.hasResourceProperties('AWS::SSM::Document', {
      Name: `${CLUSTER}-PromotePrimary`,
      Content: Match.objectLike({
        parameters: {
          ClusterMode: {
            type: 'String',
            description: Match.anyValue(),
            allowedPattern: '^(legacy-primary|cloud-native)?$',
            default: '',
          },
        },
      }),
    });
    const configure = Object.values(
      template.findResources('AWS::SSM::Document', { Properties: { Name: `${CLUSTER}-ConfigureNode` } }),
    )[0];
    expect(Object.keys(configure?.Properties.Content.parameters ?? {})).toHaveLength(6);
  });

  it('puts {{ }} only in the header lines, right after the shebang, one variable per parameter', () => {
    const { template } = fixture();
    const resources = Object.values(template.findResources('AWS::SSM::Document'));
    expect(resources).toHaveLength(6);
    for (const r of resources) {
      const content = r.Properties.Content as ReturnType<typeof documentContent>;
      const commands = content.mainSteps[0].inputs.runCommand;
      const headerCount = Object.keys(content.parameters).length;
      expect(commands[0]).toBe('#!/usr/bin/env bash');
      const header = commands.slice(1, 1 + headerCount);
      for (const [i, line] of header.entries()) {
        const name = Object.keys(content.parameters)[i];
        expect(line).toMatch(new RegExp(`^[A-Z][A-Z_]*='\\{\\{ ${name} \\}\\}'$`));
      }
      const rest = [commands[0] ?? '', ...commands.slice(1 + headerCount)];
      expect(rest.filter((l) => l.includes('{{'))).toEqual([]);
      expect(rest.join('\n')).toContain('set -euo pipefail');
    }
  });

  it('exposes names and ARNs (arn:<partition>:ssm:<region>:<account>:document/<name>)', () => {
    const { stack, docs } = fixture();
    expect(docs.names).toEqual(Object.fromEntries(DOCUMENT_KINDS.map((k) => [k, documentName(CLUSTER, k)])));
    expect(docs.names.configureNode).toBe(`${CLUSTER}-ConfigureNode`);
    expect(stack.resolve(docs.arns.probeReadiness)).toEqual({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, `:ssm:eu-west-1:111122223333:document/${CLUSTER}-ProbeReadiness`],
      ],
    });
  });
});

describe('document definitions', () => {
  it('declare exactly the parameters node-bootstrap sends to ConfigureNode', () => {
    const asl = JSON.parse(
      readFileSync(path.resolve(__dirname, '../../statemachines/node-bootstrap.asl.json'), 'utf8'),
    ) as { States: Record<string, { Parameters?: { Input?: { document?: string; parameters?: object } } }> };
    const sent = Object.values(asl.States)
      .map((s) => s.Parameters?.Input)
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CDK definitionSubstitutions placeholder
      .find((input) => input?.document === '${ConfigureDocument}')?.parameters;
    expect(sent).toBeDefined();
    const names = Object.keys(sent ?? {}).map((k) => k.replace(/\.\$$/, ''));
    expect(names.sort()).toEqual(Object.keys(documentParameters('configureNode')).sort());
  });

  it('each script validates every parameter with the document allowedPattern', () => {
    for (const kind of DOCUMENT_KINDS) {
      const validated = Object.fromEntries(
        [...script(kind).matchAll(/^require ([A-Z_]+) '([^']+)'$/gm)].map((m) => [m[1], m[2]]),
      );
      const declared = Object.fromEntries(
        Object.values(documentParameters(kind)).map((p) => [p.variable, p.allowedPattern]),
      );
      expect({ kind, validated }).toEqual({ kind, validated: declared });
    }
  });

  it('patterns admit what the workflows send and nothing a shell would interpret', () => {
    const p = documentParameters('configureNode');
    const ok = (name: string, value: string) => new RegExp(p[name]?.allowedPattern ?? '$^').test(value);
    expect(ok('NodeId', 'i-0123456789abcdef0')).toBe(true);
    expect(ok('MasterKeySecretId', 'artifactory-prod/master-key')).toBe(true);
    expect(
      ok(
        'JoinKeySecretId',
        'arn:aws:secretsmanager:eu-west-1:111122223333:secret:artifactory-prod/join-key-AbCdEf',
      ),
    ).toBe(true);
    for (const name of Object.keys(p)) {
      for (const bad of ["x'; id; '", 'x$(id)', 'x`id`', 'x y', 'x\ny', '', 'x"y', 'x\\y', 'x;y', 'x|y']) {
        expect({ name, bad, ok: ok(name, bad) }).toEqual({ name, bad, ok: false });
      }
    }
  });

  it('each script bounds its own waits below the document timeout', () => {
    for (const kind of DOCUMENT_KINDS) {
      for (const m of script(kind).matchAll(/^readonly [A-Z_]+_WAIT_SECONDS=(\d+)$/gm)) {
        expect(Number(m[1])).toBeLessThan(DOCUMENTS[kind].timeoutSeconds);
      }
    }
  });

  it('every document fits the 64 KB SSM limit', () => {
    for (const kind of DOCUMENT_KINDS) {
      expect(Buffer.byteLength(JSON.stringify(documentContent(kind)))).toBeLessThan(64 * 1024);
    }
  });
});

describe('scripts', () => {
  const VALID: Record<string, string> = {
    ROLE: 'member',
    TASK_AFFINITY: 'any',
    CLUSTER_MODE: 'legacy-primary',
    NODE_ID: 'i-0123456789abcdef0',
    MASTER_KEY_SECRET_ID: 'artifactory-prod/master-key',
    JOIN_KEY_SECRET_ID: 'artifactory-prod/join-key',
  };

  it('the header assigns SSM-substituted values verbatim', () => {
    const values: Record<string, string> = {
      Role: 'primary',
      NodeId: 'i-0123456789abcdef0',
      MasterKeySecretId: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:a/b+c=d.e@f-AbCdEf',
    };
    const header = headerLines('configureNode')
      .map((l) => l.replace(/\{\{ (\w+) \}\}/, (_, name: string) => values[name] ?? 'any'))
      .join('\n');
    const out = bash(`${header}\nprintf '%s|%s|%s\\n' "$ROLE" "$NODE_ID" "$MASTER_KEY_SECRET_ID"`);
    expect(out.stdout).toBe(`${values.Role}|${values.NodeId}|${values.MasterKeySecretId}\n`);
  });

  it('reject a bad parameter with exit 2 before doing anything, without echoing it', () => {
    for (const [name, bad] of [
      ['ROLE', 'leader'],
      ['NODE_ID', "i-1'; touch /tmp/pwned; '"],
      ['MASTER_KEY_SECRET_ID', 'x$(id)'],
    ] as const) {
      const out = bash(script('configureNode'), { ...VALID, [name]: bad });
      expect(out).toMatchObject({ status: 2, stdout: '' });
      expect(out.stderr).toContain(`invalid parameter ${name}`);
      expect(out.stderr).not.toContain(bad);
    }
    expect(bash(script('promotePrimary'), { CLUSTER_MODE: 'both' })).toMatchObject({ status: 2 });
  });

  it('share one copy of the system.yaml helpers', () => {
    for (const [fn, kinds] of [
      ['set_node_keys', ['configureNode', 'promotePrimary', 'demotePrimary']],
      ['get_node_key', ['probeReadiness', 'promotePrimary', 'demotePrimary']],
      ['require', ['configureNode', 'promotePrimary', 'demotePrimary']],
    ] as const) {
      const copies = new Set(kinds.map((k) => shellFunction(script(k), fn)));
      expect({ fn, copies: copies.size }).toEqual({ fn, copies: 1 });
    }
  });

  describe('system.yaml edits', () => {
    const helpers = `set -euo pipefail\ndie() { echo "$1" >&2; exit 1; }\n${shellFunction(
      script('configureNode'),
      'set_node_keys',
    )}\n${shellFunction(script('probeReadiness'), 'get_node_key')}\n`;
    const owner = bash('id -un').stdout.trim();
    const JFROG_STYLE = [
      '## @formatter:off',
      'configVersion: 1',
      'shared:',
      '    ## Security Configuration',
      '    security:',
      '        #joinKey: "<Your joinKey>"',
      '    node:',
      '        ## A unique id to identify this node.',
      '        id: "art1"',
      '        primary: true   # set by hand',
      '        taskAffinity: "any"',
      '    database:',
      '        type: postgresql',
      '        url: "jdbc:postgresql://db:5432/artifactory"',
      'artifactory:',
      '    port: 8081',
      '',
    ].join('\n');

    function edit(initial: string | undefined, ...args: string[]) {
      const dir = mkdtempSync(path.join(tmpdir(), 'system-yaml-'));
      const file = path.join(dir, 'system.yaml');
      if (initial !== undefined) writeFileSync(file, initial);
      const out = bash(`${helpers}\nset_node_keys "$@"`, {}, [file, owner, ...args]);
      expect(out).toMatchObject({ status: 0, stderr: '' });
      const get = (key: string) => bash(`${helpers}\nget_node_key "$@"`, {}, [file, key]).stdout.trim();
      return { text: readFileSync(file, 'utf8'), get };
    }

    it('sets the node keys and keeps every other line, in the file’s indentation', () => {
      const { text, get } = edit(
        JFROG_STYLE,
        'id="i-0abc"',
        'ip="10.0.1.23"',
        'haEnabled=true',
        'primary=false',
        '-taskAffinity',
      );
      const yaml = parseYaml(text) as { shared: Record<string, unknown>; artifactory: unknown };
      expect(yaml.shared.node).toEqual({ id: 'i-0abc', ip: '10.0.1.23', haEnabled: true, primary: false });
      expect(yaml.shared.database).toEqual({
        type: 'postgresql',
        url: 'jdbc:postgresql://db:5432/artifactory',
      });
      expect(yaml.artifactory).toEqual({ port: 8081 });
      expect(text).toContain('        ## A unique id to identify this node.\n        id: "i-0abc"\n');
      expect(text).toContain('#joinKey: "<Your joinKey>"');
      expect([get('id'), get('ip'), get('primary'), get('taskAffinity')]).toEqual([
        'i-0abc',
        '10.0.1.23',
        'false',
        '',
      ]);
    });

    it('creates the node section, shared: or the file when missing', () => {
      expect(parseYaml(edit(undefined, 'id="a"', 'primary=true').text)).toEqual({
        configVersion: 1,
        shared: { node: { id: 'a', primary: true } },
      });
      expect(
        parseYaml(edit('shared:\n  database:\n    type: derby\n', 'taskAffinity="none"', '-primary').text),
      ).toEqual({ shared: { node: { taskAffinity: 'none' }, database: { type: 'derby' } } });
      expect(parseYaml(edit('configVersion: 1\nartifactory:\n  port: 8081\n', 'id="b"').text)).toEqual({
        configVersion: 1,
        artifactory: { port: 8081 },
        shared: { node: { id: 'b' } },
      });
    });
  });

  describe('on a stub node (JFROG_HOME in a temp dir; curl, aws, systemctl and ownership stubbed)', () => {
    const MASTER = 'a1'.repeat(32);
    const JOIN = 'b2'.repeat(16);
    const STUBS: Record<string, string> = {
      curl: `case "$*" in
  *api/token*) echo token ;;
  *placement/region*) echo eu-west-1 ;;
  *local-ipv4*) echo 10.0.1.23 ;;
  *) exit 7 ;;
esac`,
      aws: `case "$*" in
  *"--secret-id artifactory-prod/master-key "*) echo ${MASTER} ;;
  *"--secret-id artifactory-prod/join-key "*) echo ${JOIN} ;;
  *) echo "An error occurred (ResourceNotFoundException) when calling the GetSecretValue operation" >&2; exit 254 ;;
esac`,
      systemctl: 'echo "systemctl $*" >>"$STUB_LOG"; [ "$1" != is-active ]',
      install: 'for a in "$@"; do case $a in -*|0700|artifactory) ;; *) mkdir -p "$a" ;; esac; done',
      chown: 'exit 0',
      id: 'exit 0',
    };

    function node() {
      const root = mkdtempSync(path.join(tmpdir(), 'jfrog-'));
      const bin = path.join(root, 'bin');
      bash(`mkdir -p "$1/artifactory/var/etc" "$1/bin"`, {}, [root]);
      for (const [name, body] of Object.entries(STUBS)) {
        writeFileSync(path.join(bin, name), `#!/usr/bin/env bash\n${body}\n`, { mode: 0o755 });
      }
      const run = (kind: DocumentKind, env: Record<string, string>) =>
        bash(script(kind).replace(/^readonly JFROG_HOME=.*$/m, `readonly JFROG_HOME=${root}`), {
          ...env,
          PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
          STUB_LOG: path.join(root, 'systemctl.log'),
        });
      const etc = path.join(root, 'artifactory/var/etc');
      return { root, etc, run };
    }

    it('configure installs both keys (0600) and the node section, and prints neither key', () => {
      const { etc, run } = node();
      const out = run('configureNode', { ...VALID, ROLE: 'primary' });
      expect(out).toMatchObject({ status: 0, stderr: '' });
      expect(out.stdout).toBe(
        [
          `installed ${etc}/security/master.key from Secrets Manager`,
          `installed ${etc}/security/join.key from Secrets Manager`,
          `wrote ${etc}/system.yaml: shared.node.id=i-0123456789abcdef0 shared.node.ip=10.0.1.23 shared.node.haEnabled=true shared.node.primary=true`,
          '',
        ].join('\n'),
      );
      expect(readFileSync(path.join(etc, 'security/master.key'), 'utf8')).toBe(MASTER);
      expect(readFileSync(path.join(etc, 'security/join.key'), 'utf8')).toBe(JOIN);
      expect(statSync(path.join(etc, 'security/master.key')).mode & 0o777).toBe(0o600);
      expect(parseYaml(readFileSync(path.join(etc, 'system.yaml'), 'utf8'))).toEqual({
        configVersion: 1,
        shared: { node: { id: 'i-0123456789abcdef0', ip: '10.0.1.23', haEnabled: true, primary: true } },
      });
      expect(readdirSync(path.join(etc, 'security')).sort()).toEqual(['join.key', 'master.key']);
    });

    it('configure fails on a missing secret before writing system.yaml, leaving no temporary file', () => {
      const { etc, run } = node();
      const out = run('configureNode', { ...VALID, JOIN_KEY_SECRET_ID: 'artifactory-prod/nope' });
      expect(out.status).not.toBe(0);
      expect(out.stderr).toContain('ResourceNotFoundException');
      expect(`${out.stdout}${out.stderr}`).not.toContain(MASTER);
      expect(readdirSync(path.join(etc, 'security'))).toEqual(['master.key']);
      expect(readdirSync(etc)).toEqual(['security']);
    });

    it('promote and demote flip the role the mode shows, then restart', () => {
      const { root, etc, run } = node();
      expect(
        run('configureNode', { ...VALID, CLUSTER_MODE: 'cloud-native', TASK_AFFINITY: 'none' }).status,
      ).toBe(0);
      const promoted = run('promotePrimary', { CLUSTER_MODE: '' });
      expect(promoted).toMatchObject({ status: 0, stderr: '' });
      expect(promoted.stdout).toBe(
        `wrote ${etc}/system.yaml: shared.node.taskAffinity=any\nartifactory.service restarted\n`,
      );
      const node1 = (
        parseYaml(readFileSync(path.join(etc, 'system.yaml'), 'utf8')) as { shared: { node: object } }
      ).shared.node;
      expect(node1).toEqual({
        id: 'i-0123456789abcdef0',
        ip: '10.0.1.23',
        haEnabled: true,
        taskAffinity: 'any',
      });
      expect(run('demotePrimary', { CLUSTER_MODE: 'legacy-primary' }).stdout).toContain(
        'shared.node.primary=false',
      );
      const node2 = (
        parseYaml(readFileSync(path.join(etc, 'system.yaml'), 'utf8')) as { shared: { node: object } }
      ).shared.node;
      expect(node2).toEqual({ id: 'i-0123456789abcdef0', ip: '10.0.1.23', haEnabled: true, primary: false });
      expect(readFileSync(path.join(root, 'systemctl.log'), 'utf8')).toBe(
        'systemctl restart artifactory\nsystemctl restart artifactory\n',
      );
    });
  });

  it('probe-readiness prints exactly one JSON line, even with nothing listening', () => {
    const out = bash(script('probeReadiness'));
    expect(out.status).toBe(0);
    const lines = out.stdout.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    const probe = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(probe).toMatchObject({ ready: expect.any(Boolean), routerHealth: expect.any(Number) });
    expect(Object.keys(probe)).toEqual([
      'ready',
      'routerHealth',
      'readiness',
      'role',
      'taskAffinity',
      'nodeId',
      'service',
    ]);
  });
});
