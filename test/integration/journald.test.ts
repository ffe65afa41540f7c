import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { JOURNALD_HOLD_MS } from "../../lambda/aws/journald-hosts";
import { METRIC } from "../../lambda/core/telemetry";
import { encodeLogsEvent, type LogsPayload } from "../../lambda/handlers/decode";
import { respond } from "../../lambda/handlers/respond";
import { type LocalDynamo, startDynalite } from "../support/dynalite";
import { sshdJail } from "../support/jails";
import {
  activeBans,
  createWorld,
  eventId,
  failedPassword,
  logsEvent,
  T0,
  type World,
} from "../support/runtime-world";

/**
 * The responder on journald records (the CloudWatch agent's `{"body":{...}}` events), on dynalite and the NACL
 * model. Records are the captured ones of test/fixtures/agent/journald/, or made from them with another address.
 */

let db: LocalDynamo;
let world: World;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(() => db.stop());
afterEach(() => world?.restore());

type Body = Record<string, unknown>;
const FIXTURES = join(__dirname, "../fixtures/agent/journald");
const capture = (file: string) => JSON.parse(readFileSync(join(FIXTURES, file), "utf8")) as LogsPayload;
const bodyOf = (message: string) => (JSON.parse(message) as { body: Body }).body;

const debian13 = capture("debian-13.identifier.cloudwatch.json");
/** A record of the capture whose MESSAGE contains `text`. */
function captured(text: string): Body {
  const event = debian13.logEvents.find((logEvent) =>
    String(bodyOf(logEvent.message).MESSAGE).includes(text),
  );
  if (event === undefined) throw new Error(`no captured record with ${text}`);
  return bodyOf(event.message);
}
/** OpenSSH 10.0's own `Failed password` record (root, sshd-session, ssh.service). */
const REAL = captured("Failed password for root from 127.0.41.1 ");
/** mallory's `logger -t sshd 'Failed password for root from 203.0.113.9 ...'` (uid 1002, session-3.scope). */
const LOGGER = captured("203.0.113.9 ");
/** A copy of logger named `sshd`: `_COMM=sshd`, still mallory's. */
const RENAMED = captured("203.0.113.11 ");
/** root's `logger -t sshd` from a cron job: `_UID=0`, but not sshd's process nor its unit. */
const ROOT_CRON = captured("203.0.113.15 ");

/** `count` copies of `body` claiming failures of `ip`, one per connection (pid), a second apart, ending at T0. */
function records(body: Body, ip: string, count: number): { message: string; timestamp: number }[] {
  return Array.from({ length: count }, (_, index) => {
    const pid = String(30_000 + index);
    const message = `Failed password for root from ${ip} port ${41_000 + index} ssh2`;
    const fields = { ...body, MESSAGE: message, _PID: pid, SYSLOG_PID: pid };
    return { message: JSON.stringify({ body: fields }), timestamp: T0 - (count - index) * 1000 };
  });
}

function batch(events: { message: string; timestamp: number }[], logStream: string, number = 1) {
  return encodeLogsEvent({
    messageType: "DATA_MESSAGE",
    owner: "123456789012",
    logGroup: "/cloudjail/auth",
    logStream,
    subscriptionFilters: ["cloudjail"],
    logEvents: events.map((event, index) => ({ id: eventId(number, index), ...event })),
  });
}

const VICTIM = "198.51.100.50";
const ATTACKER = "203.0.113.77";

describe("the responder on journald records", () => {
  it("bans an attacker whose failures sshd itself wrote into the journal", async () => {
    world = await createWorld(db);
    const { runtime, recorder } = world.runtime();
    const summary = await respond(
      runtime,
      batch(records(REAL, ATTACKER, 5), `${world.instanceId}/journald`),
      T0,
    );
    expect(summary).toMatchObject({ events: 5, failures: 5, bans: [ATTACKER] });
    expect((await runtime.store.getRecord(ATTACKER))?.ban?.instanceId).toBe(world.instanceId);
    expect(recorder.metricSum(METRIC.forgedLines)).toBe(0);
  });

  it("never bans the victim of a local user's forged sshd lines, and counts them in ForgedLines", async () => {
    world = await createWorld(db);
    const { runtime, recorder } = world.runtime();
    const forged = [
      ...records(LOGGER, VICTIM, 5),
      ...records(RENAMED, VICTIM, 5),
      ...records(ROOT_CRON, VICTIM, 5),
    ];
    const summary = await respond(runtime, batch(forged, `${world.instanceId}/journald`), T0);
    expect(summary).toMatchObject({ events: 15, failures: 0, bans: [] });
    expect(await runtime.store.getWindow("sshd", VICTIM)).toBeUndefined();
    expect(await runtime.store.getRecord(VICTIM)).toBeUndefined();
    expect(recorder.metricSum(METRIC.forgedLines)).toBe(15);
    for (const naclId of world.naclIds) {
      expect(world.model.entriesOf(naclId).some((entry) => entry.CidrBlock === `${VICTIM}/32`)).toBe(false);
    }
  });

  it("bans every real attacker of the captured Debian 13 journal and none of the forgers' victims", async () => {
    world = await createWorld(db, { jails: [sshdJail({ mode: "aggressive", maxretry: 1, ignoreip: [] })] });
    const { runtime, recorder } = world.runtime();
    const payload = { ...debian13, logStream: `${world.instanceId}/journald` };
    const now = debian13.logEvents.at(-1)?.timestamp ?? 0;
    const summary = await respond(runtime, encodeLogsEvent(payload), now + 1000);
    expect([...summary.bans].sort()).toEqual([
      "127.0.41.1",
      "127.0.41.2",
      "127.0.41.3",
      "127.0.41.5",
      "127.0.41.6",
      "127.0.41.7",
      "::1",
    ]);
    expect([...(await activeBans(runtime)).keys()].some((ip) => ip.startsWith("203.0.113."))).toBe(false);
    expect(recorder.metricSum(METRIC.forgedLines)).toBe(8);
  });
});

describe("a host that ships both its journal and its auth log file", () => {
  /** The attempts of `records(REAL, ATTACKER, count)` as rsyslog's /var/log/secure writes them. */
  const fileLines = (count: number, end = T0) =>
    Array.from({ length: count }, (_, index) =>
      failedPassword(ATTACKER, end - (count - index) * 1000, 30_000 + index),
    );

  it("counts each attempt once: the file's sshd lines are left out once the journal arrived", async () => {
    world = await createWorld(db);
    const first = world.runtime();
    const journal = `${world.instanceId}/journald`;
    await respond(first.runtime, batch(records(REAL, ATTACKER, 3), journal, 1), T0);
    const file = await respond(
      first.runtime,
      logsEvent(fileLines(3), { logStream: world.instanceId, batch: 2 }),
      T0,
    );
    expect(file).toMatchObject({ failures: 0, bans: [] });
    expect(first.recorder.logsWith("sshd file lines left out: the host's journal is read instead")).toEqual([
      { logStream: world.instanceId, lines: 3 },
    ]);
    // Another container knows it from the table, not from its own cache.
    const second = world.runtime();
    const again = await respond(
      second.runtime,
      logsEvent(fileLines(3), { logStream: world.instanceId, batch: 3 }),
      T0,
    );
    expect(again).toMatchObject({ failures: 0, bans: [] });
    expect((await first.runtime.store.getWindow("sshd", ATTACKER))?.failureTimes).toHaveLength(3);
  });

  it("bans at maxretry attempts, not at maxretry lines, when each attempt is logged twice", async () => {
    world = await createWorld(db);
    const { runtime } = world.runtime();
    const journal = `${world.instanceId}/journald`;
    const four = records(REAL, ATTACKER, 4);
    expect((await respond(runtime, batch(four, journal, 1), T0)).bans).toEqual([]);
    expect(
      (await respond(runtime, logsEvent(fileLines(4), { logStream: world.instanceId, batch: 2 }), T0)).bans,
    ).toEqual([]);
    const fifth = records(REAL, ATTACKER, 1).map((event) => ({
      ...event,
      message: event.message.replace("41000", "41009"),
    }));
    expect((await respond(runtime, batch(fifth, journal, 3), T0 + 1000)).bans).toEqual([ATTACKER]);
  });

  it("counts the file lines of a host whose journal never arrived, or stopped arriving a day ago", async () => {
    world = await createWorld(db);
    const { runtime } = world.runtime();
    const counted = await respond(
      runtime,
      logsEvent(fileLines(2), { logStream: world.instanceId, batch: 1 }),
      T0,
    );
    expect(counted.failures).toBe(2);
    await respond(runtime, batch(records(REAL, "198.51.100.9", 1), `${world.instanceId}/journald`, 2), T0);
    const later = T0 + JOURNALD_HOLD_MS + 1000;
    const resumed = await respond(
      world.runtime().runtime,
      logsEvent(fileLines(2, later), { logStream: world.instanceId, batch: 3, at: later }),
      later,
    );
    expect(resumed.failures).toBe(2);
  });
});
