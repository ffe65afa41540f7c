/**
 * fail2ban options that mean nothing in the cloud, with the reason cloudjail gives when it ignores them.
 * Accepted with a warning, never an error, so an existing jail.local loads as it is.
 */

const ACTION =
  "cloudjail's only action is a deny entry in the VPC network ACL (configure it under [cloudjail])";
const LOGS =
  "cloudjail reads sshd's lines from CloudWatch Logs, shipped by the CloudWatch agent, not from files";
const MAIL = "notifications go to the SNS topic set by topic_arn under [cloudjail]";
const DATABASE = "ban history and failure windows live in DynamoDB";
const DAEMON = "there is no fail2ban server process in the cloud";

/** Option name -> why it is ignored. */
export const IGNORED_OPTIONS: Readonly<Record<string, string>> = {
  banaction: ACTION,
  banaction_allports: ACTION,
  action: ACTION,
  chain: ACTION,
  blocktype: ACTION,
  tcpport: ACTION,
  udpport: ACTION,
  returntype: ACTION,
  lockingopt: ACTION,
  name: ACTION,
  dest: MAIL,
  knocking_url: ACTION,
  protocol:
    "deny entries block all traffic, or TCP on the jail's ports with restrict_to_jail_ports under [cloudjail]",
  backend: LOGS,
  logpath: LOGS,
  logencoding: LOGS,
  logtimezone: LOGS,
  journalmatch: LOGS,
  maxlines: LOGS,
  datepattern: "cloudjail reads syslog and ISO 8601 stamps and falls back to the CloudWatch event time",
  usedns: "cloudjail bans only addresses sshd wrote and never resolves host names (as usedns = no)",
  mta: MAIL,
  destemail: MAIL,
  sender: MAIL,
  sendername: MAIL,
  dbfile: DATABASE,
  dbpurgeage: DATABASE,
  dbmaxmatches: DATABASE,
  maxmatches: "matched lines are not stored with bans",
  ignoreself:
    "the fleet's own addresses do not reach it through its network ACL; list your ranges in ignoreip",
  ignorecommand: "no external command can run in the Lambda; list addresses in ignoreip",
  ignorecache: "no external command can run in the Lambda; list addresses in ignoreip",
  fail2ban_agent: DAEMON,
  loglevel: DAEMON,
  logtarget: DAEMON,
  socket: DAEMON,
  pidfile: DAEMON,
  before: "included files are not read: paste the settings you need into this file",
  after: "included files are not read: paste the settings you need into this file",
  "bantime.formula":
    "bantime.formula is not evaluated; cloudjail uses fail2ban's default formula bantime * 2^n * bantime.factor (n = earlier bans, at most 20), or bantime.multipliers when set",
  prefregex: "a custom filter is written as failregex lines with <HOST> in the jail",
};

/** The reason an option is ignored, or undefined when cloudjail does not know it. `action_*` are action macros. */
export function ignoredReason(key: string): string | undefined {
  if (key in IGNORED_OPTIONS) return IGNORED_OPTIONS[key];
  if (key.startsWith("action_") || key.startsWith("banaction")) return ACTION;
  return undefined;
}
