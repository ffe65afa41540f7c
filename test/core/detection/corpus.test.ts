import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createDetector } from "../../../lambda/core/create-detector";
import { SSHD_MODES, type SshdMode } from "../../../lambda/core/types";

/**
 * Real sshd logs (test/fixtures/sshd, captured by the fixtures engineer from OpenSSH 9.2 on loopback) and the
 * hand-written shapes: per file and mode, the failures counted per source address must equal the manifest,
 * whose counts come from what the capture clients did, never from a parser.
 */
const FIXTURES = join(__dirname, "../../fixtures/sshd");
/** The capture's year: its traditional stamps carry none. */
const CAPTURE_NOW = Date.UTC(2026, 10, 25, 23, 0);

interface Family {
  readonly files: readonly string[];
  readonly expected: Readonly<Record<SshdMode, Readonly<Record<string, number>>>>;
  readonly never?: readonly string[];
}

/**
 * Where we deliberately count otherwise than the manifest's rule table, and why. Keyed `file mode address`.
 * `Invalid user` is a normal-mode failure (issue 2, and fail2ban agrees); the manifest files a client that
 * named an invalid user and then offered only a refused key under `publickey-refused` (extra modes only).
 */
const DELIBERATE: Readonly<Record<string, number>> = {
  "publickey-refused.secure.log normal 127.0.7.3": 1,
  "publickey-refused.auth.log normal 127.0.7.3": 1,
};

function expectedCounts(file: string, mode: SshdMode, manifest: Readonly<Record<string, number>>) {
  const expected: Record<string, number> = { ...manifest };
  for (const [key, count] of Object.entries(DELIBERATE)) {
    const [keyFile, keyMode, address] = key.split(" ") as [string, string, string];
    if (keyFile === file && keyMode === mode) expected[address] = count;
  }
  return expected;
}

function families(manifest: string): Array<[string, Family]> {
  const parsed = JSON.parse(readFileSync(join(FIXTURES, manifest), "utf8")) as {
    families: Record<string, Family>;
  };
  return Object.entries(parsed.families);
}

/** Failures per address when the sshd filter in `mode` reads `file`. */
function countsPerAddress(file: string, mode: SshdMode): Record<string, number> {
  const detector = createDetector({ filter: { filter: "sshd", mode }, now: CAPTURE_NOW });
  const counts: Record<string, number> = {};
  const lines = readFileSync(join(FIXTURES, file), "utf8").split("\n");
  if (lines.at(-1) === "") lines.pop();
  const count = (failures: readonly { ip: string }[]) => {
    for (const failure of failures) counts[failure.ip] = (counts[failure.ip] ?? 0) + 1;
  };
  lines.forEach((text, index) => {
    count(detector.push(text, { line: index + 1 }));
  });
  count(detector.end());
  return counts;
}

describe.each([
  ["manifest.json", "captured from a real sshd"],
  ["handwritten.manifest.json", "hand-written"],
])("corpus %s (%s)", (manifest) => {
  for (const [name, family] of families(manifest)) {
    for (const file of family.files) {
      it.each(SSHD_MODES)(`${name}: ${file} in mode %s counts per address as the manifest says`, (mode) => {
        const counts = countsPerAddress(file, mode);
        expect(counts).toEqual(expectedCounts(file, mode, family.expected[mode]));
        for (const address of family.never ?? []) expect(counts[address], address).toBeUndefined();
      });
    }
  }
});
