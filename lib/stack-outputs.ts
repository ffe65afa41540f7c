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
  /** The managed policy instance roles need to ship auth logs (attach it, or call grantLogShipping). */
  instancePolicyArn: "InstancePolicyArn",
  dashboardName: "DashboardName",
} as const;

/**
 * Outputs of the overflow target (issue 7), present only when the configuration chooses one: the ARNs users attach
 * to their own web ACL or firewall policy.
 */
export const OVERFLOW_OUTPUTS = {
  /** `overflow = waf` / `waf-cloudfront`: for an IPSetReferenceStatement in a web ACL rule. */
  ipv4IpSetArn: "OverflowIpv4IpSetArn",
  ipv6IpSetArn: "OverflowIpv6IpSetArn",
  /** `overflow = network-firewall`: for a firewall policy's stateful rule group references. */
  ruleGroupArn: "OverflowRuleGroupArn",
} as const;
