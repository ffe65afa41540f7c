import {
  DescribeRuleGroupCommand,
  NetworkFirewallClient,
  type RuleGroup,
  UpdateRuleGroupCommand,
} from "@aws-sdk/client-network-firewall";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { parseCidr } from "../../lambda/core/ip";

function nfwError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/**
 * A stateful Network Firewall rule group enforcing what the adapter must respect: the UpdateToken of the latest
 * Describe (else InvalidTokenException), the whole rule group in each update (rules may not be lost), no empty IP set
 * definition and valid CIDRs (InvalidRequestException), and at most `capacity` CIDRs (LimitExceededException).
 */
export class NetworkFirewallModel {
  readonly calls = { describe: 0, update: 0, rejected: 0 };
  interleave: (() => void) | undefined;
  private token = 0;

  constructor(
    readonly arn: string,
    public ruleGroup: RuleGroup,
    private readonly capacity: number,
  ) {}

  /** Another writer's update: bumps the token. */
  externalUpdate(ruleGroup: RuleGroup): void {
    this.ruleGroup = ruleGroup;
    this.token++;
  }

  mock(): AwsClientStub<NetworkFirewallClient> {
    const nfw = mockClient(NetworkFirewallClient);
    nfw.on(DescribeRuleGroupCommand).callsFake(async (input) => {
      this.calls.describe++;
      if (input.RuleGroupArn !== this.arn) throw nfwError("ResourceNotFoundException", "no such rule group");
      const answer = {
        UpdateToken: `token-${this.token}`,
        RuleGroup: structuredClone(this.ruleGroup),
        RuleGroupResponse: {
          RuleGroupArn: this.arn,
          RuleGroupName: "cloudjail",
          RuleGroupId: "1",
          Type: "STATEFUL" as const,
        },
      };
      const interleave = this.interleave;
      this.interleave = undefined;
      interleave?.();
      return answer;
    });
    nfw.on(UpdateRuleGroupCommand).callsFake(async (input) => {
      this.calls.update++;
      const reject = (name: string, message: string) => {
        this.calls.rejected++;
        return nfwError(name, message);
      };
      if (input.RuleGroupArn !== this.arn) throw reject("ResourceNotFoundException", "no such rule group");
      if (input.UpdateToken !== `token-${this.token}`)
        throw reject("InvalidTokenException", "stale UpdateToken");
      const group = input.RuleGroup;
      if (group?.RulesSource === undefined)
        throw reject("InvalidRequestException", "RulesSource is required");
      let total = 0;
      for (const [name, set] of Object.entries(group.RuleVariables?.IPSets ?? {}) as [
        string,
        { Definition?: string[] },
      ][]) {
        const definition = set.Definition ?? [];
        if (definition.length === 0) throw reject("InvalidRequestException", `IP set ${name} is empty`);
        for (const cidr of definition) parseCidr(cidr);
        total += definition.length;
      }
      if (total > this.capacity) throw reject("LimitExceededException", "rule group capacity exceeded");
      this.ruleGroup = structuredClone(group);
      this.token++;
      return {
        UpdateToken: `token-${this.token}`,
        RuleGroupResponse: { RuleGroupArn: this.arn, RuleGroupName: "cloudjail", RuleGroupId: "1" },
      };
    });
    return nfw;
  }
}
