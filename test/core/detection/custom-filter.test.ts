import { describe, expect, it } from "vitest";
import { createDetector } from "../../../lambda/core/create-detector";
import { FilterConfigError } from "../../../lambda/core/filter-config-error";
import { NOW } from "./helpers";

function custom(failregex: string[], ignoreregex: string[] = []) {
  return createDetector({ filter: { filter: "custom", mode: "normal", failregex, ignoreregex }, now: NOW });
}

describe("custom filters", () => {
  it("counts lines matching a failregex, with the <HOST> address in canonical form", () => {
    const detector = custom(["^authentication failed for <F-USER>\\S+</F-USER> from <HOST>$"]);
    const [failure] = detector.push(
      "Nov 25 10:59:25 web1 myapp[12]: authentication failed for bob from ::ffff:192.0.2.1",
      {
        line: 4,
      },
    );
    expect(failure).toMatchObject({
      ip: "192.0.2.1",
      user: "bob",
      patternId: "custom.0",
      family: "custom",
      line: 4,
      pid: 12,
    });
    expect(detector.stats).toMatchObject({ read: 1, matched: 1 });
  });

  it("accepts fail2ban's %(__prefix_line)s and matches a line without a syslog prefix as a whole", () => {
    const detector = custom(["^%(__prefix_line)sbad login from <HOST>", '^<HOST> - - \\[.*\\] "POST /login']);
    expect(detector.push("web1 app[1]: bad login from 2001:DB8::1", { line: 1 }).map((f) => f.ip)).toEqual([
      "2001:db8::1",
    ]);
    expect(
      detector.push('198.51.100.4 - - [25/Nov/2026:10:59:25 +0000] "POST /login HTTP/1.1" 401', {
        line: 2,
      })[0]?.patternId,
    ).toBe("custom.1");
  });

  it("ignores lines matching an ignoreregex", () => {
    const detector = custom(["^bad login from <HOST>"], ["test-runner"]);
    expect(detector.push("h app[1]: bad login from 192.0.2.1 by test-runner", { line: 1 })).toEqual([]);
    expect(detector.stats.ignored).toBe(1);
  });

  it("counts a match whose host is not an address as missed", () => {
    const detector = custom(["^bad login from <HOST>"]);
    expect(detector.push("h app[1]: bad login from 999.1.1.1", { line: 1 })).toEqual([]);
    expect(detector.stats.missed).toBe(1);
  });

  it("rejects a failregex without <HOST>, not anchored, or not compiling, naming it", () => {
    expect(() => custom(["^failed from \\S+"])).toThrow(/has no <HOST>/);
    expect(() => custom(["failed from <HOST>"])).toThrow(/not anchored/);
    expect(() => custom(["^failed (from <HOST>"])).toThrow(/does not compile/);
    expect(() => custom(["^<HOST> and <HOST>"])).toThrow(/more than one <HOST>/);
    expect(() => custom([])).toThrow(FilterConfigError);
    expect(() => custom(["^x <HOST>"], ["(unclosed"])).toThrow(/ignoreregex "\(unclosed" does not compile/);
  });

  it("rejects the recidive filter, which reads no log", () => {
    expect(() => createDetector({ filter: { filter: "recidive", mode: "normal" }, now: NOW })).toThrow(
      FilterConfigError,
    );
  });

  it("applies a jail's ignoreregex to the sshd filter too", () => {
    const detector = createDetector({
      filter: { filter: "sshd", mode: "normal", ignoreregex: ["for monitoring from"] },
      now: NOW,
    });
    expect(
      detector.push("h sshd[1]: Failed password for monitoring from 192.0.2.1 port 1 ssh2", { line: 1 }),
    ).toEqual([]);
    expect(
      detector.push("h sshd[2]: Failed password for root from 192.0.2.1 port 1 ssh2", { line: 2 }),
    ).toHaveLength(1);
    expect(detector.stats).toMatchObject({ ignored: 1, matched: 1 });
  });
});
