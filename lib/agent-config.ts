/**
 * The CloudWatch agent configuration that ships a fleet's sshd logs to cloudjail, from the systemd journal and from
 * the files rsyslog writes (docs/agent.md, "Which source each AMI uses"). Stored in SSM Parameter Store under a
 * name starting with `AmazonCloudWatch-`, the prefix the agent's `CloudWatchAgentServerPolicy` is allowed to read.
 */

/** The default parameter name: `amazon-cloudwatch-agent-ctl -a append-config -c ssm:AmazonCloudWatch-cloudjail`. */
export const AGENT_PARAMETER_NAME = "AmazonCloudWatch-cloudjail";

/** Where rsyslog writes sshd's lines: RHEL family and Amazon Linux 2 (`secure`), Debian/Ubuntu (`auth.log`). */
export const AUTH_LOG_FILES = ["/var/log/secure", "/var/log/auth.log"] as const;

/**
 * The streams of one instance, agreed with the responder: the instance id is the part before the first `/`.
 * Files and journal go to separate streams, so the responder can tell the sources of a host apart.
 */
export const AGENT_STREAMS = { files: "{instance_id}", journald: "{instance_id}/journald" } as const;

/**
 * The process names OpenSSH logs as: `sshd` (the listener, and every line before 9.8), `sshd-session` (a
 * connection, 9.8 and later), `sshd-auth` (authentication, 10.0 and later).
 */
export const SSHD_PROGRAMS = ["sshd", "sshd-session", "sshd-auth"] as const;

/**
 * The journal fields the collect item matches on, each value its own match group (journalctl ORs groups joined by
 * `+`). `SYSLOG_IDENTIFIER` is what a line claims to be, so forged lines reach the responder, which judges them by
 * journald's trusted fields and counts them; `_COMM` is the process name journald reads from /proc, which keeps a
 * real sshd whose identifier was changed (`SyslogIdentifier=`). Field matches, unlike `units`, see every
 * socket-activated `sshd@….service` instance, present and future (docs/agent.md, "The journalctl command").
 */
export const JOURNAL_MATCH_FIELDS = ["SYSLOG_IDENTIFIER", "_COMM"] as const;

/** One `matches` group of a journald collect item: field name → value, every pair ANDed. */
export type JournalMatch = Readonly<Record<string, string>>;

/** The match groups selecting sshd's journal entries, whatever the unit (sshd.service, ssh.service, sshd@…). */
export function sshdJournalMatches(): JournalMatch[] {
  return JOURNAL_MATCH_FIELDS.flatMap((field) => SSHD_PROGRAMS.map((program) => ({ [field]: program })));
}

/** The whole agent configuration collecting sshd's logs into `logGroupName`, with the streams of {@link AGENT_STREAMS}. */
export function agentConfig(logGroupName: string): object {
  return {
    // /var/log/secure is readable by root only, and journalctl (the agent's child) shows another user only its own
    // entries unless it is in the systemd-journal group.
    agent: { run_as_user: "root" },
    logs: {
      logs_collected: {
        files: {
          collect_list: AUTH_LOG_FILES.map((filePath) => ({
            file_path: filePath,
            log_group_name: logGroupName,
            // The responder resolves the attacked instance (scope "subnet") from the stream name.
            log_stream_name: AGENT_STREAMS.files,
          })),
        },
        journald: {
          // One item: two would each run their own journalctl and ship the same entry twice.
          collect_list: [
            {
              log_group_name: logGroupName,
              log_stream_name: AGENT_STREAMS.journald,
              // sshd logs failures at info; without a priority the agent passes --priority info too.
              priority: "info",
              matches: sshdJournalMatches(),
            },
          ],
        },
      },
    },
  };
}
