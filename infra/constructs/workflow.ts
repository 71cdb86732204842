import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { workflowStateMachineName } from '../stacks/names';
import { acknowledge } from './acknowledge';
import { ACTIONS_WITHOUT_RESOURCE_SCOPE, actionsForDefinition } from './asl-actions';
import { REPO_ROOT } from './control-plane-function';

export interface WorkflowProps {
  /** The workflow's name: its definition is statemachines/<name>.asl.json. */
  readonly name: string;
  /** Overrides the definition file (tests). */
  readonly definitionPath?: string;
  /** Values for the definition's ${Placeholders}. Every placeholder must be given, and no extra one. */
  readonly substitutions: Record<string, string>;
  /**
   * Resources each IAM action the definition uses may touch, keyed by action (`autoscaling:CompleteLifecycleAction`)
   * or by service prefix (`autoscaling`). `*` is accepted only for actions that support no resource-level
   * permissions. An action the definition uses with no entry here fails synth.
   */
  readonly resources: Record<string, readonly string[]>;
  /**
   * IAM conditions an action's statement carries, keyed like `resources` (by action only), e.g. a tag
   * condition that limits `ec2:StopInstances` to the cluster's own instances.
   */
  readonly conditions?: Record<string, Record<string, unknown>>;
  /** Key that encrypts the execution log group. */
  readonly logKey: kms.IKey;
  /**
   * A name fixed by the config instead of `${stackName}-${name}`: a workflow another region's control plane
   * starts by ARN (names.ts fixedStateMachineName).
   */
  readonly fixedName?: string;
  /** Execution logging level; execution data (inputs/outputs) is never logged unless asked for. */
  readonly logLevel?: sfn.LogLevel;
  readonly includeExecutionData?: boolean;
}

/**
 * A Standard workflow whose definition is the ASL file itself (loaded inline, placeholders filled by
 * `definitionSubstitutions`), with logging and tracing on, and a role granted exactly the IAM actions its
 * Task states use, each scoped to the resources the caller names.
 */
export class Workflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly stateMachineName: string;
  /** The workflow's name (statemachines/<name>.asl.json). */
  readonly name: string;
  readonly role: iam.Role;
  /** The IAM actions derived from the definition (sorted). */
  readonly actions: readonly string[];

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id);
    this.name = props.name;
    const file = props.definitionPath ?? path.join(REPO_ROOT, 'statemachines', `${props.name}.asl.json`);
    const text = readFileSync(file, 'utf8');
    checkPlaceholders(text, props.substitutions, file);

    this.actions = actionsForDefinition(JSON.parse(text));
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: `Step Functions workflow ${props.name}`,
    });
    const wildcardActions: string[] = [];
    for (const action of this.actions) {
      const resources = props.resources[action] ?? props.resources[action.split(':')[0] ?? ''];
      if (!resources || resources.length === 0) {
        throw new Error(
          `workflow ${props.name}: ${action} is used by the definition but no resources are given for it`,
        );
      }
      if (resources.includes('*')) {
        if (!ACTIONS_WITHOUT_RESOURCE_SCOPE.has(action)) {
          throw new Error(
            `workflow ${props.name}: ${action} supports resource-level permissions; scope it instead of "*"`,
          );
        }
        wildcardActions.push(action);
      }
      const conditions = props.conditions?.[action];
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: [action],
          resources: [...resources],
          ...(conditions ? { conditions } : {}),
        }),
      );
      for (const arn of resources) {
        if (arn !== '*' && arn.includes('*')) {
          acknowledge(this.role, {
            id: `AwsSolutions-IAM5[Resource::${nagForm(arn)}]`,
            reason: wildcardReason(arn, action),
          });
        }
      }
    }

    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-${props.name}`,
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.logKey,
    });

    // A name of our own (not generated), so execution ARNs can be scoped and read without tokens.
    this.stateMachineName = props.fixedName ?? Workflow.stateMachineNameFor(this, props.name);
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: this.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(text),
      definitionSubstitutions: props.substitutions,
      role: this.role,
      tracingEnabled: true,
      logs: {
        destination: logGroup,
        level: props.logLevel ?? sfn.LogLevel.ALL,
        includeExecutionData: props.includeExecutionData ?? false,
      },
    });

    acknowledge(this.role, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: [
        'Resource "*" only where the API has no resource-level permissions:',
        'CloudWatch Logs vended delivery (logs:*LogDelivery*, logs:Describe*), X-Ray,',
        ...wildcardActions,
      ].join(' '),
    });
  }

  /** Lets `grantee` start executions of this workflow (and read their status, for idempotent re-runs). */
  grantStart(grantee: iam.IGrantable): void {
    this.stateMachine.grantStartExecution(grantee);
    this.stateMachine.grantRead(grantee);
  }

  /** This workflow's ARN as {@link Workflow.stateMachineArnFor} computes it, for checking references made by name. */
  get stateMachineArnByName(): string {
    return stateMachineArnNamed(this, this.stateMachineName);
  }

  /** The ARN executions of this workflow get, for `states:DescribeExecution` and `.sync` scoping. */
  get executionArnPattern(): string {
    return executionArnPattern(this, this.stateMachineName);
  }

  /** The name the workflow `name` gets in `scope`'s stack: `${stackName}-${name}`, at most 80 characters. */
  static stateMachineNameFor(scope: Construct, name: string): string {
    return workflowStateMachineName(Stack.of(scope).stackName, name);
  }

  /**
   * The ARN the workflow `name` will have in `scope`'s stack, known before it is created: workflows that
   * start each other (node-drain starts primary-failover, whose definition refers back to constructs node-drain
   * also uses) reference it without a construct-order cycle.
   */
  static stateMachineArnFor(scope: Construct, name: string): string {
    return stateMachineArnNamed(scope, Workflow.stateMachineNameFor(scope, name));
  }

  /** {@link executionArnPattern} of the workflow `name` in `scope`'s stack, known before it is created. */
  static executionArnPatternFor(scope: Construct, name: string): string {
    return executionArnPattern(scope, Workflow.stateMachineNameFor(scope, name));
  }
}

/**
 * What a workflow's role needs to run the named workflows of `scope`'s stack as `.sync:2` children, keyed as
 * {@link WorkflowProps.resources}: start them, read and stop their executions (Step Functions stops a child
 * when the parent's Task stops or times out), and the managed rule `.sync` watches them through.
 */
export function syncChildResources(scope: Construct, names: readonly string[]): Record<string, string[]> {
  return {
    'states:StartExecution': names.map((n) => Workflow.stateMachineArnFor(scope, n)),
    'states:DescribeExecution': names.map((n) => Workflow.executionArnPatternFor(scope, n)),
    'states:StopExecution': names.map((n) => Workflow.executionArnPatternFor(scope, n)),
    events: [
      Arn.format(
        {
          service: 'events',
          resource: 'rule',
          resourceName: 'StepFunctionsGetEventsForStepFunctionsExecutionRule',
        },
        Stack.of(scope),
      ),
    ],
  };
}

/** Resource maps merged key by key (each resource once). */
export function mergeResources(
  ...maps: readonly Readonly<Record<string, readonly string[]>>[]
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const map of maps) {
    for (const [key, arns] of Object.entries(map)) out[key] = [...new Set([...(out[key] ?? []), ...arns])];
  }
  return out;
}

/** The ARN of the state machine named `stateMachineName` in `scope`'s account and region. */
export function stateMachineArnNamed(scope: Construct, stateMachineName: string): string {
  return Arn.format(
    {
      service: 'states',
      resource: 'stateMachine',
      resourceName: stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    },
    Stack.of(scope),
  );
}

/** The executions of the state machine named `stateMachineName` in `scope`'s account and region. */
export function executionArnPattern(scope: Construct, stateMachineName: string): string {
  return Arn.format(
    {
      service: 'states',
      resource: 'execution',
      resourceName: `${stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    },
    Stack.of(scope),
  );
}

/**
 * Why a partly wildcarded ARN is as narrow as IAM allows; unknown patterns fail synth rather than being
 * waved through.
 */
export function wildcardReason(arn: string, action: string): string {
  if (/:autoScalingGroup:\*:autoScalingGroupName\/[^*]+$/.test(arn)) {
    return `${action}: the group is pinned by name; the * is the group's UUID, which changes when it is re-created.`;
  }
  if (/:execution:[^:*]+:\*$/.test(arn)) {
    return `${action}: executions of one named state machine; the * is the execution name, unknown until it starts.`;
  }
  if (/:function:[^:*]+:\*$/.test(arn)) {
    return `${action}: one named function; the * covers its versions and aliases.`;
  }
  if (/:ec2:[^:]*:[^:]*:instance\/\*$/.test(arn)) {
    return `${action}: the instance is learnt at run time; the statement is limited to the cluster's own instances by a condition on the cluster tag (test/infra checks every instance/* statement carries it).`;
  }
  throw new Error(
    `${action}: no reason known for the wildcard in ${arn}; scope it or add the pattern to wildcardReason`,
  );
}

/** An ARN as cdk-nag names it in a finding: pseudo-parameter tokens as `<AWS::Partition>` and the like. */
export function nagForm(arn: string): string {
  return arn.replace(/\$\{Token\[AWS\.(Partition|AccountId|Region|URLSuffix)\.\d+\]\}/g, '<AWS::$1>');
}

/** Fails when the definition and the substitutions disagree: a missing value deploys a broken ARN. */
export function checkPlaceholders(text: string, substitutions: Record<string, string>, file: string): void {
  const used = new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] ?? ''));
  const given = new Set(Object.keys(substitutions));
  const missing = [...used].filter((p) => !given.has(p));
  const extra = [...given].filter((p) => !used.has(p));
  if (missing.length > 0 || extra.length > 0) {
    const parts = [
      missing.length > 0 ? `missing substitutions ${missing.join(', ')}` : '',
      extra.length > 0 ? `unused substitutions ${extra.join(', ')}` : '',
    ].filter(Boolean);
    throw new Error(`${path.relative(REPO_ROOT, file)}: ${parts.join('; ')}`);
  }
}
