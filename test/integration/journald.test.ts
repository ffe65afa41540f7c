import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { METRIC } from "../../lambda/core/telemetry";
import { encodeLogsEvent, type LogsPayload } from "../../lambda/handlers/decode";
import { respond } from "../../lambda/handlers/respond";
import { type LocalDynamo, startDynalite } from "../support/dynalite";
import { sshdJail } from "../support/jails";
import { activeBans, createWorld, eventId, T0, type World } from "../support/runtime-world";

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
