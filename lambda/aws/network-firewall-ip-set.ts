import {
  DescribeRuleGroupCommand,
  type NetworkFirewallClient,
  type RuleGroup,
  UpdateRuleGroupCommand,
} from "@aws-sdk/client-network-firewall";
import { changedSet, type OverflowResult, OverflowTargetBase } from "./overflow-target";

/** Which rule group and which of its IP set variables (e.g. `CLOUDJAIL_BANNED`, referenced as `$CLOUDJAIL_BANNED`). */
export interface NetworkFirewallIpSetRef {
  readonly ruleGroupArn: string;
  readonly variable: string;
}

export interface NetworkFirewallIpSetOptions {
  /** Most CIDRs cloudjail puts in the variable (keep it within the rule group's capacity). @default 10,000 */
  readonly limit?: number;
}

const MAX_TOKEN_ROUNDS = 8;

/**
 * An AWS Network Firewall stateful rule group's IP set variable as an overflow target: the rule group's rules
 * (written by the CDK construct) drop traffic from `$<variable>`; cloudjail only edits the variable. Every change is
 * DescribeRuleGroup (rule group + UpdateToken) -> UpdateRuleGroup with that token and the whole rule group, the
 * variable changed and everything else as read; `InvalidTokenException` (someone updated it in between) starts
 * again from a fresh Describe. A change past `limit` is refused whole (`full`).
 */
export class NetworkFirewallIpSet extends OverflowTargetBase {
  readonly stats = { describes: 0, updates: 0, tokenConflicts: 0 };
  private readonly limit: number;

  constructor(
    private readonly client: NetworkFirewallClient,
    private readonly ref: NetworkFirewallIpSetRef,
    options: NetworkFirewallIpSetOptions = {},
  ) {
    super();
    this.limit = options.limit ?? 10_000;
  }

  async list(): Promise<readonly string[]> {
    return definitionOf((await this.describe()).ruleGroup, this.ref.variable);
  }

  protected async change(add: readonly string[], remove: readonly string[]): Promise<OverflowResult> {
    for (let round = 0; round < MAX_TOKEN_ROUNDS; round++) {
      const { ruleGroup, updateToken, type } = await this.describe();
      const current = definitionOf(ruleGroup, this.ref.variable);
      const next = changedSet(current, add, remove);
      if (next.length === current.length && next.every((cidr, index) => cidr === current[index])) {
        return { status: "unchanged", size: current.length };
      }
      if (next.length > this.limit) return { status: "full", size: current.length, limit: this.limit };
      // AWS refuses an empty IP set definition: an empty set is written as a documentation address nobody uses.
      const definition = next.length > 0 ? next : [PLACEHOLDER];
      const updated: RuleGroup = {
        ...ruleGroup,
        RuleVariables: {
          ...ruleGroup.RuleVariables,
          IPSets: { ...ruleGroup.RuleVariables?.IPSets, [this.ref.variable]: { Definition: definition } },
        },
      };
      try {
        await this.client.send(
          new UpdateRuleGroupCommand({
            RuleGroupArn: this.ref.ruleGroupArn,
            UpdateToken: updateToken,
            RuleGroup: updated,
            Type: type,
          }),
        );
        this.stats.updates++;
        return { status: "updated", size: next.length };
      } catch (error) {
        if ((error as Error).name === "InvalidTokenException") {
          this.stats.tokenConflicts++;
          continue;
        }
        if ((error as Error).name === "LimitExceededException") {
          return { status: "full", size: current.length, limit: this.limit };
        }
        throw error;
      }
    }
    throw new Error(
      `rule group ${this.ref.ruleGroupArn} kept changing under ${MAX_TOKEN_ROUNDS} update tokens`,
    );
  }

  private async describe() {
    const result = await this.client.send(
      new DescribeRuleGroupCommand({ RuleGroupArn: this.ref.ruleGroupArn }),
    );
    this.stats.describes++;
    if (result.UpdateToken === undefined || result.RuleGroup === undefined) {
      throw new Error(`DescribeRuleGroup of ${this.ref.ruleGroupArn} returned no rule group or UpdateToken`);
    }
    return {
      ruleGroup: result.RuleGroup,
      updateToken: result.UpdateToken,
      type: result.RuleGroupResponse?.Type,
    };
  }
}

/** What the variable holds when cloudjail bans nobody (TEST-NET-1 host, RFC 5737). */
export const PLACEHOLDER = "192.0.2.255/32";

function definitionOf(ruleGroup: RuleGroup, variable: string): string[] {
  const definition = ruleGroup.RuleVariables?.IPSets?.[variable]?.Definition ?? [];
  return definition.filter((cidr) => cidr !== PLACEHOLDER);
}
