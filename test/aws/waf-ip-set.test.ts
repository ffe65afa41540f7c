import { WAFV2Client } from "@aws-sdk/client-wafv2";
import { afterEach, describe, expect, it } from "vitest";
import { WAF_IP_SET_LIMIT, WafIpSet } from "../../lambda/aws/waf-ip-set";
import { WafIpSetModel } from "../support/waf-ip-set-model";

let restore: () => void = () => {};
afterEach(() => restore());

/** A model and an adapter sharing a simulated clock that only the adapter's waits move. */
function setUp(version: "IPV4" | "IPV6" = "IPV4") {
  let clock = 0;
  const waits: number[] = [];
  const model = new WafIpSetModel("cloudjail-overflow", "abc-123", version, () => clock);
  const stub = model.mock();
  restore = () => stub.restore();
  const adapter = new WafIpSet(
    new WAFV2Client({ region: "us-east-1" }),
    { name: "cloudjail-overflow", id: "abc-123", scope: "REGIONAL" },
    {
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    },
  );
  return { model, adapter, waits };
}

describe("the WAFv2 IP set overflow target", () => {
  it("adds and removes addresses as CIDRs with the lock token of the latest Get", async () => {
    const { model, adapter } = setUp();
    expect(await adapter.add(["203.0.113.9", "198.51.100.0/24"])).toEqual({ status: "updated", size: 2 });
    expect(model.addresses).toEqual(["203.0.113.9/32", "198.51.100.0/24"]);
    expect(await adapter.remove(["203.0.113.9/32"])).toEqual({ status: "updated", size: 1 });
    expect(await adapter.list()).toEqual(["198.51.100.0/24"]);
    expect(await adapter.add(["198.51.100.0/24"])).toEqual({ status: "unchanged", size: 1 });
  });

  it("starts again from a fresh Get when another writer changed the set in between, losing neither change", async () => {
    const { model, adapter } = setUp();
    model.interleave = () => model.externalUpdate(["192.0.2.1/32"]);
    await adapter.add(["203.0.113.9"]);
    expect(model.addresses.sort()).toEqual(["192.0.2.1/32", "203.0.113.9/32"]);
    expect(adapter.stats.lockConflicts).toBe(1);
  });

  it("spaces its updates at least one second apart", async () => {
    const { model, adapter, waits } = setUp();
    await adapter.add(["203.0.113.1"]);
    await adapter.add(["203.0.113.2"]);
    await adapter.add(["203.0.113.3"]);
    expect(model.calls.rejected).toBe(0);
    expect(waits.filter((ms) => ms >= 1000)).toHaveLength(2);
  });

  it("refuses a change that would pass 10,000 addresses, whole, and changes nothing", async () => {
    const { model, adapter } = setUp();
    model.externalUpdate(
      Array.from({ length: WAF_IP_SET_LIMIT - 1 }, (_, index) => `10.${index >> 8}.${index & 255}.1/32`),
    );
    expect(await adapter.add(["203.0.113.1", "203.0.113.2"])).toEqual({
      status: "full",
      size: WAF_IP_SET_LIMIT - 1,
      limit: WAF_IP_SET_LIMIT,
    });
    expect(model.addresses).toHaveLength(WAF_IP_SET_LIMIT - 1);
    expect(await adapter.add(["203.0.113.1"])).toEqual({ status: "updated", size: WAF_IP_SET_LIMIT });
  });

  it("writes IPv6 addresses as /128 into an IPv6 set", async () => {
    const { model, adapter } = setUp("IPV6");
    await adapter.add(["2001:db8::9"]);
    expect(model.addresses).toEqual(["2001:db8::9/128"]);
  });
});
