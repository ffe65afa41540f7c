/**
 * The names of every environment variable cloudjail's Lambdas are configured by, declared once: the handlers read
 * them (runtime.ts, fleet-watch-environment.ts) and the constructs in lib/ set them, so neither side can drift.
 * This module imports nothing, so lib/ can use it without bundling any runtime code into the CDK app.
 */

/** The variables the responder and the unbanner read at cold start (issue 4's interface; the overflow target, issue 7). */
export const RUNTIME_ENVIRONMENT = {
  /** Name of cloudjail's DynamoDB table. */
  table: "CLOUDJAIL_TABLE",
  /** The resolved configuration (`CloudjailConfig`) as JSON. */
  config: "CLOUDJAIL_CONFIG",
  /** Optional: where the stack's overflow target lives (`OverflowRef` as JSON, issue 7). */
  overflow: "CLOUDJAIL_OVERFLOW",
} as const;

/**
 * The variables the fleet watcher reads (lib/fleet-watch.ts writes them; `cloudjail fleet` reads the threshold back
 * from the stack's template so that both call the same instances silent).
 */
export const FLEET_WATCH_ENVIRONMENT = {
  /** The protected VPC ids, JSON list. */
  vpcIds: "CLOUDJAIL_VPC_IDS",
  /** The explicitly protected NACL ids, JSON list. */
  naclIds: "CLOUDJAIL_NACL_IDS",
  /** The log groups whose streams are named by instance id, JSON list. */
  logGroups: "CLOUDJAIL_LOG_GROUPS",
  /** Seconds without an auth-log event after which a running instance is silent. */
  silentAfterSeconds: "CLOUDJAIL_SILENT_AFTER_SECONDS",
} as const;

/** Powertools' own variables, which every cloudjail Lambda gets (its logger and metrics read them). */
export const POWERTOOLS_ENVIRONMENT = {
  serviceName: "POWERTOOLS_SERVICE_NAME",
  metricsNamespace: "POWERTOOLS_METRICS_NAMESPACE",
} as const;

/**
 * The variables of the organization path (issue 16), set by lib/organization-member.ts on the responder, the
 * unbanner and the member enforcer, and by lib/organization-central-stack.ts on the central recorder.
 */
export const ORG_ENVIRONMENT = {
  /** This account's id (the origin of the events it publishes). */
  account: "CLOUDJAIL_ORG_ACCOUNT",
  /** The bus the publisher puts events on: `default` (its rule forwards to the central bus) or a bus ARN. */
  bus: "CLOUDJAIL_ORG_BUS",
  /** ARN of the central ledger table (in the delegated administrator's account and region). */
  centralTable: "CLOUDJAIL_ORG_CENTRAL_TABLE",
  /** Comma-separated VPC ids of this member (a StackSet parameter), replacing the configuration's. */
  vpcIds: "CLOUDJAIL_ORG_VPC_IDS",
  /** Central recorder: name of the ledger table it writes. */
  ledgerTable: "CLOUDJAIL_ORG_LEDGER_TABLE",
} as const;
