import * as path from 'node:path';
import { ENV } from '../functions/shared/env';
import {
  CERT_DOCUMENT_KINDS,
  CERT_ROTATION,
  CERT_WORKFLOWS,
  certRotationSubstitutions,
  certsEnvironment,
} from '../infra/cert-rotation';
import {
  censusRuleName,
  censusScheduleExpression,
  certAlarmSpec,
  certDispatchEnvironment,
  certSweepEnvironment,
  plannedRestartEnvironment,
} from '../infra/cert-triggers';
import { CA_KEY_SPEC, caGenerations, caKeyPolicy, signerEnvironment } from '../infra/cluster-ca';
import {
  commandStatusEventPattern,
  HOOKS,
  keySecretNames,
  lifecycleEventPattern,
  NODE_WORKFLOWS,
  type NodeLifecycleRefs,
  nodeCommandSubstitutions,
  nodeLifecycleSubstitutions,
  SWEEP_MINUTES,
} from '../infra/node-lifecycle';
import { runsEnvironment, sweepOperationsEnvironment } from '../infra/operations';
import {
  FAILOVER_WORKFLOWS,
  failoverEnvironment,
  failoverSubstitutions,
  pauseEnvironment,
  primaryAlarmEventPattern,
  primaryAlarmSpec,
  WATCH_MINUTES,
  watchEnvironment,
} from '../infra/primary-failover';
import {
  drillInput,
  drillRuleName,
  REGIONAL_WORKFLOWS,
  readinessRuleName,
  readinessScheduleExpression,
  regionalFailoverStateMachineName,
  regionalFailoverSubstitutions,
} from '../infra/regional-failover';
import { degradedAlarmEventPattern, regionalDispatchEnvironment } from '../infra/regional-routing';
import { routingEnvironment } from '../infra/routing';
import { type DocumentKind, documentName } from '../infra/ssm-documents';
import { definitionText, FUNCTION_TIMEOUT_SECONDS, type FunctionName } from '../infra/workflow-definitions';
import {
  createDeadLetterQueue,
  deployOperations,
  type OperationsLayout,
  ruleTargetOptions,
  stateMachineArnOf,
} from './deploy-operations';
import type { RegionLayout, TwinRuntime as Twin } from './layout';
import type { Handler } from './runner/lambda';
import { functionRoleArn } from './services/kms';
import { routingTables } from './setup';

const ROOT = path.resolve(__dirname, '..');
const handlerOf = (dir: string) => (): Handler =>
  (require(path.join(ROOT, 'functions', dir, 'handler')) as { handler: Handler }).handler;

/** What the twin's deployment of the control plane holds in one region. */
export interface ControlPlaneLayout {
  readonly dispatchArn: string;
  readonly reconcilerArn: string;
  readonly bootstrapArn: string;
  readonly drainArn: string;
  readonly nodeCommandArn: string;
  readonly failoverArn: string;
  readonly failoverFunctionArn: string;
  readonly watchArn: string;
  readonly signerArn: string;
  readonly certsArn: string;
  readonly certRotationArn: string;
  /** The CA keys' ARNs by generation (what the signer's CA_KEYS holds). */
  readonly caKeyArns: Readonly<Record<number, string>>;
  readonly routingArn: string;
  /** regional-failover, by its fixed name (dispatch in a peer region starts it by ARN). */
  readonly regionalFailoverArn: string;
  readonly readinessArn: string;
  /** Issue 15: the operations Lambda, the dead-letter queue, the alarms of §1 and the dashboard spec. */
  readonly operations: OperationsLayout;
}

/**
 * Deploys the control plane into the twin as the control-plane stack deploys it into AWS (same hooks, event
 * pattern, schedule, environment names and workflow substitutions from infra/node-lifecycle.ts): the real
 * handlers as Lambdas, the ASL files as state machines.
 */
export function deployControlPlane(twin: Twin, layout: RegionLayout): ControlPlaneLayout {
  const { world } = twin;
  const config = world.config;
  const region = config.regions.find((r) => r.name === layout.region);
  if (!region) throw new Error(`no region ${layout.region} in the config`);
  const r = world.region(region.name);
  const sfn = twin.sfnIn(region.name);
  // Every rule target's DLQ and the event-driven functions' on-failure destination (issue 15 §2).
  const queue = createDeadLetterQueue(twin, region.name);
  const targetOptions = (maxEventAgeSeconds?: number) => ruleTargetOptions(queue.arn, maxEventAgeSeconds);
  const fn = (name: FunctionName, dir: string, environment: Record<string, string>) =>
    twin.lambda.register({
      name: `${config.cluster.name}-${name}`,
      region: region.name,
      load: handlerOf(dir),
      environment,
      timeoutSeconds: FUNCTION_TIMEOUT_SECONDS[name],
    });

  const lease = fn('lease', 'lease', { [ENV.stateTable]: layout.stateTable });
  // The cluster CA as ClusterCa deploys it: one KMS key per deployed generation, signing only for the signer's
  // role, and the signer with the same environment.
  const signerRole = functionRoleArn(world.accountId, `${config.cluster.name}-signer`);
  const caKeyArns: Record<number, string> = {};
  for (const generation of caGenerations(config))
    caKeyArns[generation] = r.kms.createSigningKey(
      CA_KEY_SPEC,
      JSON.stringify(caKeyPolicy(world.accountId, signerRole)),
    );
  const signerArn = fn('signer', 'signer', signerEnvironment(config, region, layout.stateTable, caKeyArns));
  // The global pause's copies (issue 15 §5): every function that honours it reads its region's.
  const pauseTables = { [ENV.pauseTables]: JSON.stringify(routingTables(config)) };
  const certsArn = fn('certs', 'certs', {
    ...certsEnvironment(config, region, layout.stateTable),
    ...pauseTables,
  });
  const workflowArn = stateMachineArnOf(config, (name) => sfn.arnOf(name));
  const report = fn('report', 'report', {
    [ENV.stateTable]: layout.stateTable,
    [ENV.topicArn]: layout.topicArn,
    ...runsEnvironment(config, workflowArn),
  });
  const commandFunctionArn = fn('command', 'command', {
    [ENV.clusterName]: config.cluster.name,
    [ENV.stateTable]: layout.stateTable,
  });
  const nodeCommandArn = sfn.createStateMachine(
    'node-command',
    definitionText('node-command'),
    nodeCommandSubstitutions(commandFunctionArn),
  );
  const failoverFunctionArn = fn('failover', 'failover', {
    ...failoverEnvironment(config, region, layout.stateTable),
    ...pauseTables,
  });
  const failoverFamily = failoverSubstitutions({
    failoverFunctionArn,
    leaseFunctionArn: lease,
    reportFunctionArn: report,
    nodeCommandStateMachineArn: nodeCommandArn,
    stateMachineArn: (name) => sfn.arnOf(name),
    primaryAsgName: region.primaryAsgName,
    memberAsgName: region.memberAsgName,
    documents: {
      probe: documentName(config.cluster.name, 'probeReadiness'),
      stop: documentName(config.cluster.name, 'stopArtifactory'),
      setPrimaryRole: documentName(config.cluster.name, 'setPrimaryRole'),
    },
  });
  for (const name of FAILOVER_WORKFLOWS) {
    sfn.createStateMachine(name, definitionText(name), failoverFamily[name]);
  }
  const failoverArn = sfn.arnOf('primary-failover');
  const refs: NodeLifecycleRefs = {
    leaseFunctionArn: lease,
    reportFunctionArn: report,
    nodeCommandStateMachineArn: nodeCommandArn,
    stateMachineArn: (name) => sfn.arnOf(name),
    targetGroupArn: layout.targetGroupArn,
    stateTableName: layout.stateTable,
    documents: {
      configure: documentName(config.cluster.name, 'configureNode'),
      start: documentName(config.cluster.name, 'startArtifactory'),
      stop: documentName(config.cluster.name, 'stopArtifactory'),
      probe: documentName(config.cluster.name, 'probeReadiness'),
    },
    masterKeySecretId: keySecretNames(config).masterKey,
    joinKeySecretId: keySecretNames(config).joinKey,
    failoverFunctionArn,
    failoverStateMachineArn: failoverArn,
    signerFunctionArn: signerArn,
    certsFunctionArn: certsArn,
    keySize: config.certificates.keySize,
  };
  const nodeFamily = nodeLifecycleSubstitutions(refs);
  for (const name of NODE_WORKFLOWS) sfn.createStateMachine(name, definitionText(name), nodeFamily[name]);
  const bootstrapArn = sfn.arnOf('node-bootstrap');
  // cert-rotation and its per-node child, as CertRotation deploys them.
  const doc = (kind: string) => documentName(config.cluster.name, kind as DocumentKind);
  const certFamily = certRotationSubstitutions({
    clusterName: config.cluster.name,
    region: region.name,
    certsFunctionArn: certsArn,
    signerFunctionArn: signerArn,
    leaseFunctionArn: lease,
    reportFunctionArn: report,
    nodeCommandStateMachineArn: nodeCommandArn,
    stateMachineArn: (name) => sfn.arnOf(name),
    targetGroupArn: layout.targetGroupArn,
    keySize: config.certificates.keySize,
    documents: {
      stop: documentName(config.cluster.name, 'stopArtifactory'),
      start: documentName(config.cluster.name, 'startArtifactory'),
      probe: documentName(config.cluster.name, 'probeReadiness'),
      makeCsr: doc(CERT_DOCUMENT_KINDS.makeCsr),
      installCertificate: doc(CERT_DOCUMENT_KINDS.installCertificate),
      rollbackCertificate: doc(CERT_DOCUMENT_KINDS.rollbackCertificate),
      probeServedCertificate: doc(CERT_DOCUMENT_KINDS.probeServedCertificate),
    },
  });
  for (const name of CERT_WORKFLOWS) sfn.createStateMachine(name, definitionText(name), certFamily[name]);
  const certRotationArn = sfn.arnOf(CERT_ROTATION);
  const drainArn = sfn.arnOf('node-drain');

  const env = {
    [ENV.clusterName]: config.cluster.name,
    [ENV.clusterMode]: config.cluster.mode,
    [ENV.primaryAsgName]: region.primaryAsgName,
    [ENV.memberAsgName]: region.memberAsgName,
    [ENV.stateTable]: layout.stateTable,
    [ENV.bootstrapStateMachineArn]: bootstrapArn,
    [ENV.drainStateMachineArn]: drainArn,
    [ENV.failoverStateMachineArn]: failoverArn,
    ...pauseEnvironment(config, layout.topicArn),
    ...pauseTables,
  };
  const dispatchArn = fn('dispatch', 'dispatch', {
    ...env,
    ...certDispatchEnvironment(config, certRotationArn),
    // Automatic regional failover (infra/regional-routing.ts): the degraded alarm's peers, by fixed ARN.
    ...regionalDispatchEnvironment(config, region.name, world.accountId),
  });
  const reconcilerArn = fn('reconciler', 'reconciler', {
    ...env,
    ...certSweepEnvironment(),
    // The sweep's duties of issue 15 (§4, §5): overdue runs, the pause's repair and reminder, the census.
    ...sweepOperationsEnvironment(config, routingTables(config), workflowArn),
  });

  for (const groupName of [region.primaryAsgName, region.memberAsgName]) {
    for (const hook of HOOKS) {
      r.autoscaling.putLifecycleHook({
        groupName,
        name: hook.name,
        transition: hook.transition,
        heartbeatTimeoutSeconds: hook.heartbeatTimeoutSeconds,
        defaultResult: hook.defaultResult,
      });
    }
  }
  // EventBridge invokes Lambda asynchronously (twin.lambda.target): its retry policy covers only Lambda refusing
  // the event; the function's errors are retried by Lambda's asynchronous queue (sim/runner/lambda-async.ts).
  r.events.putRule({
    name: `${config.cluster.name}-lifecycle-events`,
    pattern: lifecycleEventPattern(region),
    target: twin.lambda.target(dispatchArn),
    ...targetOptions(),
  });
  // SSM's status events complete node-command's waits, as the control-plane stack routes them.
  r.events.putRule({
    name: `${config.cluster.name}-command-status`,
    pattern: commandStatusEventPattern(config, region),
    target: twin.lambda.target(commandFunctionArn),
    ...targetOptions(),
  });
  r.events.putSchedule({
    name: `${config.cluster.name}-sweep`,
    everyMs: SWEEP_MINUTES * 60_000,
    target: twin.lambda.target(reconcilerArn),
    ...targetOptions(),
  });
  // The primary watch, its alarm, and the alarm's route to dispatch, as PrimaryFailover defines them.
  const watchArn = fn('watch', 'watch', {
    ...watchEnvironment(config, region),
    ...plannedRestartEnvironment(layout.stateTable, certRotationArn),
  });
  r.events.putSchedule({
    name: `${config.cluster.name}-primary-watch`,
    everyMs: WATCH_MINUTES * 60_000,
    target: twin.lambda.target(watchArn),
    // A reading older than its own period is superseded by the next one.
    ...targetOptions(WATCH_MINUTES * 60),
  });
  r.cloudwatch.putAlarm(primaryAlarmSpec(config, region.name));
  r.events.putRule({
    name: `${config.cluster.name}-primary-alarm`,
    pattern: primaryAlarmEventPattern(config, region.name),
    target: twin.lambda.target(dispatchArn),
    ...targetOptions(),
  });
  // The region's degraded alarm (created with the routing in sim/setup.ts) to dispatch, as RegionalRouting routes it.
  r.events.putRule({
    name: `${config.cluster.name}-region-degraded`,
    pattern: degradedAlarmEventPattern(config, region.name),
    target: twin.lambda.target(dispatchArn),
    ...targetOptions(),
  });
  // cert-rotation's triggers, as CertTriggers defines them: the expiry alarm (to dispatch by the primary alarm's
  // rule above) and the daily census.
  r.cloudwatch.putAlarm(certAlarmSpec(config, region.name));
  r.events.putSchedule({
    name: censusRuleName(config),
    scheduleExpression: censusScheduleExpression(config),
    target: twin.lambda.target(dispatchArn),
    ...targetOptions(),
  });
  // Regional failover, as RegionalFailover deploys it: the routing Lambda, the workflows, the two schedules.
  const tables = routingTables(config);
  const routingArn = fn(
    'routing',
    'routing',
    routingEnvironment(config, region, tables, {
      stateTable: layout.stateTable,
      account: world.accountId,
    }),
  );
  const regionalFailoverArn = sfn.arnOf(regionalFailoverStateMachineName(config));
  const regional = regionalFailoverSubstitutions({
    clusterName: config.cluster.name,
    region: region.name,
    routingFunctionArn: routingArn,
    reportFunctionArn: report,
    nodeCommandStateMachineArn: nodeCommandArn,
    topicArn: layout.topicArn,
    stateMachineArn: (name) => (name === 'regional-failover' ? regionalFailoverArn : sfn.arnOf(name)),
    approvalRequired: config.failover.approvalRequired,
    approvalTimeoutMinutes: config.failover.approvalTimeoutMinutes,
    readReplicationStatusDocument: doc('readReplicationStatus'),
  });
  for (const name of REGIONAL_WORKFLOWS) {
    const machine = name === 'regional-failover' ? regionalFailoverStateMachineName(config) : name;
    sfn.createStateMachine(machine, definitionText(name), regional[name]);
  }
  const readinessArn = sfn.arnOf('regional-readiness');
  // EventBridge starts a state machine target with StartExecution (no name: each event a new execution).
  const start = (stateMachineArn: string, input: unknown) => sfn.target(stateMachineArn, () => input);
  r.events.putSchedule({
    name: readinessRuleName(config, region.name),
    scheduleExpression: readinessScheduleExpression(config),
    target: start(readinessArn, {}),
    ...targetOptions(config.failover.readiness.evaluationMinutes * 60),
  });
  r.events.putSchedule({
    name: drillRuleName(config, region.name),
    scheduleExpression: config.failover.drill.schedule,
    target: start(regionalFailoverArn, drillInput(config, region.name)),
    ...targetOptions(),
  });
  const operations = deployOperations(twin, layout, {
    queue,
    functionArns: {
      dispatch: dispatchArn,
      reconciler: reconcilerArn,
      lease,
      report,
      failover: failoverFunctionArn,
      watch: watchArn,
      command: commandFunctionArn,
      signer: signerArn,
      certs: certsArn,
      routing: routingArn,
    },
    stateMachineArn: workflowArn,
    register: fn,
  });
  return {
    operations,
    routingArn,
    regionalFailoverArn,
    readinessArn,
    dispatchArn,
    reconcilerArn,
    bootstrapArn,
    drainArn,
    nodeCommandArn,
    failoverArn,
    failoverFunctionArn,
    watchArn,
    signerArn,
    caKeyArns,
    certsArn,
    certRotationArn,
  };
}
