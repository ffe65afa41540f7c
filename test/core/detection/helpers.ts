import { createDetector } from "../../../lambda/core/create-detector";
import type { DetectorOptions } from "../../../lambda/core/detector-api";
import type { Failure, SshdMode } from "../../../lambda/core/types";

/** 2026-11-25T12:00:00Z: "now" for every detection test. */
export const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

/** Runs the sshd filter in `mode` over `lines` (one per array element) and returns every counted failure. */
export function detect(
  lines: readonly string[],
  mode: SshdMode = "normal",
  options: Partial<DetectorOptions> = {},
) {
  const detector = createDetector({ filter: { filter: "sshd", mode }, now: NOW, ...options });
  const failures: Failure[] = [];
  lines.forEach((text, index) => {
    failures.push(...detector.push(text, { line: index + 1 }));
  });
  failures.push(...detector.end());
  return { failures, stats: detector.stats, ips: failures.map((failure) => failure.ip) };
}

/** A traditional syslog line (`/var/log/secure`) of sshd process `pid`. */
export function secure(pid: number, message: string, program = "sshd"): string {
  return `Nov 25 10:59:25 web1 ${program}[${pid}]: ${message}`;
}
