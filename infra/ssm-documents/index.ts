/**
 * The project's SSM Run Command documents: every action the workflows take on a node is one of them.
 * Each is a schema 2.2 Command document with one `aws:runShellScript` step whose commands are a header that
 * assigns each parameter to a shell variable, then lib.sh (strict mode, the node's paths and the helpers the
 * scripts share), then the step's script from this directory. SSM substitutes `{{ Param }}` only in the
 * header, inside single quotes, and every parameter's `allowedPattern` excludes quotes and shell
 * metacharacters, so a value can never become shell code; the scripts validate them again.
 *
 * The twin registers the same documents, under the same names and parameters (sim/services/documents.ts).
 * No CDK here: the twin imports this module (the construct is in ./construct.ts).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const DOCUMENT_KINDS = [
  'configureNode',
  'startArtifactory',
  'stopArtifactory',
  'probeReadiness',
  'setPrimaryRole',
  'makeCsr',
  'installCertificate',
  'rollbackCertificate',
  'probeServedCertificate',
  'readReplicationStatus',
] as const;

export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

/** One document parameter: always a String that must match `allowedPattern`. */
export interface ParameterSpec {
  /** The shell variable the document's header assigns the value to. */
  readonly variable: string;
  readonly description: string;
  readonly allowedPattern: string;
  /** The closed set `allowedPattern` describes, when there is one (the twin checks values against it). */
  readonly allowedValues?: readonly string[];
  /** What SSM substitutes when the parameter is not sent; no default = required. */
  readonly default?: string;
}

export interface DocumentSpec {
  /** The name is `${cluster}-${suffix}`. */
  readonly suffix: string;
  /** The script in this directory that is the step's body. */
  readonly script: string;
  readonly description: string;
  /**
   * The step's execution timeout; each script bounds its own waits below it. With `timeoutParameter`, the
   * largest value that parameter allows.
   */
  readonly timeoutSeconds: number;
  /**
   * A parameter whose value is the step's `timeoutSeconds` (`{{ Name }}`), as AWS-RunShellScript's
   * `executionTimeout` is: a command that waits long asks for a long timeout, a quick one keeps a short one.
   */
  readonly timeoutParameter?: string;
  readonly parameters: Readonly<Record<string, ParameterSpec>>;
}

/** `^(a|b)$`, or `^(a|b)?$` when empty is allowed: a pattern SSM, JavaScript and bash read alike. */
function oneOf(
  values: readonly string[],
  optional = false,
): Pick<ParameterSpec, 'allowedPattern' | 'allowedValues'> {
  return { allowedPattern: `^(${values.join('|')})${optional ? '?' : ''}$`, allowedValues: values };
}

const ROLES = ['primary', 'member'] as const;
const TASK_AFFINITIES = ['any', 'none'] as const;
const CLUSTER_MODES = ['legacy-primary', 'cloud-native'] as const;
const SERVICE_ACTIONS = ['restart', 'stop'] as const;

/** A Secrets Manager secret name or ARN (letters, digits, `/_+=.@-`, and `:` in an ARN). */
const SECRET_ID_PATTERN = '^[A-Za-z0-9/_+=.@:-]{1,2048}$';

const KEY_SIZES = ['2048', '3072', '4096'] as const;

/**
 * PEM certificates, as the signer returns them: one block (a leaf) or one or more (a CA bundle). Base64 and
 * whitespace only between the armour lines, so no quote, `$` or backtick can reach the shell; `\s` reads the same
 * in SSM, JavaScript and bash (glibc). The scripts bound the length (a leaf 16 KiB, a bundle 32 KiB).
 */
const PEM_BLOCK = '-----BEGIN CERTIFICATE-----(\\s|[A-Za-z0-9+/=])+-----END CERTIFICATE-----\\s*';
export const CERTIFICATE_PATTERN = `^${PEM_BLOCK}$`;
export const CA_BUNDLE_PATTERN = `^(${PEM_BLOCK})+$`;
/** An IPv4 address (a node's private IP). */
const IPV4 = '[0-9]{1,3}(\\.[0-9]{1,3}){3}';
/**
 * How many targets one ProbeServedCertificate command may probe: each costs at most two 10-s connect bounds
 * (20 s), so 25 stay under the document's 600-s timeout, and 25 result lines (about 360 characters each)
 * under the 24,000 characters of standard output GetCommandInvocation returns (SSM API reference,
 * GetCommandInvocation StandardOutputContent).
 */
export const PROBE_TARGETS_MAX = 25;
/** TargetIps: one to PROBE_TARGETS_MAX IPv4 addresses, comma-separated; empty when TargetIp is used. */
export const TARGET_IPS_PATTERN = `^(${IPV4}(,${IPV4}){0,${PROBE_TARGETS_MAX - 1}})?$`;

/**
 * How many repositories one ReadReplicationStatus command reads: each request is bounded at 10 s, so 20 stay
 * well under the document's 300-s timeout, and 20 result lines under GetCommandInvocation's 24,000 characters.
 */
export const REPLICATION_REPOS_MAX = 20;
/** Repository keys, comma-separated (1 to REPLICATION_REPOS_MAX; infra/config/schema.ts's key pattern). */
export const REPO_KEYS_PATTERN = `^[A-Za-z0-9._-]{1,64}(,[A-Za-z0-9._-]{1,64}){0,${REPLICATION_REPOS_MAX - 1}}$`;

/** The mode for SetPrimaryRole: optional, the script reads it from system.yaml when empty. */
const detectableMode: ParameterSpec = {
  variable: 'CLUSTER_MODE',
  description: 'legacy-primary or cloud-native; empty: the mode system.yaml on the node already shows.',
  ...oneOf(CLUSTER_MODES, true),
  default: '',
};

export const DOCUMENTS = {
  configureNode: {
    suffix: 'ConfigureNode',
    script: 'configure-node.sh',
    description:
      'Installs the cluster master and join keys from Secrets Manager on the node and writes the node section of system.yaml (id, ip, haEnabled, primary or taskAffinity).',
    timeoutSeconds: 300,
    parameters: {
      Role: {
        variable: 'ROLE',
        description:
          'The role of the node, from its Auto Scaling group (legacy-primary: shared.node.primary).',
        ...oneOf(ROLES),
      },
      TaskAffinity: {
        variable: 'TASK_AFFINITY',
        description: 'cloud-native: shared.node.taskAffinity (any: the node runs cluster tasks).',
        ...oneOf(TASK_AFFINITIES),
        default: 'any',
      },
      ClusterMode: {
        variable: 'CLUSTER_MODE',
        description: 'legacy-primary (Artifactory before 7.17.4, one primary) or cloud-native.',
        ...oneOf(CLUSTER_MODES),
      },
      NodeId: {
        variable: 'NODE_ID',
        description:
          'shared.node.id: the instance id (never reused, so JFrog never sees a known id with a new IP).',
        allowedPattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
      },
      MasterKeySecretId: {
        variable: 'MASTER_KEY_SECRET_ID',
        description: 'Name or ARN of the secret holding the master key (read on the node only).',
        allowedPattern: SECRET_ID_PATTERN,
      },
      JoinKeySecretId: {
        variable: 'JOIN_KEY_SECRET_ID',
        description: 'Name or ARN of the secret holding the join key (read on the node only).',
        allowedPattern: SECRET_ID_PATTERN,
      },
      KeySize: {
        variable: 'KEY_SIZE',
        description:
          'Empty, or the RSA key size: also make the TLS key custom-server.key.next on the node and print a CSR for it (as MakeCsr) after the usual lines, and enable the HTTPS connector (8443) in system.yaml.',
        ...oneOf(KEY_SIZES, true),
        default: '',
      },
    },
  },
  startArtifactory: {
    suffix: 'StartArtifactory',
    script: 'start-artifactory.sh',
    description:
      'Starts the artifactory service on a configured node; readiness is probed separately. With Certificate and CaBundle, installs them first (as InstallCertificate); with Restart true, restarts the service instead (a rotation: install and restart in one command).',
    timeoutSeconds: 300,
    parameters: {
      Certificate: {
        variable: 'CERTIFICATE',
        description: 'Empty, or the leaf certificate (PEM) to install before the start (with CaBundle).',
        allowedPattern: `^(${PEM_BLOCK})?$`,
        default: '',
      },
      CaBundle: {
        variable: 'CA_BUNDLE',
        description:
          'Empty, or the CA certificates (PEM) to trust, installed before the start (with Certificate).',
        allowedPattern: `^(${PEM_BLOCK})*$`,
        default: '',
      },
      Restart: {
        variable: 'RESTART',
        description:
          'Empty, or true: restart the service (bounded like the start) after the optional install, so that a rotated certificate is applied in one command.',
        allowedPattern: '^(true)?$',
        default: '',
      },
    },
  },
  stopArtifactory: {
    suffix: 'StopArtifactory',
    script: 'stop-artifactory.sh',
    description:
      'Stops the artifactory service gracefully and waits, for a bounded time, until it has stopped.',
    timeoutSeconds: 600,
    parameters: {},
  },
  probeReadiness: {
    suffix: 'ProbeReadiness',
    script: 'probe-readiness.sh',
    description:
      'Probes readiness and router health on the node (HTTPS at its IP with the cluster CA once it has its certificate, else HTTP) and prints one JSON line (ready, routerHealth, role, scheme); with WaitSeconds, probes every 5 s on the node until it is ready, its service failed, or WaitSeconds passed.',
    timeoutSeconds: 360,
    timeoutParameter: 'ExecutionTimeout',
    parameters: {
      ExecutionTimeout: {
        variable: 'EXECUTION_TIMEOUT',
        description:
          "The step's execution timeout (60-360 s; at least WaitSeconds + 60): a probe of a node that stops answering ends with it.",
        allowedPattern: '^([6-9][0-9]|[1-2][0-9][0-9]|3[0-5][0-9]|360)$',
        default: '60',
      },
      WaitSeconds: {
        variable: 'WAIT_SECONDS',
        description:
          'How long to wait on the node for readiness (0-300 s, probing every 5 s); 0 probes once.',
        allowedPattern: '^([0-9]|[1-9][0-9]|[1-2][0-9][0-9]|300)$',
        default: '0',
      },
    },
  },
  setPrimaryRole: {
    suffix: 'SetPrimaryRole',
    script: 'set-primary-role.sh',
    description:
      'Makes the node the primary (Role primary: primary: true, or taskAffinity: any in cloud-native mode) or a member (Role member: primary: false, or taskAffinity: none) and restarts Artifactory (or, with Service stop, stops it).',
    timeoutSeconds: 600,
    parameters: {
      Role: {
        variable: 'ROLE',
        description:
          'primary: the node becomes the primary (runs cluster tasks); member: it becomes a member (runs none).',
        ...oneOf(ROLES),
      },
      ClusterMode: detectableMode,
      Service: {
        variable: 'SERVICE_ACTION',
        description:
          'restart: apply the role now; stop: write it and leave Artifactory stopped (a quarantined node).',
        ...oneOf(SERVICE_ACTIONS),
        default: 'restart',
      },
    },
  },
  makeCsr: {
    suffix: 'MakeCsr',
    script: 'make-csr.sh',
    description:
      "Makes a new RSA key on the node (custom-server.key.next, mode 0600, never printed) and prints only a CSR for it with CN and SAN IP = the node's private IP.",
    timeoutSeconds: 120,
    parameters: {
      KeySize: {
        variable: 'KEY_SIZE',
        description: 'The RSA key size in bits.',
        ...oneOf(KEY_SIZES),
      },
    },
  },
  installCertificate: {
    suffix: 'InstallCertificate',
    script: 'install-certificate.sh',
    description:
      'Installs the certificate with the key made by MakeCsr as the router custom-server.crt/.key and the CA bundle in etc/security/keys/trusted/, keeping the current ones as *.previous, and enables the HTTPS connector (8443) in system.yaml; refuses a certificate that does not match the key; starts nothing.',
    timeoutSeconds: 60,
    parameters: {
      Certificate: {
        variable: 'CERTIFICATE',
        description: 'The leaf certificate (PEM) the cluster CA issued for the CSR of MakeCsr.',
        allowedPattern: CERTIFICATE_PATTERN,
      },
      CaBundle: {
        variable: 'CA_BUNDLE',
        description: 'Every CA certificate the node must trust (PEM), the issuing one first.',
        allowedPattern: CA_BUNDLE_PATTERN,
      },
    },
  },
  rollbackCertificate: {
    suffix: 'RollbackCertificate',
    script: 'rollback-certificate.sh',
    description:
      'Restores the certificate, key and CA file InstallCertificate kept as *.previous (fails when there are none); with Fingerprint, only when the installed certificate has it (else changes nothing: {"restored":null}); system.yaml keeps the HTTPS connector; starts nothing.',
    timeoutSeconds: 60,
    parameters: {
      Fingerprint: {
        variable: 'FINGERPRINT',
        description:
          'Empty, or the SHA-256 (64 lowercase hex digits) of the certificate whose install is undone: restores only when it is the installed one.',
        allowedPattern: '^([0-9a-f]{64})?$',
        default: '',
      },
    },
  },
  probeServedCertificate: {
    suffix: 'ProbeServedCertificate',
    script: 'probe-served-certificate.sh',
    description:
      "Run on a peer node: connects to each target (TargetIp, or every IP of TargetIps) on 8082 and 8443 and verifies the served certificate against this node's trusted CA files and the target IP; prints one JSON line per target.",
    timeoutSeconds: 600,
    parameters: {
      TargetIp: {
        variable: 'TARGET_IP',
        description: 'The private IP of the one node whose served certificate is probed (or TargetIps).',
        allowedPattern: `^(${IPV4})?$`,
        default: '',
      },
      TargetIps: {
        variable: 'TARGET_IPS',
        description: `Several private IPs, comma-separated (at most ${PROBE_TARGETS_MAX}), probed in this order (or TargetIp).`,
        allowedPattern: TARGET_IPS_PATTERN,
        default: '',
      },
    },
  },
  readReplicationStatus: {
    suffix: 'ReadReplicationStatus',
    script: 'read-replication-status.sh',
    description:
      "Reads Artifactory's replication status of each repository (GET /artifactory/api/replication/{repoKey}) on the node, with an access token fetched on the node from Secrets Manager and passed to curl in a header file (never printed); prints one JSON line per repository.",
    timeoutSeconds: 300,
    parameters: {
      RepoKeys: {
        variable: 'REPO_KEYS',
        description: `The repository keys, comma-separated (at most ${REPLICATION_REPOS_MAX}).`,
        allowedPattern: REPO_KEYS_PATTERN,
      },
      TokenSecretId: {
        variable: 'TOKEN_SECRET_ID',
        description:
          'Name or ARN of the secret holding an Artifactory access token allowed to read replication status (read on the node only).',
        allowedPattern: SECRET_ID_PATTERN,
      },
    },
  },
} as const satisfies Readonly<Record<DocumentKind, DocumentSpec>>;

/**
 * The execution timeout of a command of this document sent with these parameters: the document's own, or the
 * value of its timeout parameter (sent, else its default), never above the document's largest.
 */
export function commandRunBoundSeconds(kind: DocumentKind, parameters: Record<string, unknown> = {}): number {
  const spec: DocumentSpec = DOCUMENTS[kind];
  if (spec.timeoutParameter === undefined) return spec.timeoutSeconds;
  const sent = parameters[spec.timeoutParameter];
  const value = Number(
    Array.isArray(sent) ? sent[0] : (sent ?? spec.parameters[spec.timeoutParameter]?.default),
  );
  return Number.isInteger(value) && value > 0 ? Math.min(spec.timeoutSeconds, value) : spec.timeoutSeconds;
}

/** The parameter names of one kind of document, as the workflows send them. */
export type ParameterName<K extends DocumentKind> = keyof (typeof DOCUMENTS)[K]['parameters'] & string;

/** The document's name in a cluster's account and region, e.g. `prod-ConfigureNode`. */
export function documentName(cluster: string, kind: DocumentKind): string {
  return `${cluster}-${DOCUMENTS[kind].suffix}`;
}

/** Every document's name in a cluster. */
export function documentNames(cluster: string): Readonly<Record<DocumentKind, string>> {
  return Object.fromEntries(DOCUMENT_KINDS.map((k) => [k, documentName(cluster, k)])) as Record<
    DocumentKind,
    string
  >;
}

/** The parameters of a document, as its `parameters` section declares them. */
export function documentParameters(kind: DocumentKind): Readonly<Record<string, ParameterSpec>> {
  return DOCUMENTS[kind].parameters;
}

/**
 * The only secrets ConfigureNode may read in a cluster: its master and join keys (`keySecretNames` in
 * infra/node-lifecycle.ts names the same; test/infra checks they agree).
 */
export function clusterKeySecretIds(cluster: string): { MasterKeySecretId: string; JoinKeySecretId: string } {
  return { MasterKeySecretId: `${cluster}/master-key`, JoinKeySecretId: `${cluster}/join-key` };
}

/** The only secret ReadReplicationStatus may read in a cluster: the access token for the replication API. */
export function clusterReplicationTokenSecretId(cluster: string): string {
  return `${cluster}/replication-token`;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A document's parameters as deployed for one cluster. The documents are per cluster, so ConfigureNode's two
 * secret ids admit exactly the cluster's two key secrets (names, as node-bootstrap sends them): a caller
 * allowed to send the document cannot make a node read another secret. The scripts keep validating the
 * generic {@link DOCUMENTS} patterns (a superset), which are cluster-independent.
 */
export function clusterDocumentParameters(
  kind: DocumentKind,
  cluster: string,
): Readonly<Record<string, ParameterSpec>> {
  const parameters = documentParameters(kind);
  const exactly = (value: string): Pick<ParameterSpec, 'allowedPattern' | 'allowedValues'> => ({
    allowedPattern: `^${escapeRegExp(value)}$`,
    allowedValues: [value],
  });
  if (kind === 'readReplicationStatus') {
    const token = clusterReplicationTokenSecretId(cluster);
    return {
      ...parameters,
      TokenSecretId: {
        ...(parameters.TokenSecretId as ParameterSpec),
        description: `The secret holding the replication API's access token: ${token} (read on the node only).`,
        ...exactly(token),
      },
    };
  }
  if (kind !== 'configureNode') return parameters;
  const secrets = clusterKeySecretIds(cluster);
  return {
    ...parameters,
    MasterKeySecretId: {
      ...(parameters.MasterKeySecretId as ParameterSpec),
      description: `The secret holding the master key: ${secrets.MasterKeySecretId} (read on the node only).`,
      ...exactly(secrets.MasterKeySecretId),
    },
    JoinKeySecretId: {
      ...(parameters.JoinKeySecretId as ParameterSpec),
      description: `The secret holding the join key: ${secrets.JoinKeySecretId} (read on the node only).`,
      ...exactly(secrets.JoinKeySecretId),
    },
  };
}

/** The absolute path of a document's script. */
export function scriptPath(kind: DocumentKind): string {
  return path.join(__dirname, DOCUMENTS[kind].script);
}

/** The library every document runs between its header and its script (not a script of its own). */
export const LIB_SCRIPT = 'lib.sh';

/** The absolute path of lib.sh. */
export function libPath(): string {
  return path.join(__dirname, LIB_SCRIPT);
}

/** `ROLE='{{ Role }}'`: the only lines of a document where SSM substitutes parameters. */
export function headerLines(kind: DocumentKind): string[] {
  return Object.entries(documentParameters(kind)).map(([name, p]) => `${p.variable}='{{ ${name} }}'`);
}

/** An SSM schema 2.2 Command document's content (as `AWS::SSM::Document` `Content` takes it). */
export interface CommandDocumentContent {
  readonly schemaVersion: '2.2';
  readonly description: string;
  readonly parameters: Record<
    string,
    { type: 'String'; description: string; allowedPattern: string; default?: string }
  >;
  readonly mainSteps: [
    {
      action: 'aws:runShellScript';
      name: string;
      precondition: { StringEquals: ['platformType', 'Linux'] };
      inputs: { timeoutSeconds: string; runCommand: string[] };
    },
  ];
}

const SHEBANG = '#!/usr/bin/env bash';

/** A file of this directory as lines, without trailing newlines; throws on `{{` (SSM would substitute it). */
function sourceLines(file: string): string[] {
  const lines = readFileSync(path.join(__dirname, file), 'utf8').replace(/\n+$/, '').split('\n');
  const substituted = lines.findIndex((l) => l.includes('{{'));
  if (substituted >= 0) {
    throw new Error(
      `${file}:${substituted + 1} contains "{{": SSM would substitute it; parameters come from the header`,
    );
  }
  return lines;
}

/**
 * The commands of a document's step, as SSM Agent writes them to the file it runs: the script's shebang (SSM
 * Agent runs the commands as an executable file, so the kernel picks bash), the header, lib.sh, and the rest
 * of the script. Throws when the script is not a bash script, or when lib.sh or the script contains `{{`.
 */
export function documentCommands(kind: DocumentKind): string[] {
  const spec: DocumentSpec = DOCUMENTS[kind];
  const [shebang, ...body] = sourceLines(spec.script);
  if (shebang !== SHEBANG) {
    throw new Error(`${spec.script} must start with ${SHEBANG} (found ${JSON.stringify(shebang)})`);
  }
  return [shebang, ...headerLines(kind), ...sourceLines(LIB_SCRIPT), ...body];
}

/**
 * Builds a document: its parameters, and one `aws:runShellScript` step running `documentCommands`. With a
 * cluster, the parameters are the cluster's ({@link clusterDocumentParameters}), as the stack deploys them.
 */
export function documentContent(kind: DocumentKind, cluster?: string): CommandDocumentContent {
  const spec: DocumentSpec = DOCUMENTS[kind];
  const parameters: CommandDocumentContent['parameters'] = {};
  const declared = cluster === undefined ? spec.parameters : clusterDocumentParameters(kind, cluster);
  for (const [name, p] of Object.entries(declared)) {
    parameters[name] = {
      type: 'String',
      description: p.description,
      allowedPattern: p.allowedPattern,
      ...(p.default !== undefined ? { default: p.default } : {}),
    };
  }
  return {
    schemaVersion: '2.2',
    description: spec.description,
    parameters,
    mainSteps: [
      {
        action: 'aws:runShellScript',
        name: spec.suffix,
        precondition: { StringEquals: ['platformType', 'Linux'] },
        inputs: {
          // AWS-RunShellScript feeds its executionTimeout parameter to its step the same way.
          timeoutSeconds:
            spec.timeoutParameter !== undefined
              ? `{{ ${spec.timeoutParameter} }}`
              : String(spec.timeoutSeconds),
          runCommand: documentCommands(kind),
        },
      },
    ],
  };
}
