import { describe, expect, it } from "vitest";
import { createDetector } from "../../../lambda/core/create-detector";
import {
  connectionsToResume,
  nextStreamConnections,
  packConnections,
  type StreamConnections,
  unpackConnections,
} from "../../../lambda/core/stream-connections";
import type { Failure } from "../../../lambda/core/types";
import { sshdJail } from "../../support/jails";

const NOW = Date.parse("2026-11-25T12:00:00Z");
// Hand-written lines in the shape OpenSSH 9.2 writes them (one attempt of an unknown user: two lines, one pid).
const INVALID = "Nov 25 11:59:50 web-1 sshd[4242]: Invalid user admin from 203.0.113.9 port 40000";
const FAILED =
  "Nov 25 11:59:52 web-1 sshd[4242]: Failed password for invalid user admin from 203.0.113.9 port 40000 ssh2";

function run(
  lines: readonly string[],
  resumed: StreamConnections["after"] = {},
): { found: Failure[]; open: StreamConnections["after"] } {
  const detector = createDetector({ filter: sshdJail(), now: NOW });
  detector.resume?.(unpackConnections(resumed.sshd));
  const found: Failure[] = [];
  lines.forEach((line, index) => {
    found.push(...detector.push(line, { line: index + 1 }));
  });
  const open = packConnections(detector.openConnections?.(100) ?? []);
  found.push(...detector.end());
  return { found, open: open.length > 0 ? { sshd: open } : {} };
}

describe("an sshd connection carried from one batch to the next", () => {
  it("counts an attempt once when its two lines arrive in two batches", () => {
    expect(run([INVALID, FAILED]).found).toHaveLength(1);
    const first = run([INVALID]);
    expect(first.found).toHaveLength(1);
    expect(first.open).toEqual({ sshd: [[4242, "203.0.113.9", 1, 1]] });
    expect(run([FAILED], first.open).found).toHaveLength(0);
    // Without the first batch's connection, the second line is an attempt of its own.
    expect(run([FAILED]).found).toHaveLength(1);
  });

  it("keeps no connection a line closed", () => {
    const closed =
      "Nov 25 11:59:53 web-1 sshd[4242]: Connection closed by invalid user admin 203.0.113.9 port 40000 [preauth]";
    expect(run([INVALID, FAILED, closed]).open).toEqual({});
  });
});

describe("which connections a batch resumes", () => {
  const stored: StreamConnections = {
    firstEventId: "0002",
    before: { sshd: [[1, "203.0.113.1", 1, 1]] },
    after: { sshd: [[2, "203.0.113.2", 1, 1]] },
  };

  it("resumes what the stream's last batch left, for the next batch", () => {
    expect(connectionsToResume(stored, "0003")).toBe(stored.after);
  });

  it("starts a redelivered batch where its first delivery started, so it counts nothing new", () => {
    expect(connectionsToResume(stored, "0002")).toBe(stored.before);
  });

  it("resumes nothing for an older batch, and stores nothing after it", () => {
    expect(connectionsToResume(stored, "0001")).toEqual({});
    expect(nextStreamConnections(stored, "0001", {}, { sshd: [[3, "203.0.113.3", 1, 1]] })).toBeUndefined();
  });

  it("writes nothing when nothing was open and nothing is", () => {
    expect(nextStreamConnections(undefined, "0001", {}, {})).toBeUndefined();
    expect(nextStreamConnections(stored, "0003", {}, {})).toBeUndefined();
  });

  it("stores what the batch started from and what it leaves", () => {
    const open = { sshd: [[3, "203.0.113.3", 1, 1] as const] };
    expect(nextStreamConnections(stored, "0003", stored.after, open)).toEqual({
      firstEventId: "0003",
      before: stored.after,
      after: open,
    });
  });
});
