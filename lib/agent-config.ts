/**
 * The CloudWatch agent configuration that ships a fleet's auth logs to cloudjail. Stored in SSM Parameter Store
 * under a name starting with `AmazonCloudWatch-`, the prefix the agent's `fetch-config -c ssm:<name>` and the
 * `AmazonCloudWatch-ManageAgent` SSM document are allowed to read with the `CloudWatchAgentServerPolicy`.
 */

/**
 * The prefix every agent parameter name keeps: `CloudWatchAgentServerPolicy` lets the agent read only parameters
 * named `AmazonCloudWatch-*`. The stack's default is the prefix + the stack's name (`AmazonCloudWatch-Cloudjail`).
 */
export const AGENT_PARAMETER_PREFIX = "AmazonCloudWatch-";

/** Where sshd's syslog lines land: RHEL/Amazon Linux (`secure`) and Debian/Ubuntu (`auth.log`). */
export const AUTH_LOG_FILES = ["/var/log/secure", "/var/log/auth.log"] as const;

/** The agent's `logs` section collecting the auth logs into `logGroupName`, one stream per instance. */
export function agentConfig(logGroupName: string): object {
  return {
    // /var/log/secure is readable by root only.
    agent: { run_as_user: "root" },
    logs: {
      logs_collected: {
        files: {
          collect_list: AUTH_LOG_FILES.map((filePath) => ({
            file_path: filePath,
            log_group_name: logGroupName,
            // The responder resolves the attacked instance (scope "subnet") from the stream name.
            log_stream_name: "{instance_id}",
          })),
        },
      },
    },
  };
}
