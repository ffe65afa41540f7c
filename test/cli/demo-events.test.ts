import { describe, expect, it } from "vitest";
import { LogEventBatcher } from "../../bin/local/demo-events";
import { decodeLogsEvent } from "../../lambda/handlers/decode";

const t0 = Date.UTC(2026, 10, 25, 11, 55, 0);

describe("LogEventBatcher", () => {
  it("sends what the agent read within its 5-second flush interval as one gzip+base64 subscription event", () => {
    const batcher = new LogEventBatcher({
      logGroup: "/cloudjail/demo/auth",
      logStream: "i-0123456789abcdef0",
    });
    expect(batcher.add("line 1", t0)).toBeUndefined();
    expect(batcher.add("line 2", t0 + 4_999)).toBeUndefined();
    const closed = batcher.add("line 3", t0 + 5_000);
    expect(closed?.lines).toBe(2);
    const payload = decodeLogsEvent(closed?.event);
    expect(payload).toMatchObject({
      messageType: "DATA_MESSAGE",
      logGroup: "/cloudjail/demo/auth",
      logStream: "i-0123456789abcdef0",
    });
    expect(payload.logEvents.map((event) => [event.message, event.timestamp])).toEqual([
      ["line 1", t0],
      ["line 2", t0 + 4_999],
    ]);
    expect(decodeLogsEvent(batcher.flush()?.event).logEvents.map((event) => event.message)).toEqual([
      "line 3",
    ]);
    expect(batcher.flush()).toBeUndefined();
  });

  it("starts a new batch at PutLogEvents' event and byte limits", () => {
    const byCount = new LogEventBatcher({ logGroup: "g", logStream: "s", maxEvents: 3 });
    const closed = [0, 1, 2, 3].map((index) => byCount.add(`l${index}`, t0));
    expect(closed.map((batch) => batch?.lines)).toEqual([undefined, undefined, undefined, 3]);
    const bySize = new LogEventBatcher({ logGroup: "g", logStream: "s", maxBytes: 100 });
    expect(bySize.add("x".repeat(60), t0)).toBeUndefined();
    expect(bySize.add("y".repeat(60), t0)?.lines).toBe(1);
  });

  it("gives every event a 56-digit id, distinct within a run and the same when the same log is replayed", () => {
    const ids = (lines: string[]) => {
      const batcher = new LogEventBatcher({ logGroup: "g", logStream: "s" });
      for (const line of lines) batcher.add(line, t0);
      return decodeLogsEvent(batcher.flush()?.event).logEvents.map((event) => event.id);
    };
    const first = ids(["same", "same", "other"]);
    expect(first.every((id) => /^\d{56}$/.test(id))).toBe(true);
    expect(new Set(first).size).toBe(3);
    expect(ids(["same", "same", "other"])).toEqual(first);
  });
});
