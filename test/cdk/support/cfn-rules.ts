/**
 * Evaluates a template's `Rules` the way CloudFormation does before it creates anything: each assertion of each
 * rule must hold, else the create fails with the assertion's description. Models the rule functions cloudjail's
 * templates use (Fn::Equals, Fn::Not, Fn::Contains, Fn::And, Fn::Or, Ref of pseudo and template parameters).
 */

export interface RuleAssertionJson {
  readonly Assert: unknown;
  readonly AssertDescription?: string;
}

export interface RulesJson {
  readonly [ruleName: string]: { readonly RuleCondition?: unknown; readonly Assertions: RuleAssertionJson[] };
}

/** The descriptions of the assertions that fail with these parameter values: empty when the deploy may go on. */
export function failingAssertions(rules: RulesJson, parameters: Record<string, string>): string[] {
  return Object.values(rules).flatMap((rule) => {
    if (rule.RuleCondition !== undefined && !evaluate(rule.RuleCondition, parameters)) return [];
    return rule.Assertions.filter((assertion) => !evaluate(assertion.Assert, parameters)).map(
      (assertion) => assertion.AssertDescription ?? "(no description)",
    );
  });
}

function evaluate(expression: unknown, parameters: Record<string, string>): unknown {
  if (typeof expression !== "object" || expression === null) return expression;
  if (Array.isArray(expression)) return expression.map((item) => evaluate(item, parameters));
  const [[name, argument]] = Object.entries(expression);
  const args = () => evaluate(argument, parameters) as unknown[];
  switch (name) {
    case "Ref": {
      const value = parameters[argument as string];
      if (value === undefined) throw new Error(`no value for Ref ${String(argument)}`);
      return value;
    }
    case "Fn::Equals": {
      const [left, right] = args();
      return left === right;
    }
    case "Fn::Not":
      return !args()[0];
    case "Fn::And":
      return args().every(Boolean);
    case "Fn::Or":
      return args().some(Boolean);
    case "Fn::Contains": {
      const [list, value] = args();
      return (list as unknown[]).includes(value);
    }
    default:
      throw new Error(`rule function ${name} is not modelled`);
  }
}
