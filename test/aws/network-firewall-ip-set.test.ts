import { NetworkFirewallClient, type RuleGroup } from "@aws-sdk/client-network-firewall";
import { afterEach, describe, expect, it } from "vitest";
import { NetworkFirewallIpSet, PLACEHOLDER } from "../../lambda/aws/network-firewall-ip-set";
import { NetworkFirewallModel } from "../support/network-firewall-model";

const ARN = "arn:aws:network-firewall:eu-west-1:123456789012:stateful-rulegroup/cloudjail";
const RULES = 'drop ip $CLOUDJAIL_BANNED any -> any any (msg:"cloudjail"; sid:1; rev:1;)';
let restore: () => void = () => {};
afterEach(() => restore());

function setUp(capacity = 100) {
  const ruleGroup: RuleGroup = {
    RuleVariables: {
      IPSets: { CLOUDJAIL_BANNED: { Definition: [PLACEHOLDER] }, HOME_NET: { Definition: ["10.0.0.0/16"] } },
    },
    RulesSource: { RulesString: RULES },
  };
  const model = new NetworkFirewallModel(ARN, ruleGroup, capacity);
  const stub = model.mock();
  restore = () => stub.restore();
  const adapter = new NetworkFirewallIpSet(
    new NetworkFirewallClient({ region: "eu-west-1" }),
    { ruleGroupArn: ARN, variable: "CLOUDJAIL_BANNED" },
    { limit: capacity - 1 },
  );
  return { model, adapter };
}

describe("the Network Firewall rule-group IP set overflow target", () => {
  it("changes only its variable, keeping the rules and the other variables as they were", async () => {
    const { model, adapter } = setUp();
    expect(await adapter.add(["203.0.113.9", "2001:db8::/64"])).toEqual({ status: "updated", size: 2 });
    expect(model.ruleGroup.RuleVariables?.IPSets?.CLOUDJAIL_BANNED?.Definition).toEqual([
      "203.0.113.9/32",
      "2001:db8::/64",
    ]);
    expect(model.ruleGroup.RuleVariables?.IPSets?.HOME_NET?.Definition).toEqual(["10.0.0.0/16"]);
    expect(model.ruleGroup.RulesSource?.RulesString).toBe(RULES);
  });

  it("writes a placeholder instead of an empty set when the last address goes", async () => {
    const { model, adapter } = setUp();
    await adapter.add(["203.0.113.9"]);
    await adapter.remove(["203.0.113.9"]);
    expect(model.ruleGroup.RuleVariables?.IPSets?.CLOUDJAIL_BANNED?.Definition).toEqual([PLACEHOLDER]);
    expect(await adapter.list()).toEqual([]);
    expect(model.calls.rejected).toBe(0);
  });

  it("describes again when another writer updated the rule group in between, losing neither change", async () => {
    const { model, adapter } = setUp();
    model.interleave = () =>
      model.externalUpdate({
        ...model.ruleGroup,
        RuleVariables: {
          IPSets: {
            ...model.ruleGroup.RuleVariables?.IPSets,
            CLOUDJAIL_BANNED: { Definition: ["192.0.2.1/32"] },
          },
        },
      });
    await adapter.add(["203.0.113.9"]);
    expect(await adapter.list()).toEqual(["192.0.2.1/32", "203.0.113.9/32"]);
    expect(adapter.stats.tokenConflicts).toBe(1);
  });

  it("refuses a change past its limit, whole", async () => {
    const { model, adapter } = setUp(4);
    await adapter.add(["203.0.113.1", "203.0.113.2"]);
    expect(await adapter.add(["203.0.113.3", "203.0.113.4"])).toEqual({ status: "full", size: 2, limit: 3 });
    expect(model.ruleGroup.RuleVariables?.IPSets?.CLOUDJAIL_BANNED?.Definition).toHaveLength(2);
  });
});
