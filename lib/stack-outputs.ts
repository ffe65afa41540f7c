/**
 * Names of the CloudFormation outputs of a cloudjail stack: the `cloudjail` CLI reads them (DescribeStacks) to find
 * the deployed table, functions and topic without being told.
 */
export const STACK_OUTPUTS = {
  tableName: "TableName",
  responderFunctionName: "ResponderFunctionName",
  unbannerFunctionName: "UnbannerFunctionName",
  topicArn: "AlertTopicArn",
  failedBatchesQueueUrl: "FailedBatchesQueueUrl",
  authLogGroupName: "AuthLogGroupName",
  agentParameterName: "AgentConfigParameterName",
  dashboardName: "DashboardName",
} as const;
