/**
 * What running each of the project's SSM Run Command documents does on a node in the twin (every action the
 * workflows take on a node is one of them). The documents themselves (names, parameters, timeouts, scripts)
 * are infra/ssm-documents, which the CDK stack deploys: the twin registers them under the same names
 * and with the same parameters, and models what their scripts do. Each runs one `aws:runShellScript` step on
 * the instance; times are those of the commands the step runs. No output ever contains a key value: the keys
 * are fetched on the node, written to `var/etc/security/`, and only their file names are reported.
 */
import {
  clusterDocumentParameters,
  DOCUMENT_KINDS,
  DOCUMENTS,
  type DocumentKind,
  type DocumentSpec,
  documentName,
  documentParameters,
  type ParameterName,
} from '../../infra/ssm-documents';
import type {
  DocumentEffect,
  DocumentOptions,
  NodeStatus,
  NodeSystemYaml,
  SsmContract,
} from '../core/contracts';
import type { Rng } from '../core/rng';
import { CERTIFICATE_EFFECTS, checkPems, configureKeySize, installOn, makeCsrOn } from './cert-documents';
import { readReplicationStatus } from './replication-document';
import { readinessOver } from './tls-ports';

/** How long the documents' own steps take (ms), apart from Artifactory's start and stop (NODE_TIMING). */
export const DOCUMENT_TIMING = {
  /** Fetch two secrets, render system.yaml, install the keys. */
  configure: [5_000, 15_000],
  /** `systemctl start artifactory` returning (the service keeps starting in the background). */
  systemctlStart: [2_000, 5_000],
  /** Two local HTTP calls. */
  probe: [1_000, 3_000],
  /** Rewrite system.yaml before a restart. */
  edit: [1_000, 2_000],
} as const satisfies Record<string, readonly [number, number]>;

type Mode = 'legacy-primary' | 'cloud-native';

type Result = Awaited<ReturnType<DocumentEffect>>;
const ok = (stdout: string): Result => ({ status: 'Success', stdout });
const failed = (stderr: string, stdout = ''): Result => ({
  status: 'Failed',
  stdout,
  stderr,
  responseCode: 1,
});

/**
 * A parameter's value as the script sees it: the value sent, else the document's default (SSM substitutes
 * it); undefined when empty.
 */
function param<K extends DocumentKind>(
  kind: K,
  parameters: Record<string, string[]>,
  name: ParameterName<K>,
): string | undefined {
  const v = parameters[name]?.[0] ?? documentParameters(kind)[name]?.default;
  return v === undefined || v === '' ? undefined : v;
}

const pause = (clock: { sleep(ms: number): Promise<void> }, rng: Rng, range: readonly [number, number]) =>
  clock.sleep(rng.between(range[0], range[1]));

const SYSTEM_YAML = '/opt/jfrog/artifactory/var/etc/system.yaml';
const SECURITY_DIR = '/opt/jfrog/artifactory/var/etc/security';

/**
 * ConfigureNode (configure-node.sh): fetches the master and join keys from Secrets Manager on the node (the
 * instance profile's GetSecretValue), installs them as `master.key` and `join.key`, and writes system.yaml
 * with `node.id` = NodeId (the workflow sends the instance id: avoids JFrog's node-id conflict when an IP is
 * reused), `node.ip` = the instance's private IP, `haEnabled: true`, and `primary: true|false` (legacy) or
 * `taskAffinity` (cloud-native).
 */
const configureNode: DocumentEffect = async ({ instance, parameters, region, clock, rng }) => {
  const keySize = configureKeySize(parameters);
  if (typeof keySize === 'object') return keySize;
  await pause(clock, rng, DOCUMENT_TIMING.configure);
  const get = (name: ParameterName<'configureNode'>) => param('configureNode', parameters, name);
  const mode = get('ClusterMode') as Mode;
  const role = get('Role') as 'primary' | 'member' | undefined;
  const affinity = (get('TaskAffinity') ?? 'any') as 'any' | 'none';
  const nodeId = get('NodeId');
  if (nodeId === undefined) return failed('NodeId is required');
  const keys: Record<'MasterKeySecretId' | 'JoinKeySecretId', string> = {
    MasterKeySecretId: '',
    JoinKeySecretId: '',
  };
  for (const name of ['MasterKeySecretId', 'JoinKeySecretId'] as const) {
    const id = get(name) ?? '';
    const value = region.secretsmanager.valueOf(id);
    if (value === undefined) {
      return failed(
        `An error occurred (ResourceNotFoundException) when calling the GetSecretValue operation: Secrets Manager can't find the specified secret. (${name}=${id})`,
      );
    }
    keys[name] = value;
  }
  const base = { nodeId, nodeIp: instance.privateIp, haEnabled: true };
  let yaml: NodeSystemYaml;
  if (mode === 'cloud-native') yaml = { ...base, taskAffinity: affinity };
  else if (role !== undefined) yaml = { ...base, role };
  else return failed('Role is required when ClusterMode is legacy-primary');
  instance.node.configure(yaml, { masterKey: keys.MasterKeySecretId, joinKey: keys.JoinKeySecretId });
  // With KeySize, the HTTPS connector enabled, then the key and CSR exactly as MakeCsr (the CSR PEM after the
  // usual lines).
  if (keySize !== undefined) instance.node.tls.enableHttpsConnector();
  const csr = keySize === undefined ? [] : [(await makeCsrOn(instance, keySize, clock, rng)).trimEnd()];
  return ok(
    [
      `installed ${SECURITY_DIR}/master.key from Secrets Manager`,
      `installed ${SECURITY_DIR}/join.key from Secrets Manager`,
      `wrote ${SYSTEM_YAML}: shared.node.id=${yaml.nodeId} shared.node.ip=${yaml.nodeIp} shared.node.haEnabled=true ${
        yaml.taskAffinity !== undefined
          ? `shared.node.taskAffinity=${yaml.taskAffinity}`
          : `shared.node.primary=${role === 'primary'}`
      }`,
      ...csr,
    ].join('\n'),
  );
};

/**
 * StartArtifactory (start-artifactory.sh): `systemctl start artifactory`; readiness is probed separately. With
 * Certificate and CaBundle, installs them first exactly as InstallCertificate (its JSON line comes first). With
 * Restart true, restarts Artifactory instead (after the install), as SetPrimaryRole does.
 */
const startArtifactory: DocumentEffect = async ({ instance, parameters, clock, rng }) => {
  const certificate = param('startArtifactory', parameters, 'Certificate') ?? '';
  const caBundle = param('startArtifactory', parameters, 'CaBundle') ?? '';
  if ((certificate === '') !== (caBundle === '')) {
    return { ...failed('invalid parameters: CERTIFICATE and CA_BUNDLE go together'), responseCode: 2 };
  }
  const bad = checkPems(certificate, caBundle, true);
  if (bad) return bad;
  if (certificate !== '' && !instance.node.systemYaml) {
    return failed(`${SYSTEM_YAML} is not configured (${SYSTEM_YAML} is missing): run ConfigureNode first`);
  }
  const lines: string[] = [];
  if (certificate !== '') {
    const installed = installOn(instance, certificate, caBundle);
    if (installed.status !== 'Success') return installed;
    lines.push(installed.stdout);
  }
  if (param('startArtifactory', parameters, 'Restart') === 'true') {
    // `systemctl restart` (https://www.freedesktop.org/software/systemd/man/latest/systemctl.html): stops the
    // unit if running, then starts it; as slow as SetPrimaryRole's restart.
    const restarted = await instance.node.restart();
    if (!restarted.started)
      return failed(`Job for artifactory.service failed: ${restarted.reason}`, lines.join('\n'));
    lines.push('artifactory.service restarted');
    return ok(lines.join('\n'));
  }
  const wasUp = instance.node.status === 'starting' || instance.node.status === 'running';
  await pause(clock, rng, DOCUMENT_TIMING.systemctlStart);
  const result = instance.node.start();
  if (!result.started)
    return failed(`Job for artifactory.service failed: ${result.reason}`, lines.join('\n'));
  lines.push(wasUp ? 'artifactory.service is already active' : 'artifactory.service started');
  return ok(lines.join('\n'));
};

/** StopArtifactory (stop-artifactory.sh): graceful `systemctl stop artifactory` (waits until stopped). */
const stopArtifactory: DocumentEffect = async ({ instance }) => {
  await instance.node.stop();
  return ok('artifactory.service stopped');
};

/**
 * What `systemctl is-active artifactory` prints for each state of the node (systemctl(1), `is-active`: active,
 * inactive, failed, deactivating, ...). The service forks: it is active once `systemctl start` has returned,
 * while Artifactory is still starting; a start that failed leaves the unit failed.
 */
const SYSTEMD_STATE: Readonly<Record<NodeStatus, string>> = {
  unconfigured: 'inactive',
  stopped: 'inactive',
  starting: 'active',
  running: 'active',
  stopping: 'deactivating',
  failed: 'failed',
};

/** ProbeReadiness's interval between probes on the node when it waits (probe-readiness.sh). */
export const PROBE_INTERVAL_MS = 5_000;

/**
 * ProbeReadiness (probe-readiness.sh): on the node, `GET /artifactory/api/v1/system/readiness` and
 * `GET /router/api/v1/system/health`, and the service's systemd state; prints one JSON line. With WaitSeconds
 * it probes again every 5 s until the node is ready, its service has failed, or WaitSeconds have passed (at
 * most WaitSeconds / 5 more probes), and prints the last probe. A node with custom-server.crt on disk is asked
 * over HTTPS at its shared.node.ip, verified with its cluster CA file; one without, over HTTP at localhost
 * (what each gets: sim/services/tls-ports.ts).
 */
const probeReadiness: DocumentEffect = async ({ instance, parameters, tls, clock, rng }) => {
  const waitSeconds = Number(param('probeReadiness', parameters, 'WaitSeconds') ?? '0');
  if (!(Number.isInteger(waitSeconds) && waitSeconds >= 0 && waitSeconds <= 300)) {
    return { ...failed('invalid parameter WAIT_SECONDS: must be 0-300'), responseCode: 2 };
  }
  const timeout = Number(param('probeReadiness', parameters, 'ExecutionTimeout') ?? '60');
  if (!(Number.isInteger(timeout) && timeout >= 60 && timeout <= 360 && waitSeconds + 60 <= timeout)) {
    return {
      ...failed('invalid parameters: EXECUTION_TIMEOUT must be at least WAIT_SECONDS + 60'),
      responseCode: 2,
    };
  }
  const probesLeft = Math.floor((waitSeconds * 1000) / PROBE_INTERVAL_MS);
  const deadline = clock.now() + waitSeconds * 1000;
  const node = instance.node;
  const scheme = node.tls.installed !== undefined ? 'https' : 'http';
  const over = () =>
    readinessOver(node, scheme, {
      tls: tls ?? 'off',
      ip: node.systemYaml?.nodeIp ?? instance.privateIp,
      now: clock.now(),
    });
  let answer = over();
  for (let probe = 0; ; probe++) {
    await pause(clock, rng, DOCUMENT_TIMING.probe);
    answer = over();
    if (answer.ready || node.status === 'failed' || probe >= probesLeft || clock.now() >= deadline) break;
    await clock.sleep(PROBE_INTERVAL_MS);
  }
  return ok(
    JSON.stringify({
      ready: answer.ready,
      routerHealth: answer.routerHealth,
      role: node.role ?? null,
      taskAffinity: node.taskAffinity ?? null,
      nodeId: node.nodeId ?? null,
      service: SYSTEMD_STATE[node.status],
      scheme,
      status: node.status,
      ...(node.failureReason !== undefined ? { failureReason: node.failureReason } : {}),
    }),
  );
};

/** What SetPrimaryRole writes for each Role: `shared.node.primary` (legacy-primary) or `taskAffinity`. */
const ROLE_TARGETS = {
  primary: { legacy: 'primary', cloudNative: 'any' },
  member: { legacy: 'member', cloudNative: 'none' },
} as const satisfies Record<string, { legacy: 'primary' | 'member'; cloudNative: 'any' | 'none' }>;

/**
 * SetPrimaryRole (set-primary-role.sh): Role primary sets `primary: true` / `taskAffinity: any`, Role member
 * `primary: false` / `taskAffinity: none`, then restarts: as slow as a start. With Service stop it stops
 * Artifactory instead (graceful, waited for) and starts nothing.
 */
const setPrimaryRole: DocumentEffect = async ({ instance, parameters, clock, rng }) => {
  // SendCommand rejects any other Role (documentOptions); the script checks it again and exits 2.
  const role = param('setPrimaryRole', parameters, 'Role');
  if (role !== 'primary' && role !== 'member') {
    return { ...failed('invalid parameter ROLE: must match ^(primary|member)$'), responseCode: 2 };
  }
  const target = ROLE_TARGETS[role];
  const node = instance.node;
  const yaml = node.systemYaml;
  if (!yaml) return failed(`${SYSTEM_YAML} is not configured`);
  await pause(clock, rng, DOCUMENT_TIMING.edit);
  const mode: Mode =
    (param('setPrimaryRole', parameters, 'ClusterMode') as Mode | undefined) ??
    (yaml.taskAffinity !== undefined ? 'cloud-native' : 'legacy-primary');
  const base = { nodeId: yaml.nodeId, nodeIp: yaml.nodeIp, haEnabled: yaml.haEnabled };
  const next: NodeSystemYaml =
    mode === 'cloud-native'
      ? { ...base, taskAffinity: target.cloudNative }
      : { ...base, role: target.legacy };
  node.configure(next);
  const edited =
    mode === 'cloud-native'
      ? `shared.node.taskAffinity=${target.cloudNative}`
      : `shared.node.primary=${target.legacy === 'primary'}`;
  if (param('setPrimaryRole', parameters, 'Service') === 'stop') {
    await node.stop();
    return ok(`wrote ${SYSTEM_YAML}: ${edited}\nartifactory.service stopped`);
  }
  const result = await node.restart();
  if (!result.started)
    return failed(`Job for artifactory.service failed: ${result.reason}`, `wrote ${SYSTEM_YAML}: ${edited}`);
  return ok(`wrote ${SYSTEM_YAML}: ${edited}\nartifactory.service restarted`);
};

const EFFECTS: Readonly<Record<DocumentKind, DocumentEffect>> = {
  configureNode,
  startArtifactory,
  stopArtifactory,
  probeReadiness,
  setPrimaryRole,
  ...CERTIFICATE_EFFECTS,
  readReplicationStatus,
};

/**
 * What SendCommand checks for a document, from its definition: a parameter without a default is required;
 * one with a closed set of values accepts only those (and empty, when its default is empty). The twin does
 * not check the other parameters' `allowedPattern`s. With the cluster, the parameters are the deployed ones
 * (ConfigureNode's secret ids admit exactly the cluster's two key secrets): SendCommand refuses a value its
 * parameter's `allowedPattern` does not match with InvalidParameters (AWS Systems Manager User Guide, "Data
 * elements and parameters", `allowedPattern`; API Reference, SendCommand errors).
 */
export function documentOptions(kind: DocumentKind, cluster?: string): DocumentOptions {
  const parameters: Record<string, { required?: boolean; allowedValues?: readonly string[] }> = {};
  const declared =
    cluster === undefined ? documentParameters(kind) : clusterDocumentParameters(kind, cluster);
  for (const [name, p] of Object.entries(declared)) {
    parameters[name] = {
      required: p.default === undefined,
      ...(p.allowedValues !== undefined
        ? { allowedValues: p.default === '' ? ['', ...p.allowedValues] : p.allowedValues }
        : {}),
    };
  }
  const spec: DocumentSpec = DOCUMENTS[kind];
  const timeoutDefault =
    spec.timeoutParameter !== undefined ? declared[spec.timeoutParameter]?.default : undefined;
  return {
    parameters,
    executionTimeoutSeconds: spec.timeoutSeconds,
    ...(spec.timeoutParameter !== undefined && timeoutDefault !== undefined
      ? { executionTimeoutParameter: { name: spec.timeoutParameter, default: timeoutDefault } }
      : {}),
  };
}

/**
 * Registers every project document on a region's SSM under the names the control-plane stack gives them
 * (`${cluster}-ConfigureNode`, ...). The world's setup calls it once per region (sim/setup.ts).
 */
export function registerProjectDocuments(ssm: SsmContract, cluster: string): void {
  // As deployed for the cluster: ConfigureNode admits only the cluster's two key secrets.
  for (const kind of DOCUMENT_KINDS)
    ssm.registerDocument(documentName(cluster, kind), EFFECTS[kind], documentOptions(kind, cluster));
}
