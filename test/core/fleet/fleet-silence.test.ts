import { describe, expect, it } from "vitest";
import {
  instanceIdOfStream,
  lastEventByInstance,
  type ShippingState,
  shippingState,
  silentInstances,
} from "../../../lambda/core/fleet-silence";

const now = Date.UTC(2026, 11, 7, 12, 0, 0);
const hour = 3_600_000;
const day = 86_400;

describe("shippingState", () => {
  const state = (fields: { state?: string; launchedAt?: number; lastEventAt?: number }): ShippingState =>
    shippingState({ instanceId: "i-0123456789abcdef0", state: "running", ...fields }, now, day);

  it("calls a running instance with an event inside the threshold shipping, and one whose last is older silent", () => {
    expect(state({ lastEventAt: now - 23 * hour, launchedAt: now - 100 * hour })).toBe("shipping");
    expect(state({ lastEventAt: now - 24 * hour, launchedAt: now - 100 * hour })).toBe("shipping");
    expect(state({ lastEventAt: now - 25 * hour, launchedAt: now - 100 * hour })).toBe("silent");
  });

  it("calls a running instance that never shipped silent once it has run longer than the threshold", () => {
    expect(state({ launchedAt: now - 25 * hour })).toBe("never-shipped");
    expect(state({})).toBe("never-shipped");
  });

  it("gives a freshly started instance the threshold to ship its first line, also after a stop", () => {
    expect(state({ launchedAt: now - hour })).toBe("starting");
    expect(state({ launchedAt: now - hour, lastEventAt: now - 200 * hour })).toBe("starting");
  });

  it("never calls an instance that does not run silent", () => {
    for (const name of ["stopped", "stopping", "pending", "shutting-down", "terminated"]) {
      expect(state({ state: name, lastEventAt: now - 500 * hour })).toBe("not-running");
    }
  });
});

describe("silentInstances", () => {
  it("lists the silent and never-shipped running instances, sorted", () => {
    expect(
      silentInstances(
        [
          { instanceId: "i-0000000000000000c", state: "running", lastEventAt: now - 30 * hour },
          { instanceId: "i-0000000000000000a", state: "running", launchedAt: now - 48 * hour },
          { instanceId: "i-0000000000000000b", state: "running", lastEventAt: now - hour },
          { instanceId: "i-0000000000000000d", state: "stopped" },
          { instanceId: "i-0000000000000000e", state: "running", launchedAt: now - hour },
        ],
        now,
        day,
      ),
    ).toEqual(["i-0000000000000000a", "i-0000000000000000c"]);
  });
});

describe("which instance a log stream belongs to", () => {
  it("reads the instance id the agent names streams by, with or without a per-source suffix", () => {
    expect(instanceIdOfStream("i-0123456789abcdef0")).toBe("i-0123456789abcdef0");
    expect(instanceIdOfStream("i-0123456789abcdef0/journal")).toBe("i-0123456789abcdef0");
    expect(instanceIdOfStream("i-0123abcd")).toBe("i-0123abcd");
    expect(instanceIdOfStream("i-0123abcd/secure")).toBe("i-0123abcd");
  });

  it("finds no instance in other names, nor in a longer id's first eight digits", () => {
    for (const name of [
      "web-1",
      "ip-10-0-1-23",
      "i-0123",
      "i-0123456789abcdef0x",
      "x/i-0123456789abcdef0",
      "i-0123abcd9",
    ]) {
      expect(instanceIdOfStream(name), name).toBeUndefined();
    }
  });

  it("keeps the newest event of every source of an instance", () => {
    const latest = lastEventByInstance([
      { logStreamName: "i-0123456789abcdef0", lastEventTimestamp: 100 },
      { logStreamName: "i-0123456789abcdef0/journal", lastEventTimestamp: 300 },
      { logStreamName: "i-0123456789abcdef0/secure", lastEventTimestamp: 200 },
      { logStreamName: "i-0fedcba9876543210", lastIngestionTime: 50 },
      { logStreamName: "i-0aaaaaaaaaaaaaaaa" },
      { logStreamName: "bastion", lastEventTimestamp: 999 },
    ]);
    expect([...latest]).toEqual([
      ["i-0123456789abcdef0", 300],
      ["i-0fedcba9876543210", 50],
    ]);
  });
});
