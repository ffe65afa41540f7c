/**
 * The verdicts of `cloudjail doctor` and `cloudjail ping`: pure functions from what AWS answered to one line that
 * passes or says what to change. The SDK calls that gather the facts are in health-checks.ts.
 */

/** One checked thing. */
export interface CheckResult {
  /** What kind of thing: stack, table, subscription, function, queue, nacl, topic, alarms. */
  readonly check: string;
  /** Which one: a name, an ARN, a NACL id. */
  readonly subject: string;
  readonly ok: boolean;
  /** What was found. */
  readonly detail: string;
  /** What to change, for a failed check. */
  readonly fix?: string;
}

const pass = (check: string, subject: string, detail: string): CheckResult => ({
  check,
  subject,
  ok: true,
  detail,
});
const fail = (check: string, subject: string, detail: string, fix: string): CheckResult => ({
  check,
  subject,
  ok: false,
  detail,
  fix,
});

/** `ok    table T: ACTIVE, ...` or `FAIL  table T: ... -> what to change`. */
export function formatCheck(result: CheckResult): string {
  const head = `${result.ok ? "ok  " : "FAIL"}  ${result.check} ${result.subject}: ${result.detail}`;
  return result.ok || result.fix === undefined ? head : `${head} -> ${result.fix}`;
}

/** CloudFormation's stack status: a finished deployment, not rolled back. */
export function stackVerdict(stackName: string, status: string): CheckResult {
  if (status.endsWith("_IN_PROGRESS")) {
    return fail("stack", stackName, status, "a deployment is under way: run this again when it has finished");
  }
  if (status.includes("ROLLBACK") || status.endsWith("_FAILED")) {
    return fail(
      "stack",
      stackName,
      status,
      "the last deployment did not complete; read the stack's events (aws cloudformation describe-stack-events " +
        `--stack-name ${stackName}), fix the cause and run npx cdk deploy again`,
    );
  }
  return pass("stack", stackName, status);
}

/** What DescribeTable told of the table, or that it does not exist. */
export interface TableFacts {
  readonly status?: string;
  readonly keys: readonly string[];
  readonly indexes: ReadonlyArray<{ readonly name: string; readonly status?: string }>;
}

/** The table is ACTIVE with cloudjail's keys and its bans-by-end index ACTIVE. */
export function tableVerdict(
  tableName: string,
  facts: TableFacts | undefined,
  expected: { readonly keys: readonly string[]; readonly index: string },
): CheckResult {
  const redeploy =
    "deploy the stack again (npx cdk deploy); with your own table, give it the key design of lambda/aws/table-schema.ts";
  if (facts === undefined) return fail("table", tableName, "does not exist", redeploy);
  if (facts.status !== "ACTIVE") {
    return fail(
      "table",
      tableName,
      `status ${facts.status ?? "unknown"}`,
      "wait until it is ACTIVE, then run this again",
    );
  }
  if (facts.keys.join(",") !== expected.keys.join(",")) {
    return fail(
      "table",
      tableName,
      `keys ${facts.keys.join(", ")}, not ${expected.keys.join(", ")}`,
      redeploy,
    );
  }
  const index = facts.indexes.find((each) => each.name === expected.index);
  if (index === undefined) return fail("table", tableName, `no index ${expected.index}`, redeploy);
  if (index.status !== "ACTIVE") {
    return fail(
      "table",
      tableName,
      `index ${expected.index} is ${index.status ?? "in an unknown state"}`,
      "wait until it is ACTIVE (a new index fills first)",
    );
  }
  return pass("table", tableName, `ACTIVE, keys ${facts.keys.join(", ")}, index ${expected.index} ACTIVE`);
}

/** One subscription filter of a log group. */
export interface SubscriptionFacts {
  readonly filterName?: string;
  readonly destinationArn?: string;
}

/** Some filter of the log group hands its lines to the responder. */
export function subscriptionVerdict(
  logGroupName: string,
  filters: readonly SubscriptionFacts[] | undefined,
  responderArn: string,
): CheckResult {
  const redeploy = "deploy the stack again (npx cdk deploy), which creates the filter";
  if (filters === undefined) {
    return fail(
      "subscription",
      logGroupName,
      "the log group does not exist",
      "deploy the stack again, or remove it from cloudjail:logGroupNames",
    );
  }
  const toResponder = filters.find(
    (filter) =>
      filter.destinationArn === responderArn || filter.destinationArn?.startsWith(`${responderArn}:`),
  );
  if (toResponder !== undefined) {
    return pass(
      "subscription",
      logGroupName,
      `filter "${toResponder.filterName ?? ""}" sends its lines to the responder`,
    );
  }
  if (filters.length === 0) return fail("subscription", logGroupName, "no subscription filter", redeploy);
  const elsewhere = filters.map(
    (filter) => `"${filter.filterName ?? ""}" -> ${filter.destinationArn ?? "?"}`,
  );
  return fail(
    "subscription",
    logGroupName,
    `no filter sends to the responder (${elsewhere.join("; ")})`,
    filters.length >= 2
      ? "a log group takes two subscription filters: remove one so that cloudjail's can be created, then deploy again"
      : redeploy,
  );
}

/** What Lambda and CloudWatch told of one function. */
export interface FunctionFacts {
  readonly state?: string;
  readonly lastUpdateStatus?: string;
  readonly logGroup?: string;
  readonly errors: number;
  readonly throttles: number;
}

/** The function is Active and had no error or throttled invocation in the window. */
export function functionVerdict(
  role: string,
  name: string,
  facts: FunctionFacts | undefined,
  window: string,
): CheckResult {
  const subject = `${role} ${name}`;
  if (facts === undefined)
    return fail("function", subject, "does not exist", "deploy the stack again (npx cdk deploy)");
  if (facts.state !== undefined && facts.state !== "Active") {
    return fail(
      "function",
      subject,
      `state ${facts.state}`,
      "read the function's state reason in the Lambda console; deploy again",
    );
  }
  if (facts.lastUpdateStatus === "Failed") {
    return fail("function", subject, "its last update failed", "deploy the stack again (npx cdk deploy)");
  }
  const problems: string[] = [];
  const fixes: string[] = [];
  if (facts.errors > 0) {
    problems.push(`${facts.errors} error${facts.errors === 1 ? "" : "s"}`);
    fixes.push(`read its log group ${facts.logGroup ?? `/aws/lambda/${name}`} for the error`);
  }
  if (facts.throttles > 0) {
    problems.push(`${facts.throttles} throttled invocation${facts.throttles === 1 ? "" : "s"}`);
    fixes.push(
      "its batches wait in Lambda's queue (up to six hours); raise the account's concurrency or deploy with " +
        "-c cloudjail:reserveConcurrency=false",
    );
  }
  if (problems.length > 0)
    return fail("function", subject, `${problems.join(", ")} in the last ${window}`, fixes.join("; "));
  return pass("function", subject, `Active, no error or throttle in the last ${window}`);
}

/** The failed-batch queue is empty. */
export function queueVerdict(queueUrl: string, waiting: number, inFlight: number): CheckResult {
  if (waiting + inFlight === 0) return pass("queue", queueUrl, "no failed batch waits");
  return fail(
    "queue",
    queueUrl,
    `${waiting + inFlight} failed batch${waiting + inFlight === 1 ? "" : "es"} wait${waiting + inFlight === 1 ? "s" : ""}` +
      (inFlight > 0 ? ` (${inFlight} being read)` : ""),
    "their lines were not counted: find the cause in the responder's log, then replay them (docs/deploy.md, " +
      '"Concurrency, retries and failed batches")',
  );
}

/** What a DryRun CreateNetworkAclEntry on a protected NACL answered (the error name EC2 gave). */
export function naclVerdict(
  naclId: string,
  answer: { readonly name: string; readonly message: string },
): CheckResult {
  if (answer.name === "DryRunOperation") {
    return pass("nacl", naclId, "your credentials may write its entries (DryRun CreateNetworkAclEntry)");
  }
  if (answer.name === "UnauthorizedOperation") {
    return fail(
      "nacl",
      naclId,
      "your credentials may not write its entries (DryRun CreateNetworkAclEntry: UnauthorizedOperation)",
      "grant ec2:CreateNetworkAclEntry and ec2:DeleteNetworkAclEntry on it (docs/cli.md, IAM for a CLI user); with " +
        "protection by VPC id, allow them on the NACLs of its VPC (ec2:Vpc condition)",
    );
  }
  return fail(
    "nacl",
    naclId,
    `DryRun CreateNetworkAclEntry: ${answer.name}: ${answer.message}`,
    "check the NACL id in the configuration",
  );
}

/** No NACL was found to protect. */
export function noNaclVerdict(where: string): CheckResult {
  return fail(
    "nacl",
    where,
    "no network ACL found to protect",
    "check cloudjail:vpcIds / cloudjail:naclIds (or vpc_ids / nacl_ids under [cloudjail]) and deploy again",
  );
}

/** A topic has at least one confirmed subscriber. */
export function topicVerdict(
  topicArn: string,
  subscriptions: ReadonlyArray<{ readonly subscriptionArn?: string; readonly protocol?: string }>,
): CheckResult {
  const confirmed = subscriptions.filter((each) => each.subscriptionArn?.startsWith("arn:") === true);
  if (confirmed.length > 0) {
    const protocols = [...new Set(confirmed.map((each) => each.protocol ?? "?"))].join(", ");
    return pass(
      "topic",
      topicArn,
      `${confirmed.length} confirmed subscriber${confirmed.length === 1 ? "" : "s"} (${protocols})`,
    );
  }
  const pending = subscriptions.filter((each) => each.subscriptionArn === "PendingConfirmation").length;
  if (pending > 0) {
    return fail(
      "topic",
      topicArn,
      `${pending} subscription${pending === 1 ? "" : "s"} not confirmed yet: alarms reach nobody`,
      "open the mail AWS sent to the address and follow its link",
    );
  }
  return fail(
    "topic",
    topicArn,
    "no subscriber: alarms reach nobody",
    `aws sns subscribe --topic-arn ${topicArn} --protocol email --notification-endpoint you@example.com, or deploy ` +
      "with -c cloudjail:alertEmail=you@example.com, then confirm the mail",
  );
}

/** None of the stack's alarms is in ALARM. */
export function alarmsVerdict(
  stackName: string,
  alarms: ReadonlyArray<{ readonly name: string; readonly state?: string; readonly description?: string }>,
): CheckResult {
  const firing = alarms.filter((alarm) => alarm.state === "ALARM");
  if (firing.length === 0) {
    return pass(
      "alarms",
      stackName,
      `none of ${alarms.length} alarm${alarms.length === 1 ? "" : "s"} is in ALARM`,
    );
  }
  return fail(
    "alarms",
    stackName,
    `in ALARM: ${firing.map((alarm) => alarm.name).join(", ")}`,
    firing.map((alarm) => alarm.description ?? alarm.name).join(" / "),
  );
}

/** A check that could not run: the call it needed failed (a denied permission, an unreachable endpoint). */
export function unreachableVerdict(check: string, subject: string, error: unknown): CheckResult {
  const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
  return fail(
    check,
    subject,
    `could not check: ${message}`,
    "docs/cli.md lists the read-only rights doctor needs",
  );
}
