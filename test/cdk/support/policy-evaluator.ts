/**
 * A small evaluator of identity-policy statements as IAM applies them to one request: Allow statements whose
 * Action and Resource patterns match and whose StringEquals conditions hold; any matching Deny wins.
 * Enough to ask "may this role write to that NACL?" of a synthesized template, nothing more.
 */

export interface PolicyStatementJson {
  readonly Effect: "Allow" | "Deny";
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Record<string, Record<string, string | readonly string[]>>;
}

export interface Request {
  readonly action: string;
  readonly resource: string;
  /** Request context keys, e.g. `aws:ResourceTag/cloudjail:managed`; an absent key fails a StringEquals. */
  readonly context?: Record<string, string>;
}

export function isAllowed(statements: readonly PolicyStatementJson[], request: Request): boolean {
  const matching = statements.filter((statement) => applies(statement, request));
  return matching.some((s) => s.Effect === "Allow") && !matching.some((s) => s.Effect === "Deny");
}

function applies(statement: PolicyStatementJson, request: Request): boolean {
  return (
    list(statement.Action).some((pattern) => wildcard(pattern, request.action, true)) &&
    list(statement.Resource).some((pattern) => wildcard(pattern, request.resource, false)) &&
    conditionsHold(statement.Condition ?? {}, request.context ?? {})
  );
}

function conditionsHold(
  conditions: Record<string, Record<string, string | readonly string[]>>,
  context: Record<string, string>,
): boolean {
  return Object.entries(conditions).every(([operator, keys]) => {
    // ArnEquals compares whole ARNs as StringEquals does when the policy's ARNs hold no wildcard (cloudjail's never do).
    if (operator !== "StringEquals" && operator !== "ArnEquals") {
      throw new Error(`condition operator ${operator} is not modelled`);
    }
    return Object.entries(keys).every(([key, values]) => {
      const actual = context[key];
      return actual !== undefined && list(values).includes(actual);
    });
  });
}

function wildcard(pattern: string, text: string, ignoreCase: boolean): boolean {
  const source = pattern
    .split("*")
    .map((part) => part.split("?").map(escapeRegExp).join("."))
    .join(".*");
  return new RegExp(`^${source}$`, ignoreCase ? "i" : "").test(text);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function list<T>(value: T | readonly T[]): readonly T[] {
  return Array.isArray(value) ? value : [value as T];
}
