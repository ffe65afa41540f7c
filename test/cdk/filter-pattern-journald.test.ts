import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseJailConf } from "../../lambda/core/config";
import { createDetector } from "../../lambda/core/create-detector";
import { eventLines } from "../../lambda/core/event-lines";
import type { SshdMode } from "../../lambda/core/types";
import { subscriptionFilterPattern } from "../../lib/filter-pattern";
import { passesFilterPattern } from "./support/filter-pattern-matcher";

/**
 * The filter pattern on the journald shape: each event's message is the agent's JSON record (Go escapes `<>&`,
 * quotes and backslashes), and the pattern must still pass every record a jail needs. Shown on the captured
 * records of test/fixtures/agent/journald/ as the agent delivers them.
 */

const MODES: readonly SshdMode[] = ["normal", "ddos", "extra", "aggressive"];
const FIXTURES = path.resolve(__dirname, "../fixtures/agent/journald");
const NOW = Date.parse("2026-12-07T16:00:00Z");

interface Payload {
  readonly logEvents: { id: string; timestamp: number; message: string }[];
}
const payload = (file: string) => JSON.parse(readFileSync(path.join(FIXTURES, file), "utf8")) as Payload;
const sshdIn = (mode: SshdMode) =>
  parseJailConf(
    `[sshd]\nenabled = true\nmode = ${mode}\n[cloudjail]\nvpc_ids = vpc-0123456789abcdef0\n`,
    "t.local",
  ).config;

/** What the detector of `mode` finds in `events`, as `event-index ip pattern`. */
function failures(mode: SshdMode, events: Payload["logEvents"]): string[] {
  const detector = createDetector({ filter: { filter: "sshd", mode }, now: NOW });
  const lines = eventLines(events);
  const found = lines.texts.flatMap((text, index) =>
    text === undefined ? [] : detector.push(text, { line: index + 1, receivedAt: events[index]?.timestamp }),
  );
  found.push(...detector.end());
  // Lines are numbered within the events given: name them by event id, which does not depend on what was dropped.
  return found.map((failure) => `${events[failure.line - 1]?.id} ${failure.ip} ${failure.patternId}`);
}

describe("the subscription filter pattern on journald records", () => {
  for (const file of [
    "debian-12.identifier.cloudwatch.json",
    "debian-13.identifier.cloudwatch.json",
    "debian-13.unit-ssh.cloudwatch.json",
  ]) {
    it(`passes every record a jail counts or correlates, in every mode (${file})`, () => {
      const { logEvents } = payload(file);
      for (const mode of MODES) {
        const pattern = subscriptionFilterPattern(sshdIn(mode));
        const passed = logEvents.filter((event) => passesFilterPattern(pattern, event.message));
        const all = failures(mode, logEvents);
        expect(all.length, mode).toBeGreaterThan(0);
        expect(failures(mode, passed), mode).toEqual(all);
      }
    });
  }

  it("still drops the quiet records of the journal (sessions, PAM's session lines, the listener)", () => {
    const { logEvents } = payload("debian-13.identifier.cloudwatch.json");
    const pattern = subscriptionFilterPattern(sshdIn("aggressive"));
    const quiet = logEvents.filter((event) => /session (opened|closed)|Server listening/.test(event.message));
    expect(quiet.length).toBeGreaterThan(0);
    for (const event of quiet) expect(passesFilterPattern(pattern, event.message), event.message).toBe(false);
  });
});
