import { NetworkFirewallClient, type RuleGroup } from "@aws-sdk/client-network-firewall";
import { WAFV2Client } from "@aws-sdk/client-wafv2";
import { afterEach, describe, expect, it } from "vitest";
import { FamilyOverflow } from "../../lambda/aws/family-overflow";
import { NetworkFirewallIpSet, PLACEHOLDER } from "../../lambda/aws/network-firewall-ip-set";
import { WafIpSet } from "../../lambda/aws/waf-ip-set";
import { cidrContains, parseCidr } from "../../lambda/core/ip";
import { DEFAULT_AGGREGATION } from "../../lambda/core/nacl-settings";
import { METRIC } from "../../lambda/core/telemetry";
import { respondAndAggregate } from "../../lambda/handlers/aggregate";
import { respond } from "../../lambda/handlers/respond";
import { unban } from "../../lambda/handlers/unban";
import { useDynalite } from "../support/dynalite";
import { NetworkFirewallModel } from "../support/network-firewall-model";
import { activeBans, attackLines, createWorld, logsEvent, T0, type World } from "../support/runtime-world";
import { mockWafIpSets, WafIpSetModel } from "../support/waf-ip-set-model";

const db = useDynalite();
let world: World;
let restoreTarget: () => void = () => {};
afterEach(() => {
  world?.restore();
  restoreTarget();
});

const HOUR = 3_600_000;

/** WAFv2 IP sets for both families behind one stub, on a clock that only the adapters' waits move. */
function wafTarget() {
  let clock = 0;
  const ipv4 = new WafIpSetModel("cloudjail-v4", "v4-id", "IPV4", () => clock);
  const ipv6 = new WafIpSetModel("cloudjail-v6", "v6-id", "IPV6", () => clock);
  const stub = mockWafIpSets([ipv4, ipv6]);
  restoreTarget = () => stub.restore();
  const client = new WAFV2Client({ region: "us-east-1" });
  const options = {
    now: () => clock,
    sleep: async (ms: number) => {
      clock += ms;
    },
    baseDelayMs: 1,
  };
  const target = new FamilyOverflow({
    ipv4: new WafIpSet(client, { name: "cloudjail-v4", id: "v4-id", scope: "REGIONAL" }, options),
    ipv6: new WafIpSet(client, { name: "cloudjail-v6", id: "v6-id", scope: "REGIONAL" }, options),
  });
  return { ipv4, ipv6, target };
}

/** `count` attackers in 203.0.113.0/24 (IPv4) or 2001:db8:ff::/64 (IPv6). */
function attackers(count: number, family: "ipv4" | "ipv6" = "ipv4"): string[] {
  return Array.from({ length: count }, (_, index) =>
    family === "ipv4" ? `203.0.113.${index + 1}` : `2001:db8:ff::${(index + 1).toString(16)}`,
  );
}

/** True when some entry of cloudjail's reserved range in `naclId` denies `ip`. */
function inNacl(naclId: string, ip: string): boolean {
  const { first, last } = world.config.nacl.reservedRuleRange;
  return world.model
    .entriesOf(naclId)
    .some(
      (entry) =>
        !entry.Egress &&
        (entry.RuleNumber ?? 0) >= first &&
        (entry.RuleNumber ?? 0) <= last &&
        cidrContains(parseCidr(entry.CidrBlock ?? entry.Ipv6CidrBlock ?? ""), ip),
    );
}

function hostCidrs(ips: readonly string[]): string[] {
  return ips.map((ip) => `${ip}/${ip.includes(":") ? 128 : 32}`).sort();
}

describe("the WAFv2 overflow target", () => {
  it("holds exactly the bans no NACL had room for, and lets them go when they end", async () => {
    world = await createWorld(db, { quota: 20 });
    const waf = wafTarget();
    const { runtime } = world.runtime({ overflow: waf.target });
    const ips = attackers(30);
    const summary = await respond(
      runtime,
      logsEvent(attackLines(ips, 5), { logStream: world.instanceId }),
      T0,
    );

    expect(summary.bans).toHaveLength(30);
    expect(summary.pending.length).toBeGreaterThanOrEqual(11);
    expect([...waf.ipv4.addresses].sort()).toEqual(hostCidrs(summary.pending));
    for (const ip of ips) {
      const blocked =
        world.naclIds.every((naclId) => inNacl(naclId, ip)) || waf.ipv4.addresses.includes(`${ip}/32`);
      expect(blocked, `${ip} blocked in every NACL or by WAF`).toBe(true);
    }
    expect(waf.ipv4.calls.update, "one update for the whole batch").toBe(1);

    await unban(runtime, T0 + HOUR + 1000);
    expect(waf.ipv4.addresses).toEqual([]);
  });

  it("gives a ban back to the NACL when room frees, and takes it out of the IP set", async () => {
    world = await createWorld(db, { quota: 20 });
    const waf = wafTarget();
    const { runtime, recorder } = world.runtime({ overflow: waf.target });
    const early = attackers(18);
    await respond(runtime, logsEvent(attackLines(early, 5), { logStream: world.instanceId }), T0);
    const lateAt = T0 + 30 * 60_000;
    const late = ["198.51.100.7", "198.51.100.8"];
    const second = await respond(
      runtime,
      logsEvent(attackLines(late, 5, lateAt), { logStream: world.instanceId, batch: 2 }),
      lateAt,
    );
    expect([...second.pending].sort()).toEqual(late);
    expect([...waf.ipv4.addresses].sort()).toEqual(hostCidrs(late));

    // The early bans end; the unbanner lifts them, places the late ones in the NACLs, then syncs the IP set.
    await unban(runtime, T0 + HOUR + 1000);
    for (const ip of late) expect(world.naclIds.every((naclId) => inNacl(naclId, ip))).toBe(true);
    expect(waf.ipv4.addresses).toEqual([]);
    expect(recorder.metrics.get(METRIC.overflowSize)).toEqual([0]);
  });

  it("puts IPv6 bans into the IPv6 set", async () => {
    world = await createWorld(db, { quota: 20 });
    const waf = wafTarget();
    const { runtime } = world.runtime({ overflow: waf.target });
    const ips = attackers(25, "ipv6");
    const summary = await respond(
      runtime,
      logsEvent(attackLines(ips, 5), { logStream: world.instanceId }),
      T0,
    );
    expect(summary.pending.length).toBeGreaterThan(0);
    expect([...waf.ipv6.addresses].sort()).toEqual(hostCidrs(summary.pending));
    expect(waf.ipv4.addresses).toEqual([]);
  });

  it("holds the bans aggregation evicts in the same invocation", async () => {
    world = await createWorld(db, {
      quota: 20,
      nacl: { aggregation: { ...DEFAULT_AGGREGATION, ipv4WidestPrefix: 24, threshold: 1000 } },
    });
    const waf = wafTarget();
    const { runtime, recorder } = world.runtime({ overflow: waf.target });
    const ips = Array.from({ length: 19 }, (_, index) => `${20 + index}.0.0.1`);
    await respondAndAggregate(runtime, logsEvent(attackLines(ips, 5), { logStream: world.instanceId }), T0);
    const late = T0 + 5 * 60_000;
    await respondAndAggregate(
      runtime,
      logsEvent(attackLines(["99.0.0.1"], 5, late), { logStream: world.instanceId, batch: 2 }),
      late,
    );
    expect(recorder.metricSum(METRIC.evictions)).toBeGreaterThanOrEqual(1);
    const evicted = [...(await activeBans(runtime)).values()].filter(
      (record) => record.ban?.state === "pending",
    );
    expect(evicted.length).toBeGreaterThanOrEqual(1);
    expect([...waf.ipv4.addresses].sort()).toEqual(hostCidrs(evicted.map((record) => record.ip)));
    for (const cidr of waf.ipv4.addresses) {
      const ip = cidr.replace("/32", "");
      expect(
        world.naclIds.some((naclId) => inNacl(naclId, ip)),
        `${ip} is held by WAF, not a NACL`,
      ).toBe(false);
    }
  });
});

describe("an overflow target with aggregation", () => {
  it("holds a block the NACL has no room for whole, as one CIDR that also stops its addresses not banned yet", async () => {
    world = await createWorld(db, {
      quota: 20,
      nacl: { aggregation: { ...DEFAULT_AGGREGATION, ipv4WidestPrefix: 24, threshold: 3 } },
    });
    const waf = wafTarget();
    const { runtime } = world.runtime({ overflow: waf.target });
    const blocks = Array.from({ length: 19 }, (_, block) => `${40 + block}.2.2`);
    const ips = blocks.flatMap((block) => [1, 2, 3].map((host) => `${block}.${host}`));
    await respondAndAggregate(runtime, logsEvent(attackLines(ips, 5), { logStream: world.instanceId }), T0);

    expect(waf.ipv4.addresses).toHaveLength(1);
    const [held] = waf.ipv4.addresses;
    expect(held).toMatch(/^\d+\.2\.2\.0\/24$/);
    const block = parseCidr(held ?? "");
    const neverBanned = `${held?.split(".").slice(0, 3).join(".")}.200`;
    expect(cidrContains(block, neverBanned), "an address of the block not banned yet is stopped too").toBe(
      true,
    );
    const cover = (await activeBans(runtime)).get(held ?? "");
    expect(cover?.ban).toMatchObject({ state: "pending", jail: "cover", entries: {} });
    for (const ip of ips) {
      const inNacls = world.naclIds.every((naclId) => inNacl(naclId, ip));
      expect(inNacls || cidrContains(block, ip), `${ip} blocked by a NACL or the held block`).toBe(true);
    }
    await unban(runtime, T0 + 60_000);
    expect(waf.ipv4.addresses, "the unbanner's sync keeps the block").toEqual([held]);
  });
});

describe("the Network Firewall overflow target", () => {
  const ARN = "arn:aws:network-firewall:us-east-1:123456789012:stateful-rulegroup/cloudjail";

  function firewall(capacity: number) {
    const ruleGroup: RuleGroup = {
      RuleVariables: { IPSets: { CLOUDJAIL_BANNED: { Definition: [PLACEHOLDER] } } },
      RulesSource: {
        RulesString: 'drop ip $CLOUDJAIL_BANNED any -> any any (msg:"cloudjail"; sid:1; rev:1;)',
      },
    };
    const model = new NetworkFirewallModel(ARN, ruleGroup, capacity);
    const stub = model.mock();
    restoreTarget = () => stub.restore();
    const target = new NetworkFirewallIpSet(
      new NetworkFirewallClient({ region: "us-east-1" }),
      { ruleGroupArn: ARN, variable: "CLOUDJAIL_BANNED" },
      { limit: capacity },
    );
    const held = () =>
      (model.ruleGroup.RuleVariables?.IPSets?.CLOUDJAIL_BANNED?.Definition ?? []).filter(
        (cidr) => cidr !== PLACEHOLDER,
      );
    return { model, target, held };
  }

  it("holds the bans no NACL had room for in the rule group's variable", async () => {
    world = await createWorld(db, { quota: 20 });
    const nfw = firewall(100);
    const { runtime } = world.runtime({ overflow: nfw.target });
    const summary = await respond(
      runtime,
      logsEvent(attackLines(attackers(30), 5), { logStream: world.instanceId }),
      T0,
    );
    expect([...nfw.held()].sort()).toEqual(hostCidrs(summary.pending));
    await unban(runtime, T0 + HOUR + 1000);
    expect(nfw.held()).toEqual([]);
  });

  it("reports bans it has no room for with the OverflowRefused metric, and crashes nothing", async () => {
    world = await createWorld(db, { quota: 20 });
    const nfw = firewall(5);
    const { runtime, recorder } = world.runtime({ overflow: nfw.target });
    const summary = await respond(
      runtime,
      logsEvent(attackLines(attackers(30), 5), { logStream: world.instanceId }),
      T0,
    );
    expect(summary.bans).toHaveLength(30);
    expect(nfw.held()).toEqual([]);
    expect(recorder.metricSum(METRIC.overflowRefused)).toBe(summary.pending.length);
    expect(
      recorder.logs.some((log) => log.level === "error" && /overflow target is full/.test(log.message)),
    ).toBe(true);
    await unban(runtime, T0 + 60_000);
    expect(recorder.metricSum(METRIC.overflowRefused)).toBe(2 * summary.pending.length);
  });
});
