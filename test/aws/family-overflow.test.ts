import { NetworkFirewallClient } from "@aws-sdk/client-network-firewall";
import { WAFV2Client } from "@aws-sdk/client-wafv2";
import { afterEach, describe, expect, it } from "vitest";
import { createOverflowTarget } from "../../lambda/aws/create-overflow-target";
import { FamilyOverflow } from "../../lambda/aws/family-overflow";
import { NetworkFirewallIpSet } from "../../lambda/aws/network-firewall-ip-set";
import { WafIpSet } from "../../lambda/aws/waf-ip-set";
import { mockWafIpSets, WafIpSetModel } from "../support/waf-ip-set-model";

let restore: () => void = () => {};
afterEach(() => restore());

function models() {
  let clock = 0;
  const ipv4 = new WafIpSetModel("cj-v4", "v4-id", "IPV4", () => clock);
  const ipv6 = new WafIpSetModel("cj-v6", "v6-id", "IPV6", () => clock);
  const stub = mockWafIpSets([ipv4, ipv6]);
  restore = () => stub.restore();
  const options = {
    now: () => clock,
    sleep: async (ms: number) => {
      clock += ms;
    },
  };
  return { ipv4, ipv6, options };
}

describe("one overflow target per address family", () => {
  it("sends each CIDR to the IP set of its family and lists both", async () => {
    const { ipv4, ipv6, options } = models();
    const waf = new WAFV2Client({ region: "us-east-1" });
    const target = new FamilyOverflow({
      ipv4: new WafIpSet(waf, { name: "cj-v4", id: "v4-id", scope: "REGIONAL" }, options),
      ipv6: new WafIpSet(waf, { name: "cj-v6", id: "v6-id", scope: "REGIONAL" }, options),
    });
    expect(await target.add(["203.0.113.9", "2001:db8::7", "198.51.100.0/24"])).toEqual({
      status: "updated",
      size: 3,
    });
    expect(ipv4.addresses).toEqual(["203.0.113.9/32", "198.51.100.0/24"]);
    expect(ipv6.addresses).toEqual(["2001:db8::7/128"]);
    expect(await target.update(["2001:db8::8"], ["203.0.113.9/32"])).toEqual({ status: "updated", size: 3 });
    expect([...(await target.list())].sort()).toEqual([
      "198.51.100.0/24",
      "2001:db8::7/128",
      "2001:db8::8/128",
    ]);
    expect(ipv4.calls.update + ipv6.calls.update).toBe(4);
  });

  it("reports a family it has no set for as full, and still applies the other", async () => {
    const { ipv4, options } = models();
    const target = new FamilyOverflow({
      ipv4: new WafIpSet(new WAFV2Client({ region: "us-east-1" }), { ...ipv4, scope: "REGIONAL" }, options),
    });
    expect(await target.add(["2001:db8::7", "203.0.113.9"])).toEqual({ status: "full", size: 1, limit: 0 });
    expect(ipv4.addresses).toEqual(["203.0.113.9/32"]);
  });
});

describe("the overflow target of CLOUDJAIL_OVERFLOW", () => {
  it("is a pair of WAFv2 IP sets, or one without IPv6, or a Network Firewall variable", async () => {
    const { ipv4, ipv6, options } = models();
    const wafv2 = new WAFV2Client({ region: "us-east-1" });
    const both = createOverflowTarget(
      {
        kind: "waf",
        scope: "REGIONAL",
        ipv4: { name: "cj-v4", id: "v4-id" },
        ipv6: { name: "cj-v6", id: "v6-id" },
      },
      { wafv2 },
      options,
    );
    await both.add(["203.0.113.9", "2001:db8::7"]);
    expect([ipv4.addresses, ipv6.addresses]).toEqual([["203.0.113.9/32"], ["2001:db8::7/128"]]);
    const v4only = createOverflowTarget(
      { kind: "waf", scope: "REGIONAL", ipv4: { name: "cj-v4", id: "v4-id" } },
      { wafv2 },
      options,
    );
    expect(await v4only.add(["2001:db8::9"])).toMatchObject({ status: "full", limit: 0 });
    const nfw = createOverflowTarget(
      {
        kind: "network-firewall",
        ruleGroupArn: "arn:aws:network-firewall:x:1:stateful-rulegroup/cj",
        variable: "B",
      },
      { networkFirewall: new NetworkFirewallClient({ region: "us-east-1" }) },
    );
    expect(nfw).toBeInstanceOf(NetworkFirewallIpSet);
  });

  it("needs the client of its kind", () => {
    expect(() =>
      createOverflowTarget({ kind: "waf", scope: "REGIONAL", ipv4: { name: "a", id: "b" } }, {}),
    ).toThrow(/WAFv2 client/);
    expect(() =>
      createOverflowTarget({ kind: "network-firewall", ruleGroupArn: "arn:x", variable: "B" }, {}),
    ).toThrow(/Network Firewall/);
  });
});
