import { afterEach, describe, expect, it } from "vitest";
import { FAILURES_LOG, METRIC } from "../../lambda/core/telemetry";
import { respond } from "../../lambda/handlers/respond";
import { useDynalite } from "../support/dynalite";
import { expectTableAndNaclsAgree } from "../support/invariants";
import { sshdJail } from "../support/jails";
import {
  activeBans,
  attackLines,
  createWorld,
  failedPassword,
  logsEvent,
  T0,
  type World,
} from "../support/runtime-world";

const db = useDynalite();
let world: World;
afterEach(() => world?.restore());

const ATTACKER = "203.0.113.9";

describe("the responder", () => {
  it("bans an IP at maxretry with one DENY entry in every NACL of the protected VPC", async () => {
    world = await createWorld(db);
    const { runtime, recorder } = world.runtime();
    const summary = await respond(
      runtime,
      logsEvent(attackLines([ATTACKER], 5), { logStream: world.instanceId }),
      T0,
    );
    expect(summary).toMatchObject({ events: 5, failures: 5, bans: [ATTACKER], pending: [] });
    for (const naclId of world.naclIds) {
      const denies = world.model
        .entriesOf(naclId)
        .filter((entry) => entry.RuleAction === "deny" && !entry.Egress);
      expect(denies.map((entry) => [entry.RuleNumber, entry.CidrBlock, entry.Protocol])).toContainEqual([
        1,
        `${ATTACKER}/32`,
        "-1",
      ]);
    }
    expect(recorder.metricSum(METRIC.bans)).toBe(1);
    await expectTableAndNaclsAgree(world, runtime, [ATTACKER]);
  });

  it("records the ban so that it reads well in the console", async () => {
    world = await createWorld(db);
    const { runtime } = world.runtime();
    await respond(runtime, logsEvent(attackLines([ATTACKER], 5), { logStream: world.instanceId }), T0);
    const record = await runtime.store.getRecord(ATTACKER);
    expect(record).toMatchObject({
      pk: `BAN#${ATTACKER}`,
      ip: ATTACKER,
      cidr: `${ATTACKER}/32`,
      banCount: 1,
      banEndsAt: T0 / 1000 + 3600,
      banEndsAtIso: "2026-11-25T13:00:00.000Z",
      ban: {
        jail: "sshd",
        state: "enforced",
        banNumber: 1,
        bannedAtIso: "2026-11-25T12:00:00.000Z",
        endsAtIso: "2026-11-25T13:00:00.000Z",
        instanceId: world.instanceId,
        reason: "5 failures within 10m (maxretry 5); this batch: sshd.failed-auth x5",
      },
    });
    expect(record?.ban?.lines).toHaveLength(5);
    expect(record?.ban?.lines[0]).toContain(`Failed password for root from ${ATTACKER}`);
    expect(record?.expiresAt).toBeUndefined();
  });

  it("counts failures below maxretry with one conditional write per IP, not one per line", async () => {
    world = await createWorld(db);
    const { runtime, recorder } = world.runtime();
    const ips = ["198.51.100.1", "198.51.100.2", "198.51.100.3"];
    const summary = await respond(
      runtime,
      logsEvent(attackLines(ips, 4), { logStream: world.instanceId }),
      T0,
    );
    expect(summary).toMatchObject({ failures: 12, bans: [] });
    // One per address's block shard, and one for the sshd connections the batch leaves open (no line closed them).
    expect(recorder.dynamoRequests.get("PutItemCommand")).toBe(4);
    expect(recorder.dynamoRequests.get("BatchGetItemCommand")).toBe(1);
    const window = await runtime.store.getWindow("sshd", "198.51.100.2");
    expect(window?.failureTimes).toHaveLength(4);
    expect(window?.lastFailureAtIso).toBe("2026-11-25T12:00:00.000Z");
    expect(recorder.logsWith(FAILURES_LOG.message)).toContainEqual({
      ip: "198.51.100.2",
      jail: "sshd",
      failures: 4,
      banned: false,
    });
  });

  it("bans across batches once the window fills", async () => {
    world = await createWorld(db);
    const { runtime } = world.runtime();
    await respond(
      runtime,
      logsEvent(attackLines([ATTACKER], 3, T0 - 60_000), { logStream: world.instanceId, batch: 1 }),
      T0 - 60_000,
    );
    const second = await respond(
      runtime,
      logsEvent(attackLines([ATTACKER], 2), { logStream: world.instanceId, batch: 2 }),
      T0,
    );
    expect(second.bans).toEqual([ATTACKER]);
    expect((await runtime.store.getRecord(ATTACKER))?.ban?.failures).toBe(5);
  });

  it("never bans an address in ignoreip, whatever it does", async () => {
    world = await createWorld(db, { jails: [sshdJail({ ignoreip: ["203.0.113.0/24"] })] });
    const { runtime } = world.runtime();
    const summary = await respond(
      runtime,
      logsEvent(attackLines([ATTACKER], 50), { logStream: world.instanceId }),
      T0,
    );
    expect(summary).toMatchObject({ ignored: 50, bans: [], failures: 0 });
    expect(await activeBans(runtime)).toHaveProperty("size", 0);
    await expectTableAndNaclsAgree(world, runtime);
  });

  it("reports failures from an IP it already banned, without banning it again", async () => {
    world = await createWorld(db);
    const { runtime, recorder } = world.runtime();
    await respond(
      runtime,
      logsEvent(attackLines([ATTACKER], 5), { logStream: world.instanceId, batch: 1 }),
      T0,
    );
    const later = T0 + 60_000;
    const summary = await respond(
      runtime,
      logsEvent(attackLines([ATTACKER], 7, later), { logStream: world.instanceId, batch: 2 }),
      later,
    );
    expect(summary).toMatchObject({ reported: 7, failures: 0, bans: [] });
    expect(recorder.metricSum(METRIC.failures)).toBe(12);
    expect(recorder.logsWith(FAILURES_LOG.message).at(-1)).toEqual({
      ip: ATTACKER,
      jail: "sshd",
      failures: 7,
      banned: true,
    });
    const record = await runtime.store.getRecord(ATTACKER);
    expect(record?.banCount).toBe(1);
    expect(record?.ban?.endsAtIso).toBe("2026-11-25T13:00:00.000Z");
    await expectTableAndNaclsAgree(world, runtime, [ATTACKER]);
  });

  it("bans IPv6 addresses with an Ipv6CidrBlock entry", async () => {
    world = await createWorld(db);
    const { runtime } = world.runtime();
    const lines = Array.from({ length: 5 }, (_, index) =>
      failedPassword("2001:db8:bad::7", T0 - 5000 + index * 1000, 300 + index).replace(
        "for root",
        "for invalid user bob",
      ),
    );
    await respond(runtime, logsEvent(lines, { logStream: world.instanceId }), T0);
    const entry = world.model.entriesOf(world.naclIds[0]).find((candidate) => candidate.RuleNumber === 1);
    expect(entry).toMatchObject({ Ipv6CidrBlock: "2001:db8:bad::7/128", RuleAction: "deny", Egress: false });
    expect(entry?.CidrBlock).toBeUndefined();
    await expectTableAndNaclsAgree(world, runtime, ["2001:db8:bad::7"]);
  });

  it("with scope subnet, bans only in the NACL of the attacked instance's subnet", async () => {
    world = await createWorld(db, { nacl: { scope: "subnet" } });
    const { runtime } = world.runtime();
    await respond(runtime, logsEvent(attackLines([ATTACKER], 5), { logStream: world.instanceId }), T0);
    const record = await runtime.store.getRecord(ATTACKER);
    expect(record?.ban?.targets).toEqual([world.naclIds[1]]);
    expect(
      world.model.entriesOf(world.naclIds[0]).some((entry) => entry.CidrBlock === `${ATTACKER}/32`),
    ).toBe(false);
    expect(
      world.model.entriesOf(world.naclIds[1]).some((entry) => entry.CidrBlock === `${ATTACKER}/32`),
    ).toBe(true);
  });

  it("narrows entries to TCP on the jail's ports when asked to", async () => {
    world = await createWorld(db, {
      jails: [
        sshdJail({
          port: [
            { from: 22, to: 22 },
            { from: 2222, to: 2222 },
          ],
        }),
      ],
      nacl: { restrictToJailPorts: true },
    });
    const { runtime } = world.runtime();
    await respond(runtime, logsEvent(attackLines([ATTACKER], 5), { logStream: world.instanceId }), T0);
    const entry = world.model
      .entriesOf(world.naclIds[0])
      .find((candidate) => candidate.CidrBlock === `${ATTACKER}/32`);
    expect(entry).toMatchObject({ Protocol: "6", PortRange: { From: 22, To: 2222 } });
    await expectTableAndNaclsAgree(world, runtime, [ATTACKER]);
  });

  it("sends one notice per ban with jail, IP, failures, end and NACLs", async () => {
    world = await createWorld(db);
    const { runtime, recorder } = world.runtime();
    // The ban starts at the failure that reached maxretry (the fifth, at T0), as replay decides it.
    await respond(
      runtime,
      logsEvent(attackLines([ATTACKER], 6, T0 + 1000), { logStream: world.instanceId }),
      T0 + 1000,
    );
    expect(recorder.notices).toHaveLength(1);
    expect(recorder.notices[0]).toMatchObject({
      action: "ban",
      jail: "sshd",
      ip: ATTACKER,
      failures: 5,
      until: "2026-11-25T13:00:00.000Z",
      nacls: { [world.naclIds[0]]: 1, [world.naclIds[1]]: 1 },
    });
  });

  it("records a ban as pending, never silently dropped, when no NACL is known", async () => {
    world = await createWorld(db, { nacl: { vpcIds: [], naclIds: [] } });
    const { runtime, recorder } = world.runtime();
    const summary = await respond(
      runtime,
      logsEvent(attackLines([ATTACKER], 5), { logStream: world.instanceId }),
      T0,
    );
    expect(summary.pending).toEqual([ATTACKER]);
    const ban = (await runtime.store.getRecord(ATTACKER))?.ban;
    expect(ban?.state).toBe("pending");
    expect(ban?.pending["*"]).toMatch(/no NACL to write to/);
    expect(
      recorder.logs.some((log) => log.level === "error" && log.message.startsWith("no NACL to ban in")),
    ).toBe(true);
  });

  it("never writes into a NACL whose own rules sit inside the reserved range, and says why", async () => {
    world = await createWorld(db);
    const [defaultNacl, customNacl] = world.naclIds;
    const userRule = {
      NetworkAclId: customNacl,
      RuleNumber: 50,
      Egress: false,
      RuleAction: "allow" as const,
      Protocol: "-1",
      CidrBlock: "192.0.2.0/24",
    };
    world.model.createNetworkAclEntry(userRule);
    const { runtime, recorder } = world.runtime();
    const summary = await respond(
      runtime,
      logsEvent(attackLines([ATTACKER], 5), { logStream: world.instanceId }),
      T0,
    );
    expect(summary.pending).toEqual([ATTACKER]);
    const ban = (await runtime.store.getRecord(ATTACKER))?.ban;
    expect(ban?.entries).toEqual({ [defaultNacl]: 1 });
    expect(ban?.pending[customNacl]).toMatch(
      /inbound rule 50 \(allow 192\.0\.2\.0\/24\) lies inside the reserved range 1-99/,
    );
    const { unban } = await import("../../lambda/handlers/unban");
    await unban(runtime, T0 + 60_000);
    expect(world.model.entriesOf(customNacl)).toContainEqual(
      expect.objectContaining({ RuleNumber: 50, RuleAction: "allow" }),
    );
    expect(
      recorder.logs.some((log) => log.level === "error" && String(log.fields.rule).includes("rule 50")),
    ).toBe(true);
  });

  it("skips the control message CloudWatch Logs sends first", async () => {
    world = await createWorld(db);
    const { runtime, recorder } = world.runtime();
    const { encodeLogsEvent } = await import("../../lambda/handlers/decode");
    // As CloudWatch Logs sends it when a subscription is created (its event id is empty).
    const control = encodeLogsEvent({
      messageType: "CONTROL_MESSAGE",
      owner: "CloudwatchLogs",
      logGroup: "",
      logStream: "",
      subscriptionFilters: [],
      logEvents: [
        { id: "", timestamp: T0, message: "CWL CONTROL MESSAGE: Checking health of destination Lambda." },
      ],
    });
    expect(await respond(runtime, control, T0)).toMatchObject({ events: 0, failures: 0 });
    expect(recorder.dynamoRequests.size).toBe(0);
  });

  it("counts a line it cannot read as skipped and goes on with the others", async () => {
    world = await createWorld(db);
    const { runtime, recorder } = world.runtime();
    const lines = [
      `Nov 25 11:59:00 web-1 sshd[9]: Failed password for ${"x".repeat(20_000)} from 192.0.2.1 port 1 ssh2`,
      ...attackLines([ATTACKER], 5),
    ];
    const summary = await respond(runtime, logsEvent(lines, { logStream: world.instanceId }), T0);
    expect(summary).toMatchObject({ skipped: 1, bans: [ATTACKER] });
    expect(recorder.metricSum(METRIC.skippedLines)).toBe(1);
  });

  it("counts failures from a host name sshd wrote as UnbannableFailures, logs one, and bans nothing for them", async () => {
    world = await createWorld(db);
    const { runtime, recorder } = world.runtime();
    const lines = [
      "Nov 25 11:59:00 web-1 sshd[31607]: User root from example.com not allowed because not listed in AllowUsers",
      "Nov 25 11:59:01 web-1 sshd[31608]: User root from bad.example.net not allowed because not listed in AllowUsers",
      ...attackLines([ATTACKER], 5),
    ];
    const summary = await respond(runtime, logsEvent(lines, { logStream: world.instanceId }), T0);
    expect(summary).toMatchObject({ failures: 5, bans: [ATTACKER] });
    expect(recorder.metricSum(METRIC.unbannableFailures)).toBe(2);
    const logged = recorder.logsWith("failures from a source that is no address: not banned");
    expect(logged).toEqual([
      {
        logStream: world.instanceId,
        failures: 2,
        sample: {
          source: "example.com",
          pattern: "sshd.user-not-allowed",
          line: lines[0],
        },
      },
    ]);
  });

  it("logs no unbannable sample for a batch whose every source is an address", async () => {
    world = await createWorld(db);
    const { runtime, recorder } = world.runtime();
    await respond(runtime, logsEvent(attackLines([ATTACKER], 5), { logStream: world.instanceId }), T0);
    expect(recorder.metricSum(METRIC.unbannableFailures)).toBe(0);
    expect(recorder.logsWith("failures from a source that is no address: not banned")).toEqual([]);
  });
});
