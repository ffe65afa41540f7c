/**
 * The part of IAM a resource policy of the central bus uses, evaluated for one caller: an Allow statement whose
 * action covers `events:PutEvents`, whose principal is `*` (or names the caller's account), and whose conditions
 * (StringEquals on aws:PrincipalOrgID / aws:PrincipalAccount) the caller meets. No statement: denied. Enough to
 * run the synthesized policy in the bus stand-in; test/org/central-stack.test.ts checks it against the template.
 */
export interface PolicyDocument {
  readonly Statement: readonly PolicyStatement[];
}

export interface PolicyStatement {
  readonly Effect: "Allow" | "Deny";
  readonly Action: string | readonly string[];
  readonly Principal?: "*" | { readonly AWS?: string | readonly string[] };
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
  readonly Resource?: unknown;
  readonly Sid?: string;
}

export interface Caller {
  readonly account: string;
  /** The caller's organization id; undefined for an account outside any organization. */
  readonly orgId?: string;
}

export function policyAllows(policy: PolicyDocument, caller: Caller, action: string): boolean {
  const matching = policy.Statement.filter(
    (statement) => covers(statement.Action, action) && admits(statement, caller),
  );
  return matching.some((s) => s.Effect === "Allow") && !matching.some((s) => s.Effect === "Deny");
}

function covers(actions: string | readonly string[], action: string): boolean {
  const list = typeof actions === "string" ? [actions] : actions;
  return list.some((each) => each === action || each === "*" || each === `${action.split(":")[0]}:*`);
}

function admits(statement: PolicyStatement, caller: Caller): boolean {
  const principal = statement.Principal;
  const principals =
    principal === "*"
      ? ["*"]
      : typeof principal?.AWS === "string"
        ? [principal.AWS]
        : [...(principal?.AWS ?? [])];
  const named = principals.some(
    (each) => each === "*" || each === caller.account || each === `arn:aws:iam::${caller.account}:root`,
  );
  if (!named) return false;
  for (const [operator, tests] of Object.entries(statement.Condition ?? {})) {
    if (operator !== "StringEquals") return false;
    for (const [key, wanted] of Object.entries(tests)) {
      const values = typeof wanted === "string" ? [wanted] : wanted;
      const actual =
        key === "aws:PrincipalOrgID"
          ? caller.orgId
          : key === "aws:PrincipalAccount"
            ? caller.account
            : undefined;
      if (actual === undefined || !values.includes(actual)) return false;
    }
  }
  return true;
}
