/**
 * The project's SSM Run Command documents (DESIGN §2.2: every action on a node is one of them) and what
 * running each does on a node in the twin. Each runs one `aws:runShellScript` step on the instance; times
 * are those of the commands the step runs. No output ever contains a key value: the keys are fetched on the
 * node, written to `var/etc/security/`, and only their file names are reported.
 */
import type { DocumentEffect, DocumentOptions, NodeSystemYaml, SsmContract } from '../core/contracts';
import type { Rng } from '../core/rng';

export const DocumentNames = {
  configureNode: 'ArtifactoryHA-ConfigureNode',
  startArtifactory: 'ArtifactoryHA-StartArtifactory',
  stopArtifactory: 'ArtifactoryHA-StopArtifactory',
  probeReadiness: 'ArtifactoryHA-ProbeReadiness',
  promotePrimary: 'ArtifactoryHA-PromotePrimary',
  demotePrimary: 'ArtifactoryHA-DemotePrimary',
} as const;

export type DocumentName = (typeof DocumentNames)[keyof typeof DocumentNames];

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

const CLUSTER_MODES = ['legacy-primary', 'cloud-native'] as const;
type Mode = (typeof CLUSTER_MODES)[number];

type Result = Awaited<ReturnType<DocumentEffect>>;
const ok = (stdout: string): Result => ({ status: 'Success', stdout });
const failed = (stderr: string, stdout = ''): Result => ({
  status: 'Failed',
  stdout,
  stderr,
  responseCode: 1,
});

const one = (parameters: Record<string, string[]>, name: string): string | undefined => {
  const v = parameters[name]?.[0];
  return v === undefined || v === '' ? undefined : v;
};

const pause = (clock: { sleep(ms: number): Promise<void> }, rng: Rng, range: readonly [number, number]) =>
  clock.sleep(rng.between(range[0], range[1]));

const SYSTEM_YAML = '/opt/jfrog/artifactory/var/etc/system.yaml';
const SECURITY_DIR = '/opt/jfrog/artifactory/var/etc/security';

/**
 * `ArtifactoryHA-ConfigureNode`: fetches the master and join keys from Secrets Manager on the node (the
 * instance profile's GetSecretValue), installs them as `master.key` and `join.key`, and writes system.yaml
 * with `node.id` = the instance id (avoids JFrog's node-id conflict when an IP is reused), `node.ip` = the
 * instance's private IP, `haEnabled: true`, and `primary: true|false` (legacy) or `taskAffinity` (cloud-native).
 */
const configureNode: DocumentEffect = async ({ instance, parameters, region, clock, rng }) => {
  await pause(clock, rng, DOCUMENT_TIMING.configure);
  const mode = one(parameters, 'ClusterMode') as Mode;
  const role = one(parameters, 'Role') as 'primary' | 'member' | undefined;
  const affinity = (one(parameters, 'TaskAffinity') ?? 'any') as 'any' | 'none';
  const keys: Record<'MasterKeySecretId' | 'JoinKeySecretId', string> = {
    MasterKeySecretId: '',
    JoinKeySecretId: '',
  };
  for (const param of ['MasterKeySecretId', 'JoinKeySecretId'] as const) {
    const id = one(parameters, param) ?? '';
    const value = region.secretsmanager.valueOf(id);
    if (value === undefined) {
      return failed(
        `An error occurred (ResourceNotFoundException) when calling the GetSecretValue operation: Secrets Manager can't find the specified secret. (${param}=${id})`,
      );
    }
    keys[param] = value;
  }
  const base = { nodeId: instance.id, nodeIp: instance.privateIp, haEnabled: true };
  let yaml: NodeSystemYaml;
  if (mode === 'cloud-native') yaml = { ...base, taskAffinity: affinity };
  else if (role !== undefined) yaml = { ...base, role };
  else return failed('Role is required when ClusterMode is legacy-primary');
  instance.node.configure(yaml, { masterKey: keys.MasterKeySecretId, joinKey: keys.JoinKeySecretId });
  return ok(
    [
      `installed ${SECURITY_DIR}/master.key from Secrets Manager`,
      `installed ${SECURITY_DIR}/join.key from Secrets Manager`,
      `wrote ${SYSTEM_YAML}: shared.node.id=${yaml.nodeId} shared.node.ip=${yaml.nodeIp} shared.node.haEnabled=true ${
        yaml.taskAffinity !== undefined
          ? `shared.node.taskAffinity=${yaml.taskAffinity}`
          : `shared.node.primary=${role === 'primary'}`
      }`,
    ].join('\n'),
  );
};

/** `ArtifactoryHA-StartArtifactory`: `systemctl start artifactory`; readiness is probed separately. */
const startArtifactory: DocumentEffect = async ({ instance, clock, rng }) => {
  const wasUp = instance.node.status === 'starting' || instance.node.status === 'running';
  await pause(clock, rng, DOCUMENT_TIMING.systemctlStart);
  const result = instance.node.start();
  if (!result.started) return failed(`Job for artifactory.service failed: ${result.reason}`);
  return ok(wasUp ? 'artifactory.service is already active' : 'artifactory.service started');
};

/** `ArtifactoryHA-StopArtifactory`: graceful `systemctl stop artifactory` (waits until stopped). */
const stopArtifactory: DocumentEffect = async ({ instance }) => {
  await instance.node.stop();
  return ok('artifactory.service stopped');
};

/**
 * `ArtifactoryHA-ProbeReadiness`: on the node, `GET /artifactory/api/v1/system/readiness` and
 * `GET /router/api/v1/system/health`; prints one JSON line.
 */
const probeReadiness: DocumentEffect = async ({ instance, clock, rng }) => {
  await pause(clock, rng, DOCUMENT_TIMING.probe);
  const node = instance.node;
  return ok(
    JSON.stringify({
      ready: node.ready(),
      routerHealth: node.routerHealthy() ? 200 : 503,
      role: node.role ?? null,
      taskAffinity: node.taskAffinity ?? null,
      nodeId: node.nodeId ?? null,
      status: node.status,
      ...(node.failureReason !== undefined ? { failureReason: node.failureReason } : {}),
    }),
  );
};

/** Promote (`primary: true` / `taskAffinity: any`) or demote, then restart: as slow as a start. */
function setRoleAndRestart(target: {
  legacy: 'primary' | 'member';
  cloudNative: 'any' | 'none';
}): DocumentEffect {
  return async ({ instance, parameters, clock, rng }) => {
    const node = instance.node;
    const yaml = node.systemYaml;
    if (!yaml) return failed(`${SYSTEM_YAML} is not configured`);
    await pause(clock, rng, DOCUMENT_TIMING.edit);
    const mode: Mode =
      (one(parameters, 'ClusterMode') as Mode | undefined) ??
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
    const result = await node.restart();
    if (!result.started)
      return failed(
        `Job for artifactory.service failed: ${result.reason}`,
        `wrote ${SYSTEM_YAML}: ${edited}`,
      );
    return ok(`wrote ${SYSTEM_YAML}: ${edited}\nartifactory.service restarted`);
  };
}

const modeParameter = { allowedValues: CLUSTER_MODES } as const;

export const PROJECT_DOCUMENTS: Readonly<
  Record<DocumentName, { effect: DocumentEffect; options: DocumentOptions }>
> = {
  [DocumentNames.configureNode]: {
    effect: configureNode,
    options: {
      parameters: {
        Role: { allowedValues: ['primary', 'member'] },
        TaskAffinity: { allowedValues: ['any', 'none'] },
        MasterKeySecretId: { required: true },
        JoinKeySecretId: { required: true },
        ClusterMode: { required: true, ...modeParameter },
      },
      executionTimeoutSeconds: 300,
    },
  },
  [DocumentNames.startArtifactory]: {
    effect: startArtifactory,
    options: { parameters: {}, executionTimeoutSeconds: 300 },
  },
  [DocumentNames.stopArtifactory]: {
    effect: stopArtifactory,
    options: { parameters: {}, executionTimeoutSeconds: 600 },
  },
  [DocumentNames.probeReadiness]: {
    effect: probeReadiness,
    options: { parameters: {}, executionTimeoutSeconds: 60 },
  },
  [DocumentNames.promotePrimary]: {
    effect: setRoleAndRestart({ legacy: 'primary', cloudNative: 'any' }),
    options: { parameters: { ClusterMode: modeParameter }, executionTimeoutSeconds: 600 },
  },
  [DocumentNames.demotePrimary]: {
    effect: setRoleAndRestart({ legacy: 'member', cloudNative: 'none' }),
    options: { parameters: { ClusterMode: modeParameter }, executionTimeoutSeconds: 600 },
  },
};

/** Registers every project document on a region's SSM (SsmSim does this itself when created). */
export function registerProjectDocuments(ssm: SsmContract): void {
  for (const [name, doc] of Object.entries(PROJECT_DOCUMENTS))
    ssm.registerDocument(name, doc.effect, doc.options);
}
