/**
 * Derives the IAM actions a Step Functions definition needs from its Task states, so a workflow's role is
 * granted exactly what its ASL calls and nothing else.
 *
 * Sources: Step Functions developer guide, "AWS SDK service integrations" (Resource
 * `arn:aws:states:::aws-sdk:<service>:<apiAction>`, IAM action = service prefix + PascalCase API action) and
 * "IAM policies for optimized integrations" (DynamoDB, SNS, Lambda, Step Functions).
 */

/** SDK-integration service names whose IAM prefix differs from the name Step Functions uses. */
const IAM_PREFIX: Record<string, string> = {
  sfn: 'states',
  elasticloadbalancingv2: 'elasticloadbalancing',
  elasticloadbalancing: 'elasticloadbalancing',
  cloudwatchlogs: 'logs',
  secretsmanager: 'secretsmanager',
};

const OPTIMIZED: Record<string, readonly string[]> = {
  'lambda:invoke': ['lambda:InvokeFunction'],
  'lambda:invoke.waitForTaskToken': ['lambda:InvokeFunction'],
  'sns:publish': ['sns:Publish'],
  'sns:publish.waitForTaskToken': ['sns:Publish'],
  'dynamodb:getItem': ['dynamodb:GetItem'],
  'dynamodb:putItem': ['dynamodb:PutItem'],
  'dynamodb:updateItem': ['dynamodb:UpdateItem'],
  'dynamodb:deleteItem': ['dynamodb:DeleteItem'],
  'states:startExecution': ['states:StartExecution'],
  // .sync:2 polls the child through an EventBridge managed rule (Step Functions developer guide,
  // "IAM policies for starting Step Functions executions").
  'states:startExecution.sync:2': [
    'states:StartExecution',
    'states:DescribeExecution',
    'states:StopExecution',
    'events:PutTargets',
    'events:PutRule',
    'events:DescribeRule',
  ],
  'states:startExecution.waitForTaskToken': ['states:StartExecution'],
};

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The IAM actions one Task `Resource` needs; throws on a resource form we do not know how to scope. */
export function actionsForResource(resource: string): string[] {
  const sdk = /^arn:aws:states:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)(\.waitForTaskToken)?$/.exec(resource);
  if (sdk) {
    const [, service = '', api = ''] = sdk;
    return [`${IAM_PREFIX[service] ?? service}:${pascal(api)}`];
  }
  const optimized = /^arn:aws:states:::(.+)$/.exec(resource);
  if (optimized) {
    const known = OPTIMIZED[optimized[1] ?? ''];
    if (!known)
      throw new Error(`unsupported Task resource ${resource}: add its IAM actions to asl-actions.ts`);
    return [...known];
  }
  // A bare Lambda ARN (or a ${Placeholder} for one) is the legacy Lambda integration.
  if (/^\$\{[A-Za-z0-9]+\}$/.test(resource) || /^arn:aws[a-z-]*:lambda:/.test(resource)) {
    return ['lambda:InvokeFunction'];
  }
  throw new Error(`unsupported Task resource ${resource}`);
}

interface AslState {
  Type?: string;
  Resource?: string;
  Branches?: AslMachine[];
  Iterator?: AslMachine;
  ItemProcessor?: AslMachine;
}
interface AslMachine {
  States?: Record<string, AslState>;
}

/** Every Task resource in a definition, including those inside Parallel branches and Map processors. */
export function taskResources(definition: AslMachine): string[] {
  const out: string[] = [];
  const visit = (machine: AslMachine | undefined) => {
    for (const state of Object.values(machine?.States ?? {})) {
      if (state.Type === 'Task' && state.Resource) out.push(state.Resource);
      for (const branch of state.Branches ?? []) visit(branch);
      visit(state.Iterator);
      visit(state.ItemProcessor);
    }
  };
  visit(definition);
  return out;
}

/** The sorted, de-duplicated IAM actions a definition needs. */
export function actionsForDefinition(definition: AslMachine): string[] {
  return [...new Set(taskResources(definition).flatMap(actionsForResource))].sort();
}

/**
 * Actions that support no resource-level permissions, so `Resource: "*"` is the only option (Service
 * Authorization Reference: "Actions, resources, and condition keys" for each service).
 */
export const ACTIONS_WITHOUT_RESOURCE_SCOPE: ReadonlySet<string> = new Set([
  'autoscaling:DescribeAutoScalingGroups',
  'autoscaling:DescribeAutoScalingInstances',
  'autoscaling:DescribeLifecycleHooks',
  'autoscaling:DescribeScalingActivities',
  'cloudwatch:PutMetricData',
  'ec2:DescribeInstances',
  'ec2:DescribeInstanceStatus',
  'elasticloadbalancing:DescribeTargetHealth',
  'elasticloadbalancing:DescribeTargetGroups',
  'route53:ListHealthChecks',
  'ssm:DescribeInstanceInformation',
  'ssm:GetCommandInvocation',
  'ssm:ListCommandInvocations',
  'ssm:ListCommands',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
]);
