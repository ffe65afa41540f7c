import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { encodeLogsEvent } from "../../lambda/handlers/decode";
import { respond } from "../../lambda/handlers/respond";
import { type LocalDynamo, startDynalite } from "../support/dynalite";
import { createWorld, eventId, failedPassword, T0, type World } from "../support/runtime-world";

/**
 * Hosts whose syslog writes local time without a year or zone (RHEL-family `/var/log/secure`), through the
 * responder on dynalite: each line is placed by its CloudWatch event's timestamp (stamp-reconcile.ts). The seed
 * article's jail: maxretry 5 within findtime 10m. Lines are written by the helpers below as such a host writes them
 * (hand-made, from runtime-world's `failedPassword` format).
 */

let db: LocalDynamo;
let world: World;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(() => db.stop());
afterEach(() => world?.restore());

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const ATTACKER = "203.0.113.9";
/** The agent reads a line this long after sshd wrote it. */
const READ_DELAY = 2000;

/** A failure at `at` (true epoch ms) on a host whose clock is `offset` ms east of UTC and `skew` ms fast. */
interface Failure {
  readonly at: number;
  readonly offset: number;
  readonly skew?: number;
}

let batches = 0;
/** The failures as one batch: syslog text in the host's local time, each event stamped by the agent's clock. */
function batch(failures: readonly Failure[]) {
  const number = ++batches;
  return encodeLogsEvent({
    messageType: "DATA_MESSAGE",
    owner: "123456789012",
    logGroup: "/cloudjail/auth",
    logStream: world.instanceId,
    subscriptionFilters: ["cloudjail"],
    logEvents: failures.map(({ at, offset, skew = 0 }, index) => ({
      id: eventId(number, index),
      timestamp: at + skew + READ_DELAY,
      message: failedPassword(ATTACKER, at + skew + offset, 2000 + number * 100 + index),
    })),
  });
}

/** Responds to the batch a few seconds after its last failure, as Lambda would be invoked. */
async function deliver(failures: readonly Failure[]) {
  const last = Math.max(...failures.map((failure) => failure.at));
  return respond(world.runtime().runtime, batch(failures), last + 5000);
}

/** `count` failures a minute apart ending at `end`. */
const minuteApart = (count: number, end: number, offset: number, skew?: number): Failure[] =>
  Array.from({ length: count }, (_, index) => ({ at: end - (count - 1 - index) * MINUTE, offset, skew }));

const ZONES: readonly [string, number][] = [
  ["UTC-12", -12 * HOUR],
  ["UTC-5", -5 * HOUR],
  ["UTC", 0],
  ["UTC+2", 2 * HOUR],
  ["UTC+5:30", 5.5 * HOUR],
  ["UTC+5:45", 5.75 * HOUR],
  ["UTC+12:45", 12.75 * HOUR],
  ["UTC+14", 14 * HOUR],
];

describe("a host writing syslog in local time", () => {
  for (const [zone, offset] of ZONES) {
    it(`at ${zone}: bans 5 failures within findtime, and lets 3 failures age out before 2 more`, async () => {
      world = await createWorld(db);
      expect((await deliver(minuteApart(5, T0, offset))).bans).toEqual([ATTACKER]);
      world.restore();
      world = await createWorld(db);
      expect((await deliver(minuteApart(3, T0 - 30 * MINUTE, offset))).bans).toEqual([]);
      const later = await deliver(minuteApart(2, T0, offset));
      expect(later).toMatchObject({ failures: 2, bans: [] });
    });
  }

  it("with its clock 4 minutes fast (UTC+2): bans within findtime, lets old failures age out", async () => {
    world = await createWorld(db);
    expect((await deliver(minuteApart(5, T0, 2 * HOUR, 4 * MINUTE))).bans).toEqual([ATTACKER]);
    world.restore();
    world = await createWorld(db);
    await deliver(minuteApart(3, T0 - 30 * MINUTE, 2 * HOUR, 4 * MINUTE));
    expect((await deliver(minuteApart(2, T0, 2 * HOUR, 4 * MINUTE))).bans).toEqual([]);
  });
});

describe("a host in America/New_York across a DST change", () => {
  const EST = -5 * HOUR;
  const EDT = -4 * HOUR;

  it("bans 5 failures in 5 minutes across the spring change (local 01:58, 01:59, 03:00, 03:01, 03:02)", async () => {
    world = await createWorld(db);
    const change = Date.parse("2026-03-08T07:00:00Z");
    const failures = minuteApart(5, change + 2 * MINUTE, 0).map(({ at }) => ({
      at,
      offset: at < change ? EST : EDT,
    }));
    expect((await deliver(failures)).bans).toEqual([ATTACKER]);
  });

  it("bans 5 failures in 5 minutes across the autumn change (local 01:58, 01:59, 01:00, 01:01, 01:02)", async () => {
    world = await createWorld(db);
    const change = Date.parse("2026-11-01T06:00:00Z");
    const failures = minuteApart(5, change + 2 * MINUTE, 0).map(({ at }) => ({
      at,
      offset: at < change ? EDT : EST,
    }));
    expect((await deliver(failures)).bans).toEqual([ATTACKER]);
  });

  it("does not ban for the repeated hour: local 01:30 EDT three times and 01:30 EST twice are an hour apart", async () => {
    world = await createWorld(db);
    const first = Date.parse("2026-11-01T05:30:00Z");
    await deliver([0, 1, 2].map((second) => ({ at: first + second * 1000, offset: EDT })));
    const again = await deliver([0, 1].map((second) => ({ at: first + HOUR + second * 1000, offset: EST })));
    expect(again).toMatchObject({ failures: 2, bans: [] });
  });
});

describe("a host across New Year", () => {
  it("at UTC-5 bans local Dec 31 23:58 .. Jan 1 00:02, read by CloudWatch in the new UTC year", async () => {
    world = await createWorld(db);
    expect((await deliver(minuteApart(5, Date.parse("2027-01-01T05:02:00Z"), -5 * HOUR))).bans).toEqual([
      ATTACKER,
    ]);
  });

  it("at UTC+9 bans local Dec 31 23:58 .. Jan 1 00:02, read by CloudWatch in the old UTC year", async () => {
    world = await createWorld(db);
    expect((await deliver(minuteApart(5, Date.parse("2026-12-31T15:02:00Z"), 9 * HOUR))).bans).toEqual([
      ATTACKER,
    ]);
  });
});

describe("stamps that carry their offset", () => {
  /** `2026-11-25T07:00:00-05:00 web-1 sshd[...]: Failed password ...` (Debian's RFC 3339 auth.log, at UTC-5). */
  const rfc3339 = (at: number, pid: number) => {
    const local = new Date(at - 5 * HOUR).toISOString().slice(0, 19);
    return `${local}-05:00 web-1 sshd[${pid}]: Failed password for root from ${ATTACKER} port ${40000 + pid} ssh2`;
  };

  it("are taken as written, even when the event's timestamp is 3 hours off (an agent parsing in the wrong zone)", async () => {
    world = await createWorld(db);
    const { runtime } = world.runtime();
    const times = minuteApart(5, T0, 0).map(({ at }) => at);
    const event = encodeLogsEvent({
      messageType: "DATA_MESSAGE",
      owner: "123456789012",
      logGroup: "/cloudjail/auth",
      logStream: world.instanceId,
      subscriptionFilters: ["cloudjail"],
      logEvents: times.map((at, index) => ({
        id: eventId(900, index),
        timestamp: at - 3 * HOUR,
        message: rfc3339(at, 3000 + index),
      })),
    });
    expect((await respond(runtime, event, T0 + 5000)).bans).toEqual([ATTACKER]);
    expect((await runtime.store.getRecord(ATTACKER))?.ban?.lines.at(-1)).toContain("07:00:00-05:00");
  });
});
