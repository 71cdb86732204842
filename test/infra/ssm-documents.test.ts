import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { parse as parseYaml } from 'yaml';
import {
  DOCUMENT_KINDS,
  DOCUMENTS,
  type DocumentKind,
  documentCommands,
  documentContent,
  documentName,
  documentParameters,
  headerLines,
  libPath,
  scriptPath,
} from '../../infra/ssm-documents';
import { ProjectDocuments } from '../../infra/ssm-documents/construct';
import { testApp } from './helpers';

const CLUSTER = 'artifactory-prod';
const script = (kind: DocumentKind) => readFileSync(scriptPath(kind), 'utf8');
const lib = readFileSync(libPath(), 'utf8');
const lines = (text: string) => text.replace(/\n+$/, '').split('\n');

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

/**
 * A document's commands as SSM Agent runs them: each `{{ Name }}` replaced by the value sent or the
 * parameter's default. Like SendCommand, refuses undeclared parameters, missing required ones and values
 * outside the allowedPattern (so no test value can turn the header into code).
 */
function rendered(kind: DocumentKind, sent: Record<string, string> = {}): string {
  const declared = documentParameters(kind);
  for (const name of Object.keys(sent)) {
    if (!(name in declared)) throw new Error(`${kind} declares no parameter ${name}`);
  }
  return documentCommands(kind)
    .map((line) =>
      line.replace(/\{\{ (\w+) \}\}/g, (_, name: string) => {
        const spec = declared[name];
        const value = sent[name] ?? spec?.default;
        if (spec === undefined || value === undefined) throw new Error(`${kind}: ${name} is required`);
        if (!new RegExp(spec.allowedPattern).test(value)) throw new Error(`${kind}: ${name}=${value}`);
        return value;
      }),
    )
    .join('\n');
}

/** A document's commands without the header: lib.sh and the script, reading their parameters from the env. */
function unguarded(kind: DocumentKind): string {
  const [shebang, ...rest] = documentCommands(kind);
  return [shebang, ...rest.slice(headerLines(kind).length)].join('\n');
}

/** The functions a shell text defines (`name() {`). */
function definedFunctions(source: string): Set<string> {
  return new Set([...source.matchAll(/^\s*([A-Za-z_][A-Za-z0-9_]*)\(\) \{/gm)].map((m) => m[1] ?? ''));
}

/**
 * The names a shell text runs as commands: a rough parse, enough for these scripts. Drops comments,
 * single-quoted text (the awk programs, patterns), arithmetic and case patterns, splits at command
 * separators and takes each command's first word, past keywords and assignments.
 */
function commandNames(source: string): Set<string> {
  const text = source
    .replace(/^\s*#.*$/gm, '') // comment lines (before quotes: they hold apostrophes)
    .replace(/"'"/g, '""')
    .replace(/'[^']*'/g, "''")
    .replace(/\s#.*$/gm, '') // trailing comments
    .replace(/\$?\(\([^()]*\)\)/g, '0') // arithmetic
    .replace(/^(\s*)[^\s()]+\)\s/gm, '$1'); // case patterns
  const names = new Set<string>();
  for (const segment of text.split(/\n|;|&&|\|\||\||\$\(|\(|\)|`|(?<=^|\s)[{}](?=\s|$)/)) {
    const words = segment.trim().split(/\s+/);
    while (
      words.length > 0 &&
      /^(if|then|else|elif|while|until|do|!|[A-Za-z_][A-Za-z0-9_]*\+?=.*)$/.test(words[0] ?? '')
    ) {
      words.shift();
    }
    const first = words[0] ?? '';
    if (first === 'for' || first === 'case') continue;
    if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(first)) names.add(first);
  }
  return names;
}

const BASH_BUILTINS = new Set(
  bash('compgen -b; compgen -k')
    .stdout.split('\n')
    .filter((w) => w !== ''),
);
/** The programs the scripts may run on a node (Amazon Linux with Artifactory and the AWS CLI). */
const NODE_PROGRAMS = new Set([
  'awk',
  'aws',
  'chmod',
  'cat',
  'chown',
  'cp',
  'curl',
  'date',
  'grep',
  'id',
  'install',
  'mktemp',
  'mv',
  'openssl',
  'rm',
  'sleep',
  'systemctl',
  'timeout',
  'tr',
]);

/** The commands a text runs that are neither bash's, nor a node program, nor a function in `functions`. */
function undefinedCommands(source: string, functions: Set<string>): string[] {
  return [...commandNames(source)].filter(
    (n) => !BASH_BUILTINS.has(n) && !NODE_PROGRAMS.has(n) && !functions.has(n),
  );
}

describe('ProjectDocuments', () => {
  it('creates the ten Command documents, named per cluster, updated in place as new versions', () => {
    const { template } = fixture();
    template.resourceCountIs('AWS::SSM::Document', 10);
    for (const suffix of [
      'ConfigureNode',
      'StartArtifactory',
      'StopArtifactory',
      'ProbeReadiness',
      'SetPrimaryRole',
      'MakeCsr',
      'InstallCertificate',
      'RollbackCertificate',
      'ProbeServedCertificate',
      'ReadReplicationStatus',
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
          // The document is the cluster's: exactly its two key secrets (the scripts check the generic pattern).
          MasterKeySecretId: Match.objectLike({
            type: 'String',
            allowedPattern: `^${CLUSTER}/master-key$`,
          }),
          JoinKeySecretId: Match.objectLike({
            type: 'String',
            allowedPattern: `^${CLUSTER}/join-key$`,
          }),
        },
        mainSteps: [Match.objectLike({ inputs: Match.objectLike({ timeoutSeconds: '300' }) })],
      }),
    });
    template.hasResourceProperties('AWS::SSM::Document', {
      Name: `${CLUSTER}-ProbeReadiness`,
      Content: Match.objectLike({
        parameters: {
          ExecutionTimeout: {
            type: 'String',
            description: Match.stringLikeRegexp('60-360'),
            allowedPattern: '^([6-9][0-9]|[1-2][0-9][0-9]|3[0-5][0-9]|360)$',
            default: '60',
          },
          WaitSeconds: {
            type: 'String',
            description: Match.stringLikeRegexp('0-300'),
            allowedPattern: '^([0-9]|[1-9][0-9]|[1-2][0-9][0-9]|300)$',
            default: '0',
          },
        },
        // The step's timeout is the parameter's value, as AWS-RunShellScript's executionTimeout.
        mainSteps: [
          Match.objectLike({ inputs: Match.objectLike({ timeoutSeconds: '{{ ExecutionTimeout }}' }) }),
        ],
      }),
    });
    template.hasResourceProperties('AWS::SSM::Document', {
      Name: `${CLUSTER}-SetPrimaryRole`,
      Content: Match.objectLike({
        parameters: {
          // Required: no default.
          Role: { type: 'String', description: Match.anyValue(), allowedPattern: '^(primary|member)$' },
          ClusterMode: {
            type: 'String',
            description: Match.anyValue(),
            allowedPattern: '^(legacy-primary|cloud-native)?$',
            default: '',
          },
        },
        mainSteps: [Match.objectLike({ inputs: Match.objectLike({ timeoutSeconds: '600' }) })],
      }),
    });
    expect(DOCUMENTS.setPrimaryRole.parameters.Role.allowedValues).toEqual(['primary', 'member']);
    const configure = Object.values(
      template.findResources('AWS::SSM::Document', { Properties: { Name: `${CLUSTER}-ConfigureNode` } }),
    )[0];
    expect(Object.keys(configure?.Properties.Content.parameters ?? {})).toHaveLength(7);
    // The certificate parameters: optional where the contract adds them to existing documents.
    expect(documentParameters('configureNode').KeySize).toMatchObject({ default: '' });
    expect(documentParameters('startArtifactory').Certificate).toMatchObject({ default: '' });
    expect(documentParameters('startArtifactory').CaBundle).toMatchObject({ default: '' });
    expect(documentParameters('installCertificate').Certificate?.default).toBeUndefined();
    expect(documentParameters('makeCsr').KeySize?.default).toBeUndefined();
  });

  it('puts {{ }} only in the header lines, right after the shebang, one variable per parameter', () => {
    const { template } = fixture();
    const resources = Object.values(template.findResources('AWS::SSM::Document'));
    expect(resources).toHaveLength(10);
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

  it('deploys exactly the assembled commands: shebang, header, lib.sh once, then the script', () => {
    const { template } = fixture();
    const libLines = lines(lib);
    for (const kind of DOCUMENT_KINDS) {
      const deployed = Object.values(
        template.findResources('AWS::SSM::Document', {
          Properties: { Name: documentName(CLUSTER, kind) },
        }),
      )[0]?.Properties.Content.mainSteps[0].inputs.runCommand as string[];
      const [shebang, ...body] = lines(script(kind));
      expect({ kind, deployed }).toEqual({
        kind,
        deployed: [shebang, ...headerLines(kind), ...libLines, ...body],
      });
      // Once: no script repeats lib.sh's strict mode, constants or functions, nor carries a second shebang.
      const once = libLines.filter((l) => /^(set -euo pipefail|\s*readonly [A-Z_]+=.*|\w+\(\) \{)$/.test(l));
      expect(once.length).toBeGreaterThan(8);
      for (const line of once) {
        expect({ kind, line, count: deployed.filter((l) => l === line).length }).toEqual({
          kind,
          line,
          count: 1,
        });
      }
      expect(deployed.filter((l) => l.startsWith('#!'))).toEqual([shebang]);
    }
  });

  it('exposes names and ARNs (arn:<partition>:ssm:<region>:<account>:document/<name>)', () => {
    const { stack, docs } = fixture();
    expect(docs.names).toEqual(Object.fromEntries(DOCUMENT_KINDS.map((k) => [k, documentName(CLUSTER, k)])));
    expect(docs.names.configureNode).toBe(`${CLUSTER}-ConfigureNode`);
    expect(docs.names.setPrimaryRole).toBe(`${CLUSTER}-SetPrimaryRole`);
    expect(stack.resolve(docs.arns.probeReadiness)).toEqual({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, `:ssm:eu-west-1:111122223333:document/${CLUSTER}-ProbeReadiness`],
      ],
    });
  });
});

describe('document definitions', () => {
  it('declare the parameters node-bootstrap sends to ConfigureNode: every required one, none unknown', () => {
    const asl = JSON.parse(
      readFileSync(path.resolve(__dirname, '../../statemachines/node-bootstrap.asl.json'), 'utf8'),
    ) as { States: Record<string, { Parameters?: { Input?: { document?: string; parameters?: object } } }> };
    const sent = Object.values(asl.States)
      .map((s) => s.Parameters?.Input)
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CDK definitionSubstitutions placeholder
      .find((input) => input?.document === '${ConfigureDocument}')?.parameters;
    expect(sent).toBeDefined();
    const names = Object.keys(sent ?? {}).map((k) => k.replace(/\.\$$/, ''));
    const declared = documentParameters('configureNode');
    const required = Object.keys(declared).filter((n) => declared[n]?.default === undefined);
    expect(names.filter((n) => !(n in declared))).toEqual([]);
    expect(required.filter((n) => !names.includes(n))).toEqual([]);
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
      const optional = p[name]?.default === '';
      for (const bad of ["x'; id; '", 'x$(id)', 'x`id`', 'x y', 'x\ny', 'x"y', 'x\\y', 'x;y', 'x|y']) {
        expect({ name, bad, ok: ok(name, bad) }).toEqual({ name, bad, ok: false });
      }
      expect({ name, empty: ok(name, '') }).toEqual({ name, empty: optional });
    }
    const role = new RegExp(documentParameters('setPrimaryRole').Role?.allowedPattern ?? '$^');
    expect(['primary', 'member', '', 'leader', 'primary;id'].map((v) => role.test(v))).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
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

describe('lib.sh', () => {
  const libFunctions = definedFunctions(lib);

  it('the command scan finds helpers wherever a script calls them', () => {
    const names = commandNames(
      [
        'x=$(get_node_key "$f" k) # a comment naming not_a_call',
        'if [[ -n $x ]]; then set_node_keys "$f" "a=1"; fi',
        'case $(probe_it) in',
        '  a) helper_a ;;',
        'esac',
        'foo || bar && baz | qux; awk -v q="\'" \'in_awk(1)\' "$f"',
        'echo "$((10#$code))" "$x"; local y=1 && z=2 helper_b',
      ].join('\n'),
    );
    for (const name of ['get_node_key', 'set_node_keys', 'probe_it', 'helper_a', 'foo', 'bar', 'baz']) {
      expect({ name, found: names.has(name) }).toEqual({ name, found: true });
    }
    for (const name of ['qux', 'awk', 'echo', 'local', 'helper_b']) expect(names.has(name)).toBe(true);
    for (const name of ['not_a_call', 'in_awk', 'x', 'y', 'z', 'code', 'a'])
      expect(names.has(name)).toBe(false);
  });

  it('defines every helper a script calls (any other command is bash’s own or a program on the node)', () => {
    expect({ lib: undefinedCommands(lib, libFunctions) }).toEqual({ lib: [] });
    for (const kind of DOCUMENT_KINDS) {
      const own = definedFunctions(script(kind));
      const functions = new Set([...libFunctions, ...own]);
      expect({ kind, undefined: undefinedCommands(script(kind), functions) }).toEqual({
        kind,
        undefined: [],
      });
    }
    // The check bites: without lib.sh's definitions, the scripts' helper calls are undefined.
    const without = (kind: DocumentKind) => undefinedCommands(script(kind), definedFunctions(script(kind)));
    expect(without('setPrimaryRole').sort()).toEqual([
      'die',
      'get_node_key',
      'require',
      'set_node_keys',
      'systemctl_bounded',
    ]);
    expect(without('configureNode').sort()).toEqual([
      'die',
      'enable_https_connector',
      'imds',
      'make_key_and_csr',
      'node_private_ip',
      'require',
      'set_node_keys',
    ]);
  });

  it('holds the only copy of each shared helper, and every one of its helpers is used', () => {
    const seen = new Map<string, DocumentKind>();
    for (const kind of DOCUMENT_KINDS) {
      for (const fn of definedFunctions(script(kind))) {
        // A script defines only what is its own: not a lib.sh helper, not another script's.
        expect({ kind, fn, inLib: libFunctions.has(fn) }).toEqual({ kind, fn, inLib: false });
        expect({ fn, alsoIn: seen.get(fn) }).toEqual({ fn, alsoIn: undefined });
        seen.set(fn, kind);
      }
    }
    const called = new Set([lib, ...DOCUMENT_KINDS.map(script)].flatMap((t) => [...commandNames(t)]));
    for (const fn of libFunctions) expect({ fn, called: called.has(fn) }).toEqual({ fn, called: true });
    expect([...libFunctions].sort()).toEqual([
      'cert_fingerprint',
      'die',
      'enable_https_connector',
      'get_node_key',
      'imds',
      'install_certificate',
      'make_key_and_csr',
      'node_private_ip',
      'require',
      'set_node_keys',
      'set_yaml_key',
      'systemctl_bounded',
    ]);
  });

  it('systemctl_bounded: dies when systemctl outlasts the bound, passes on its failure status', () => {
    const bin = mkdtempSync(path.join(tmpdir(), 'systemctl-'));
    writeFileSync(
      path.join(bin, 'systemctl'),
      '#!/usr/bin/env bash\nsleep "$STUB_SLEEP"\nexit "$STUB_RC"\n',
      {
        mode: 0o755,
      },
    );
    const env = { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, STUB_SLEEP: '0', STUB_RC: '0' };
    const run = (stub: Record<string, string>, action: string, seconds: string) =>
      bash(`${lib}\nsystemctl_bounded "$@"\necho after`, { ...env, ...stub }, [action, seconds]);
    expect(run({}, 'restart', '5')).toMatchObject({ status: 0, stdout: 'after\n', stderr: '' });
    expect(run({ STUB_RC: '5' }, 'start', '5')).toMatchObject({ status: 5, stdout: '' });
    expect(run({ STUB_SLEEP: '3' }, 'stop', '1')).toMatchObject({
      status: 1,
      stdout: '',
      stderr: 'artifactory.service did not stop within 1 s\n',
    });
  });
});

describe('scripts', () => {
  /** ConfigureNode's parameters, by name, as node-bootstrap sends them. */
  const CONFIGURE: Record<string, string> = {
    Role: 'member',
    TaskAffinity: 'any',
    ClusterMode: 'legacy-primary',
    NodeId: 'i-0123456789abcdef0',
    MasterKeySecretId: 'artifactory-prod/master-key',
    JoinKeySecretId: 'artifactory-prod/join-key',
  };
  /** The same as the header assigns them. */
  const VALID: Record<string, string> = Object.fromEntries(
    Object.entries(documentParameters('configureNode')).map(([name, p]) => [
      p.variable,
      CONFIGURE[name] ?? '',
    ]),
  );

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
      const out = bash(unguarded('configureNode'), { ...VALID, [name]: bad });
      expect(out).toMatchObject({ status: 2, stdout: '' });
      expect(out.stderr).toContain(`invalid parameter ${name}`);
      expect(out.stderr).not.toContain(bad);
    }
    for (const env of [
      { ROLE: 'leader', CLUSTER_MODE: '' },
      { ROLE: '', CLUSTER_MODE: '' },
      { CLUSTER_MODE: 'legacy-primary' },
      { ROLE: 'primary', CLUSTER_MODE: 'both' },
      { ROLE: 'member', CLUSTER_MODE: '', SERVICE_ACTION: 'reload' },
      { ROLE: 'member', CLUSTER_MODE: '' },
    ]) {
      const out = bash(unguarded('setPrimaryRole'), env);
      expect({ env, out }).toMatchObject({ env, out: { status: 2, stdout: '' } });
      expect(out.stderr).toMatch(/^invalid parameter (ROLE|CLUSTER_MODE|SERVICE_ACTION)/);
    }
    for (const [kind, env, name] of [
      ['startArtifactory', { CERTIFICATE: '', CA_BUNDLE: '', RESTART: 'yes' }, 'RESTART'],
      ['rollbackCertificate', { FINGERPRINT: 'AB'.repeat(32) }, 'FINGERPRINT'],
      ['rollbackCertificate', { FINGERPRINT: 'ab; rm -rf /' }, 'FINGERPRINT'],
    ] as const) {
      const out = bash(unguarded(kind), env);
      expect({ kind, out }).toMatchObject({ kind, out: { status: 2, stdout: '' } });
      expect(out.stderr).toMatch(new RegExp(`^invalid parameter ${name}`));
    }
  });

  describe('system.yaml edits', () => {
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
      const out = bash(`${lib}\nset_node_keys "$@"`, {}, [file, owner, ...args]);
      expect(out).toMatchObject({ status: 0, stderr: '' });
      const get = (key: string) => bash(`${lib}\nget_node_key "$@"`, {}, [file, key]).stdout.trim();
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

    const CONNECTOR = 'artifactory.tomcat.httpsConnector.enabled';
    function setKey(initial: string | undefined, key: string, value: string) {
      const dir = mkdtempSync(path.join(tmpdir(), 'system-yaml-'));
      const file = path.join(dir, 'system.yaml');
      if (initial !== undefined) writeFileSync(file, initial);
      const out = bash(`${lib}\nset_yaml_key "$@"`, {}, [file, owner, key, value]);
      const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
      return { out, text, files: readdirSync(dir) };
    }

    it('set_yaml_key sets a nested key at any depth, keeping every other line and the file’s indentation', () => {
      const added = setKey(JFROG_STYLE, CONNECTOR, 'true');
      expect(added.out).toMatchObject({ status: 0, stderr: '' });
      expect(parseYaml(added.text)).toEqual({
        ...(parseYaml(JFROG_STYLE) as object),
        artifactory: { port: 8081, tomcat: { httpsConnector: { enabled: true } } },
      });
      expect(added.text).toContain(
        'artifactory:\n    port: 8081\n    tomcat:\n        httpsConnector:\n            enabled: true\n',
      );
      expect(added.text).toContain('        ## A unique id to identify this node.\n        id: "art1"\n');
      const existing = setKey(
        'artifactory:\n  tomcat:\n    httpsConnector:\n      enabled: false # off\n      port: 8443\n  port: 8081\n',
        CONNECTOR,
        'true',
      );
      expect(existing.text).toBe(
        'artifactory:\n  tomcat:\n    httpsConnector:\n      enabled: true\n      port: 8443\n  port: 8081\n',
      );
      // Again: the same file (a retried command).
      expect(setKey(existing.text, CONNECTOR, 'true').text).toBe(existing.text);
      expect(parseYaml(setKey(undefined, CONNECTOR, 'true').text)).toEqual({
        configVersion: 1,
        artifactory: { tomcat: { httpsConnector: { enabled: true } } },
      });
      expect(parseYaml(setKey('shared:\n  node:\n    id: a\n', CONNECTOR, 'true').text)).toEqual({
        shared: { node: { id: 'a' } },
        artifactory: { tomcat: { httpsConnector: { enabled: true } } },
      });
      // A sibling section of the same name elsewhere is not the key's parent.
      expect(
        parseYaml(
          setKey('shared:\n  tomcat:\n    x: 1\nartifactory:\n  port: 8081\n', CONNECTOR, 'true').text,
        ),
      ).toEqual({
        shared: { tomcat: { x: 1 } },
        artifactory: { port: 8081, tomcat: { httpsConnector: { enabled: true } } },
      });
    });

    it('set_yaml_key refuses a key that holds a section, a bad key or a bad value, changing nothing', () => {
      const section = 'artifactory:\n  tomcat:\n    httpsConnector:\n      enabled:\n        x: 1\n';
      const refused = setKey(section, CONNECTOR, 'true');
      expect(refused.out.status).toBe(1);
      expect(refused.out.stderr).toContain('holds a section, not a value: nothing changed');
      expect(refused.text).toBe(section);
      expect(refused.files).toEqual(['system.yaml']);
      const badKey = setKey(section, 'artifactory..tomcat', 'true');
      expect(badKey.out.stderr).toContain('set_yaml_key: bad key');
      expect(badKey.text).toBe(section);
      const badValue = setKey(section, 'artifactory.port', 'true; id');
      expect(badValue.out.stderr).toContain('set_yaml_key: bad value for artifactory.port');
      expect(badValue.text).toBe(section);
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
      install:
        'for a in "$@"; do case $a in -*|[0-7][0-7][0-7][0-7]|artifactory) ;; *) mkdir -p "$a" ;; esac; done',
      chown: 'exit 0',
      id: 'exit 0',
    };

    /** A stub node; `run` runs a document's commands there, as SSM Agent would with these parameters. */
    function node() {
      const root = mkdtempSync(path.join(tmpdir(), 'jfrog-'));
      const bin = path.join(root, 'bin');
      bash(`mkdir -p "$1/artifactory/var/etc" "$1/bin"`, {}, [root]);
      for (const [name, body] of Object.entries(STUBS)) {
        writeFileSync(path.join(bin, name), `#!/usr/bin/env bash\n${body}\n`, { mode: 0o755 });
      }
      const run = (
        kind: DocumentKind,
        parameters: Record<string, string> = {},
        edit: (commands: string) => string = (c) => c,
      ) => {
        const commands = edit(rendered(kind, parameters));
        const moved = commands.replace(
          /^(\s*)readonly JFROG_HOME=\/opt\/jfrog$/m,
          `$1readonly JFROG_HOME=${root}`,
        );
        expect(moved).not.toBe(commands);
        return bash(moved, {
          PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
          STUB_LOG: path.join(root, 'systemctl.log'),
        });
      };
      const etc = path.join(root, 'artifactory/var/etc');
      const systemctl = () => {
        const log = path.join(root, 'systemctl.log');
        return bash('cat "$1" 2>/dev/null', {}, [log]).stdout;
      };
      const nodeSection = () =>
        (parseYaml(readFileSync(path.join(etc, 'system.yaml'), 'utf8')) as { shared: { node: object } })
          .shared.node;
      return { root, etc, run, systemctl, nodeSection };
    }

    it('configure installs both keys (0600) and the node section, and prints neither key', () => {
      const { etc, run } = node();
      const out = run('configureNode', { ...CONFIGURE, Role: 'primary' });
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
      const out = run('configureNode', { ...CONFIGURE, JoinKeySecretId: 'artifactory-prod/nope' });
      expect(out.status).not.toBe(0);
      expect(out.stderr).toContain('ResourceNotFoundException');
      expect(`${out.stdout}${out.stderr}`).not.toContain(MASTER);
      expect(readdirSync(path.join(etc, 'security'))).toEqual(['master.key']);
      expect(readdirSync(etc)).toEqual(['security']);
    });

    it('SetPrimaryRole sets the role in the mode sent or shown (both roles, both modes), then restarts', () => {
      const { etc, run, systemctl, nodeSection } = node();
      expect(
        run('configureNode', { ...CONFIGURE, ClusterMode: 'cloud-native', TaskAffinity: 'none' }).status,
      ).toBe(0);
      const base = { id: 'i-0123456789abcdef0', ip: '10.0.1.23', haEnabled: true };
      const steps: [Record<string, string>, string, object][] = [
        // ClusterMode empty: the mode system.yaml shows (taskAffinity present: cloud-native).
        [{ Role: 'primary' }, 'shared.node.taskAffinity=any', { taskAffinity: 'any' }],
        [{ Role: 'member', ClusterMode: '' }, 'shared.node.taskAffinity=none', { taskAffinity: 'none' }],
        // Sent: legacy-primary replaces taskAffinity with primary.
        [{ Role: 'primary', ClusterMode: 'legacy-primary' }, 'shared.node.primary=true', { primary: true }],
        // No taskAffinity any more: legacy-primary.
        [{ Role: 'member' }, 'shared.node.primary=false', { primary: false }],
        [
          { Role: 'primary', ClusterMode: 'cloud-native' },
          'shared.node.taskAffinity=any',
          { taskAffinity: 'any' },
        ],
        [
          { Role: 'member', ClusterMode: 'cloud-native' },
          'shared.node.taskAffinity=none',
          { taskAffinity: 'none' },
        ],
      ];
      for (const [parameters, edited, role] of steps) {
        const out = run('setPrimaryRole', parameters);
        expect({ parameters, out }).toEqual({
          parameters,
          out: {
            status: 0,
            stdout: `wrote ${etc}/system.yaml: ${edited}\nartifactory.service restarted\n`,
            stderr: '',
          },
        });
        expect({ parameters, node: nodeSection() }).toEqual({ parameters, node: { ...base, ...role } });
      }
      expect(systemctl()).toBe('systemctl restart artifactory\n'.repeat(steps.length));
    });

    it('SetPrimaryRole with Service stop writes the role and stops Artifactory (checked), starting nothing', () => {
      const { etc, root, run, systemctl, nodeSection } = node();
      expect(run('configureNode', { ...CONFIGURE, Role: 'primary' }).status).toBe(0);
      const out = run('setPrimaryRole', { Role: 'member', Service: 'stop' });
      expect(out).toEqual({
        status: 0,
        stdout: `wrote ${etc}/system.yaml: shared.node.primary=false\nartifactory.service stopped\n`,
        stderr: '',
      });
      expect(nodeSection()).toMatchObject({ primary: false });
      expect(systemctl()).toBe('systemctl stop artifactory\nsystemctl is-active --quiet artifactory\n');
      // A service systemd still calls active after the stop is no confirmed demotion.
      writeFileSync(path.join(root, 'bin/systemctl'), '#!/usr/bin/env bash\nexit 0\n', { mode: 0o755 });
      const still = run('setPrimaryRole', { Role: 'member', Service: 'stop' });
      expect(still).toMatchObject({
        status: 1,
        stderr: 'artifactory.service is still active after systemctl stop\n',
      });
    });

    it('SetPrimaryRole refuses an unconfigured node and restarts nothing', () => {
      const { etc, run, systemctl } = node();
      const out = run('setPrimaryRole', { Role: 'primary' });
      expect(out).toMatchObject({
        status: 1,
        stdout: '',
        stderr: `${etc}/system.yaml is not configured: run ConfigureNode first\n`,
      });
      expect(systemctl()).toBe('');
    });

    it('start refuses an unconfigured node; start and stop run systemctl on a configured one', () => {
      const { etc, run, systemctl } = node();
      expect(run('startArtifactory')).toMatchObject({
        status: 1,
        stderr: `${etc}/system.yaml is not configured (${etc}/system.yaml is missing): run ConfigureNode first\n`,
      });
      expect(run('configureNode', CONFIGURE).status).toBe(0);
      expect(run('startArtifactory')).toEqual({
        status: 0,
        stdout: 'artifactory.service started\n',
        stderr: '',
      });
      expect(run('stopArtifactory')).toEqual({
        status: 0,
        stdout: 'artifactory.service stopped\n',
        stderr: '',
      });
      expect(systemctl()).toBe(
        [
          'systemctl is-active --quiet artifactory',
          'systemctl start artifactory',
          'systemctl stop artifactory',
          'systemctl is-active --quiet artifactory',
          '',
        ].join('\n'),
      );
    });

    it('probe-readiness prints exactly one JSON line, even with nothing listening', () => {
      const { run } = node();
      expect(run('configureNode', { ...CONFIGURE, Role: 'primary' }).status).toBe(0);
      const out = run('probeReadiness');
      expect(out).toMatchObject({ status: 0, stderr: '' });
      const lines = out.stdout.split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0] ?? '')).toEqual({
        ready: false,
        routerHealth: 0,
        readiness: 0,
        role: 'primary',
        taskAffinity: null,
        nodeId: 'i-0123456789abcdef0',
        service: null,
        scheme: 'http',
      });
    });

    /** Readiness answers 200 OK from the Nth readiness probe on; sleep is recorded, not slept. */
    function readyAfter(root: string, n: number) {
      const bin = path.join(root, 'bin');
      const count = path.join(root, 'probes');
      writeFileSync(
        path.join(bin, 'curl'),
        `#!/usr/bin/env bash
case "$*" in
  *readiness*)
    n=$(( $(cat "${count}" 2>/dev/null || echo 0) + 1 )); echo "$n" >"${count}"
    if (( n >= ${n} )); then
      for a in "$@"; do [[ $prev == -o ]] && echo '{"code":"OK"}' >"$a"; prev=$a; done
      printf 200
    else printf 503; fi ;;
  *) printf 200 ;;
esac
`,
        { mode: 0o755 },
      );
      writeFileSync(
        path.join(bin, 'sleep'),
        `#!/usr/bin/env bash
echo "sleep $*" >>"$STUB_LOG"
`,
        {
          mode: 0o755,
        },
      );
      return () => Number(bash('cat "$1"', {}, [count]).stdout.trim());
    }

    it('probe-readiness with WaitSeconds probes every 5 s on the node until it is ready', () => {
      const { root, run, systemctl } = node();
      expect(run('configureNode', { ...CONFIGURE, Role: 'member' }).status).toBe(0);
      const probes = readyAfter(root, 4);
      const out = run('probeReadiness', { WaitSeconds: '300', ExecutionTimeout: '360' });
      expect(out).toMatchObject({ status: 0, stderr: '' });
      expect(JSON.parse(out.stdout)).toMatchObject({ ready: true, readiness: 200, role: 'member' });
      expect(probes()).toBe(4);
      expect(systemctl().match(/^sleep 5$/gm)).toHaveLength(3);
    });

    it('probe-readiness gives up after WaitSeconds / 5 more probes, and waits for nothing by default', () => {
      const { root, run, systemctl } = node();
      expect(run('configureNode', { ...CONFIGURE, Role: 'member' }).status).toBe(0);
      const probes = readyAfter(root, 100);
      const out = run('probeReadiness', { WaitSeconds: '12', ExecutionTimeout: '72' });
      expect(JSON.parse(out.stdout)).toMatchObject({ ready: false, readiness: 503 });
      expect(probes()).toBe(3);
      expect(systemctl().match(/^sleep 5$/gm)).toHaveLength(2);
      expect(JSON.parse(run('probeReadiness').stdout)).toMatchObject({ ready: false });
      expect(probes()).toBe(4);
    });

    it('probe-readiness refuses a WaitSeconds outside 0-300 and probes nothing', () => {
      const { root, run } = node();
      expect(run('configureNode', { ...CONFIGURE, Role: 'member' }).status).toBe(0);
      const probes = readyAfter(root, 1);
      // SSM refuses it against allowedPattern; the script checks it again (as if SSM had not).
      expect(() => run('probeReadiness', { WaitSeconds: '301' })).toThrow(/WaitSeconds=301/);
      const out = run('probeReadiness', { WaitSeconds: '30' }, (c) =>
        c.replace("WAIT_SECONDS='30'", "WAIT_SECONDS='301'"),
      );
      expect(out.status).toBe(2);
      expect(out.stderr).toMatch(/invalid parameter WAIT_SECONDS/);
      expect(out.stdout).toBe('');
      // A wait the execution timeout would cut short is refused too: 100 s of waiting within the default 60 s.
      const cut = run('probeReadiness', { WaitSeconds: '100' });
      expect(cut.status).toBe(2);
      expect(cut.stderr).toMatch(/EXECUTION_TIMEOUT must be at least WAIT_SECONDS \+ 60/);
      expect(probes()).toBe(0);
    });

    describe('certificates (real openssl)', () => {
      /** A CA in a temporary directory, signing CSRs the way the signer would (SAN IP, KU, EKU). */
      function opensslCa(name = 'Test CA') {
        const dir = mkdtempSync(path.join(tmpdir(), 'ca-'));
        const sh = (script: string, input?: string) => {
          const out = spawnSync('bash', ['-c', script], { cwd: dir, encoding: 'utf8', input });
          if (out.status !== 0) throw new Error(out.stderr);
          return out.stdout;
        };
        sh(
          `openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj '/CN=${name}' 2>/dev/null`,
        );
        const sign = (csr: string, ip = '10.0.1.23') => {
          writeFileSync(
            path.join(dir, 'ext'),
            `subjectAltName=IP:${ip}\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n`,
          );
          return sh(
            'openssl x509 -req -CA ca.pem -CAkey ca.key -CAcreateserial -days 10 -extfile ext 2>/dev/null',
            csr,
          );
        };
        const fingerprint = (pem: string) =>
          sh('openssl x509 -outform DER | openssl dgst -sha256 -r', pem).split(' ')[0] ?? '';
        return { pem: readFileSync(path.join(dir, 'ca.pem'), 'utf8'), sign, fingerprint };
      }
      const keysDir = (root: string) => path.join(root, 'artifactory/var/bootstrap/router/keys');

      it('MakeCsr prints only a CSR for the node IP and leaves the key as custom-server.key.next, 0600', () => {
        const { root, run } = node();
        const out = run('makeCsr', { KeySize: '2048' });
        expect(out).toMatchObject({ status: 0, stderr: '' });
        expect(out.stdout).toMatch(
          /^-----BEGIN CERTIFICATE REQUEST-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE REQUEST-----\n$/,
        );
        const text = spawnSync('openssl', ['req', '-noout', '-text', '-verify'], {
          input: out.stdout,
          encoding: 'utf8',
        });
        expect(text.stdout).toContain('Subject: CN = 10.0.1.23');
        expect(text.stdout).toContain('IP Address:10.0.1.23');
        expect(text.stdout).toContain('Public-Key: (2048 bit)');
        const key = path.join(keysDir(root), 'custom-server.key.next');
        expect(statSync(key).mode & 0o777).toBe(0o600);
        expect(readFileSync(key, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
        expect(out.stdout).not.toContain(readFileSync(key, 'utf8').split('\n')[1]);
        expect(readdirSync(keysDir(root))).toEqual(['custom-server.key.next']);
      });

      it('InstallCertificate installs, keeps the previous files, refuses a certificate for another key; Rollback restores', () => {
        const { root, etc, run } = node();
        const ca = opensslCa();
        expect(run('rollbackCertificate')).toMatchObject({ status: 1, stdout: '' });
        const first = ca.sign(run('makeCsr', { KeySize: '2048' }).stdout);
        const installed = run('installCertificate', { Certificate: first, CaBundle: ca.pem });
        expect(installed).toMatchObject({ status: 0, stderr: '' });
        expect(JSON.parse(installed.stdout)).toEqual({ installed: ca.fingerprint(first), previous: null });
        expect(readFileSync(path.join(keysDir(root), 'custom-server.crt'), 'utf8')).toBe(first);
        expect(readFileSync(path.join(etc, 'security/keys/trusted/cluster-ca.pem'), 'utf8')).toBe(ca.pem);
        expect(statSync(path.join(keysDir(root), 'custom-server.key')).mode & 0o777).toBe(0o600);
        // The same certificate again (a retried command): the same answer.
        expect(
          JSON.parse(run('installCertificate', { Certificate: first, CaBundle: ca.pem }).stdout),
        ).toEqual({
          installed: ca.fingerprint(first),
          previous: null,
        });

        const second = ca.sign(run('makeCsr', { KeySize: '2048' }).stdout);
        const other = ca.sign(
          spawnSync(
            'openssl',
            [
              'req',
              '-new',
              '-newkey',
              'rsa:2048',
              '-nodes',
              '-keyout',
              '/dev/null',
              '-subj',
              '/CN=10.0.1.23',
            ],
            { encoding: 'utf8' },
          ).stdout,
        );
        const refused = run('installCertificate', { Certificate: other, CaBundle: ca.pem });
        expect(refused.status).toBe(1);
        expect(refused.stderr).toContain('does not match');
        expect(readFileSync(path.join(keysDir(root), 'custom-server.crt'), 'utf8')).toBe(first);

        const key = readFileSync(path.join(keysDir(root), 'custom-server.key'), 'utf8');
        expect(
          JSON.parse(run('installCertificate', { Certificate: second, CaBundle: ca.pem }).stdout),
        ).toEqual({
          installed: ca.fingerprint(second),
          previous: ca.fingerprint(first),
        });
        expect(readFileSync(path.join(keysDir(root), 'custom-server.key.previous'), 'utf8')).toBe(key);
        expect(readdirSync(path.join(etc, 'security/keys')).sort()).toEqual([
          'cluster-ca.pem.previous',
          'trusted',
        ]);

        const rolled = run('rollbackCertificate');
        expect(JSON.parse(rolled.stdout)).toEqual({ restored: ca.fingerprint(first) });
        expect(readFileSync(path.join(keysDir(root), 'custom-server.crt'), 'utf8')).toBe(first);
        expect(readFileSync(path.join(keysDir(root), 'custom-server.key'), 'utf8')).toBe(key);
        expect(readdirSync(keysDir(root)).sort()).toEqual([
          'custom-server.crt',
          'custom-server.crt.previous',
          'custom-server.key',
          'custom-server.key.previous',
        ]);
      });

      it('ConfigureNode with KeySize prints the CSR after its lines; StartArtifactory installs a certificate, then starts', () => {
        const { root, run, systemctl } = node();
        const ca = opensslCa();
        const configured = run('configureNode', { ...CONFIGURE, KeySize: '2048' });
        expect(configured.status).toBe(0);
        const lines = configured.stdout.split('\n');
        expect(lines[3]).toBe('-----BEGIN CERTIFICATE REQUEST-----');
        const csr = configured.stdout.slice(configured.stdout.indexOf('-----BEGIN'));
        const cert = ca.sign(csr);
        expect(run('startArtifactory', { Certificate: cert })).toMatchObject({ status: 2 });
        const started = run('startArtifactory', { Certificate: cert, CaBundle: ca.pem });
        expect(started).toMatchObject({ status: 0, stderr: '' });
        expect(started.stdout.split('\n')).toEqual([
          JSON.stringify({ installed: ca.fingerprint(cert), previous: null }),
          'artifactory.service started',
          '',
        ]);
        expect(readFileSync(path.join(keysDir(root), 'custom-server.crt'), 'utf8')).toBe(cert);
        expect(systemctl()).toContain('systemctl start artifactory');
      });

      it('StartArtifactory with Restart installs and restarts in one command; Rollback with Fingerprint restores only that install', () => {
        const { root, run, systemctl } = node();
        const ca = opensslCa();
        expect(run('configureNode', { ...CONFIGURE, KeySize: '2048' }).status).toBe(0);
        const crt = path.join(keysDir(root), 'custom-server.crt');
        const first = ca.sign(run('makeCsr', { KeySize: '2048' }).stdout);
        expect(run('installCertificate', { Certificate: first, CaBundle: ca.pem }).status).toBe(0);
        // SSM rejects a bad Restart or Fingerprint (allowedPattern); the scripts exit 2 too ('reject a bad
        // parameter' above).
        expect(() => run('startArtifactory', { Restart: 'yes' })).toThrow('Restart=yes');
        expect(systemctl()).toBe('');

        const second = ca.sign(run('makeCsr', { KeySize: '2048' }).stdout);
        // The failure came before the install: the rollback finds the issued certificate not installed and
        // changes nothing (the *.previous files are older than what the node serves).
        const notInstalled = run('rollbackCertificate', { Fingerprint: ca.fingerprint(second) });
        expect(notInstalled).toMatchObject({ status: 0, stderr: '' });
        expect(JSON.parse(notInstalled.stdout)).toEqual({
          restored: null,
          reason: `the installed certificate is ${ca.fingerprint(first)}, not ${ca.fingerprint(second)}: nothing to undo, nothing changed`,
        });
        expect(readFileSync(crt, 'utf8')).toBe(first);

        const restarted = run('startArtifactory', {
          Certificate: second,
          CaBundle: ca.pem,
          Restart: 'true',
        });
        expect(restarted).toMatchObject({ status: 0, stderr: '' });
        expect(restarted.stdout.split('\n')).toEqual([
          JSON.stringify({ installed: ca.fingerprint(second), previous: ca.fingerprint(first) }),
          'artifactory.service restarted',
          '',
        ]);
        expect(systemctl()).toBe('systemctl restart artifactory\n');
        expect(readFileSync(crt, 'utf8')).toBe(second);

        // The failure came after the install: the issued certificate is installed, so it is undone.
        const undone = run('rollbackCertificate', { Fingerprint: ca.fingerprint(second) });
        expect(JSON.parse(undone.stdout)).toEqual({ restored: ca.fingerprint(first) });
        expect(readFileSync(crt, 'utf8')).toBe(first);
        // A retried rollback with the same fingerprint: the issued one is no longer installed, nothing changes.
        expect(
          JSON.parse(run('rollbackCertificate', { Fingerprint: ca.fingerprint(second) }).stdout),
        ).toMatchObject({ restored: null });
        expect(readFileSync(crt, 'utf8')).toBe(first);
        // Restart alone restarts, installing nothing.
        expect(run('startArtifactory', { Restart: 'true' })).toEqual({
          status: 0,
          stdout: 'artifactory.service restarted\n',
          stderr: '',
        });
        expect(readFileSync(crt, 'utf8')).toBe(first);
      });

      /** artifactory.tomcat.httpsConnector.enabled in the node's system.yaml (undefined when absent). */
      const connector = (etc: string) =>
        (
          parseYaml(readFileSync(path.join(etc, 'system.yaml'), 'utf8')) as {
            artifactory?: { tomcat?: { httpsConnector?: { enabled?: unknown } } };
          }
        ).artifactory?.tomcat?.httpsConnector?.enabled;

      it('every path that installs a certificate enables the HTTPS connector (8443); Rollback keeps it', () => {
        const ca = opensslCa();
        const bootstrapped = node();
        expect(bootstrapped.run('configureNode', { ...CONFIGURE, KeySize: '2048' }).status).toBe(0);
        expect(connector(bootstrapped.etc)).toBe(true);
        expect(bootstrapped.nodeSection()).toMatchObject({ id: 'i-0123456789abcdef0', primary: false });

        // A node configured before certificates: no connector until a certificate is installed.
        const started = node();
        expect(started.run('configureNode', CONFIGURE).status).toBe(0);
        expect(connector(started.etc)).toBeUndefined();
        const cert = ca.sign(started.run('makeCsr', { KeySize: '2048' }).stdout);
        expect(started.run('startArtifactory', { Certificate: cert, CaBundle: ca.pem }).status).toBe(0);
        expect(connector(started.etc)).toBe(true);

        const rotated = node();
        expect(rotated.run('configureNode', CONFIGURE).status).toBe(0);
        const first = ca.sign(rotated.run('makeCsr', { KeySize: '2048' }).stdout);
        expect(rotated.run('installCertificate', { Certificate: first, CaBundle: ca.pem }).status).toBe(0);
        expect(connector(rotated.etc)).toBe(true);
        const yaml = path.join(rotated.etc, 'system.yaml');
        writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('enabled: true', 'enabled: false'));
        // A refused certificate (no next key: MakeCsr did not run) changes nothing, system.yaml included.
        const stale = ca.sign(started.run('makeCsr', { KeySize: '2048' }).stdout);
        const refused = rotated.run('installCertificate', { Certificate: stale, CaBundle: ca.pem });
        expect(refused).toMatchObject({ status: 1, stdout: '' });
        expect(connector(rotated.etc)).toBe(false);
        // The installed certificate again (a retried command) enables it.
        expect(rotated.run('installCertificate', { Certificate: first, CaBundle: ca.pem }).status).toBe(0);
        expect(connector(rotated.etc)).toBe(true);
        const second = ca.sign(rotated.run('makeCsr', { KeySize: '2048' }).stdout);
        expect(rotated.run('installCertificate', { Certificate: second, CaBundle: ca.pem }).status).toBe(0);
        expect(JSON.parse(rotated.run('rollbackCertificate').stdout)).toEqual({
          restored: ca.fingerprint(first),
        });
        expect(connector(rotated.etc)).toBe(true);
        expect(rotated.nodeSection()).toMatchObject({ id: 'i-0123456789abcdef0', haEnabled: true });
      });

      it('ProbeReadiness asks over HTTPS at the node IP with the cluster CA once the node has its certificate, else over HTTP', () => {
        const { root, etc, run } = node();
        const log = path.join(root, 'curl.log');
        writeFileSync(
          path.join(root, 'bin', 'curl'),
          `#!/usr/bin/env bash
case "$*" in
  *api/token*) echo token ;;
  *placement/region*) echo eu-west-1 ;;
  *local-ipv4*) echo 10.0.1.23 ;;
  *:8082/*)
    echo "$*" >>"${log}"
    for a in "$@"; do [[ $prev == -o ]] && echo '{"code":"OK"}' >"$a"; prev=$a; done
    printf 200 ;;
  *) exit 7 ;;
esac
`,
          { mode: 0o755 },
        );
        const calls = () => readFileSync(log, 'utf8').trimEnd().split('\n');
        expect(run('configureNode', CONFIGURE).status).toBe(0);
        const plain = run('probeReadiness');
        expect(plain).toMatchObject({ status: 0, stderr: '' });
        expect(JSON.parse(plain.stdout)).toMatchObject({ ready: true, routerHealth: 200, scheme: 'http' });
        expect(calls()).toHaveLength(2);
        for (const call of calls()) {
          expect(call).toMatch(
            / http:\/\/localhost:8082\/(router|artifactory)\/api\/v1\/system\/(health|readiness)$/,
          );
          expect(call).not.toContain('--cacert');
        }

        const ca = opensslCa();
        const cert = ca.sign(run('makeCsr', { KeySize: '2048' }).stdout);
        expect(run('installCertificate', { Certificate: cert, CaBundle: ca.pem }).status).toBe(0);
        writeFileSync(log, '');
        const secure = run('probeReadiness');
        expect(secure).toMatchObject({ status: 0, stderr: '' });
        expect(JSON.parse(secure.stdout)).toMatchObject({ ready: true, routerHealth: 200, scheme: 'https' });
        const cacert = path.join(etc, 'security/keys/trusted/cluster-ca.pem');
        expect(calls()).toEqual([
          expect.stringMatching(` --cacert ${cacert} https://10.0.1.23:8082/router/api/v1/system/health$`),
          expect.stringMatching(
            ` --cacert ${cacert} https://10.0.1.23:8082/artifactory/api/v1/system/readiness$`,
          ),
        ]);
      });

      it('ProbeServedCertificate fails without trusted CA files, and reports ports that do not answer', () => {
        const { run } = node();
        const ca = opensslCa();
        const bare = run('probeServedCertificate', { TargetIp: '127.0.0.1' });
        expect(bare).toMatchObject({ status: 1, stdout: '' });
        expect(bare.stderr).toContain('no trusted CA file');
        const cert = ca.sign(run('makeCsr', { KeySize: '2048' }).stdout);
        expect(run('installCertificate', { Certificate: cert, CaBundle: ca.pem }).status).toBe(0);
        const out = run('probeServedCertificate', { TargetIp: '127.0.0.1' });
        expect(out.status).toBe(0);
        const none = { fingerprint: null, verified: false, notAfter: null, error: 'unreachable' };
        expect(JSON.parse(out.stdout)).toEqual({
          target: '127.0.0.1',
          ports: [
            { port: 8082, ...none },
            { port: 8443, ...none },
          ],
        });
        expect(() => run('probeServedCertificate', { TargetIp: '127.0.0.1; id' })).toThrow(/TargetIp/);
        const many = run('probeServedCertificate', { TargetIps: '127.0.0.1,127.0.0.2' });
        expect(many.status).toBe(0);
        expect(
          many.stdout
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l)),
        ).toEqual(
          ['127.0.0.1', '127.0.0.2'].map((target) => ({
            target,
            ports: [
              { port: 8082, ...none },
              { port: 8443, ...none },
            ],
          })),
        );
        const both = run('probeServedCertificate', { TargetIp: '127.0.0.1', TargetIps: '127.0.0.1' });
        expect(both).toMatchObject({ status: 2, stdout: '' });
        expect(both.stderr).toContain('exactly one of TARGET_IP and TARGET_IPS');
        expect(run('probeServedCertificate', {})).toMatchObject({ status: 2, stdout: '' });
        const tooMany = Array.from({ length: 26 }, () => '127.0.0.1').join(',');
        expect(() => run('probeServedCertificate', { TargetIps: tooMany })).toThrow(/TargetIps/);
      });
    });
  });
});
