/**
 * Environment variable names the control-plane Lambdas read, in one place: the CDK stack sets them and the
 * twin's deployment sets them, so neither can drift from the handlers.
 */
export const ENV = {
  clusterName: 'CLUSTER_NAME',
  clusterMode: 'CLUSTER_MODE',
  primaryAsgName: 'PRIMARY_ASG_NAME',
  memberAsgName: 'MEMBER_ASG_NAME',
  bootstrapStateMachineArn: 'BOOTSTRAP_STATE_MACHINE_ARN',
  drainStateMachineArn: 'DRAIN_STATE_MACHINE_ARN',
  stateTable: 'STATE_TABLE',
  topicArn: 'TOPIC_ARN',
  targetGroupArn: 'TARGET_GROUP_ARN',
  failoverStateMachineArn: 'FAILOVER_STATE_MACHINE_ARN',
  minTaskNodes: 'MIN_TASK_NODES',
  cooldownMinutes: 'COOLDOWN_MINUTES',
  dailyBudget: 'DAILY_BUDGET',
  automationEnabled: 'AUTOMATION_ENABLED',
  metricNamespace: 'METRIC_NAMESPACE',
} as const;
