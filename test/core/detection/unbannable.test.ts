import { describe, expect, it } from "vitest";
import { createDetector } from "../../../lambda/core/create-detector";
import { MAX_UNBANNABLE_KEPT } from "../../../lambda/core/unbannable-sources";
import { NOW, secure } from "./helpers";

/** Runs the lines through one normal-mode detector; what it counted, and what it found but cannot ban. */
function run(lines: readonly string[]) {
  const detector = createDetector({ filter: { filter: "sshd", mode: "normal" }, now: NOW });
  const ips: string[] = [];
  lines.forEach((text, index) => {
    for (const failure of detector.push(text, { line: index + 1 })) ips.push(failure.ip);
  });
  for (const failure of detector.end()) ips.push(failure.ip);
  const unbannable = detector.takeUnbannable();
  return { ips, unbannable, stats: detector.stats, detector };
}

describe("failures whose source no ACL can hold", () => {
  it("reports a host name sshd wrote (UseDNS yes) as unbannable, never as a failure", () => {
    const { ips, unbannable, stats } = run([
      secure(31607, "User root from example.com not allowed because not listed in AllowUsers"),
    ]);
    expect(ips).toEqual([]);
    expect(unbannable.map((failure) => [failure.source, failure.line, failure.patternId])).toEqual([
      ["example.com", 1, "sshd.user-not-allowed"],
    ]);
    expect(stats.unbannable).toBe(1);
  });

  it("reports an address in a form sshd never writes as unbannable: 192.030.0.6 is two hosts", () => {
    const { ips, unbannable } = run([
      secure(13709, "error: PAM: Authentication failure for myhlj1374 from 192.030.0.6"),
      secure(13710, "Failed password for root from 192.030.0.6 port 22 ssh2"),
    ]);
    expect(ips).toEqual([]);
    expect(unbannable.map((failure) => failure.source)).toEqual(["192.030.0.6", "192.030.0.6"]);
  });

  it("counts the attempt for the address when a later line of the connection names it", () => {
    const { ips, unbannable, stats } = run([
      secure(9739, "User root from example.com not allowed because not listed in AllowUsers"),
      secure(9739, "Failed password for invalid user root from 192.0.2.9 port 5 ssh2"),
    ]);
    expect(ips).toEqual(["192.0.2.9"]);
    expect(unbannable).toEqual([]);
    expect(stats.unbannable).toBe(0);
  });

  it("takes the address of the connection when an earlier line named it", () => {
    const { ips, unbannable } = run([
      secure(62312, 'Connection from 192.0.2.10 port 5 on 10.0.1.23 port 22 rdomain ""'),
      secure(62312, "error: PAM: Authentication failure for james from example.com"),
    ]);
    expect(ips).toEqual(["192.0.2.10"]);
    expect(unbannable).toEqual([]);
  });

  it("reports no source for text that is not one (a cut or garbled line)", () => {
    const { ips, unbannable, stats } = run([secure(5, "Invalid user x from ?!% port 22")]);
    expect(ips).toEqual([]);
    expect(unbannable).toEqual([]);
    expect(stats.unbannable).toBe(0);
  });

  it("hands each report out once and keeps at most MAX_UNBANNABLE_KEPT between two takes, counting all", () => {
    const lines = Array.from({ length: MAX_UNBANNABLE_KEPT + 10 }, (_, index) =>
      secure(1000 + index, `User root from host${index}.example.com not allowed because not in any group`),
    );
    const { unbannable, stats, detector } = run(lines);
    expect(unbannable).toHaveLength(MAX_UNBANNABLE_KEPT);
    expect(stats.unbannable).toBe(MAX_UNBANNABLE_KEPT + 10);
    expect(detector.takeUnbannable()).toEqual([]);
  });
});
