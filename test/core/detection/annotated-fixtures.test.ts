import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createDetector } from "../../../lambda/core/create-detector";
import { SSHD_MODES, type SshdMode } from "../../../lambda/core/types";
import { NOW } from "./helpers";

/**
 * Annotated fixtures (test/fixtures/sshd/annotated/*.log, format in that folder's README): every log line is read
 * in every mode; a line preceded by `# expect: {...}` must give exactly the failures it names in the modes that
 * count its family, and nothing in the others; every other line must give nothing in any mode.
 */
const FOLDER = join(__dirname, "../../fixtures/sshd/annotated");

type Family = "normal" | "ddos" | "extra";

/** True when `mode` counts a line of `family`. */
function countsIn(mode: SshdMode, family: Family | readonly Family[]): boolean {
  const families: readonly Family[] = typeof family === "string" ? [family] : family;
  return families.some((each) => MODE_FAMILIES[mode].includes(each));
}

interface Expectation {
  /**
   * The mode family that counts the line (`normal` counts in every mode), or the families (`["ddos", "extra"]`:
   * every mode but normal), or null: never counted.
   */
  readonly family: Family | readonly Family[] | null;
  readonly ip?: string;
  readonly user?: string;
  /** Failures the line gives (default 1): `message repeated N times` gives N. */
  readonly count?: number;
}

interface AnnotatedLine {
  readonly number: number;
  readonly text: string;
  readonly expect?: Expectation;
}

const MODE_FAMILIES: Readonly<Record<SshdMode, readonly string[]>> = {
  normal: ["normal"],
  ddos: ["normal", "ddos"],
  extra: ["normal", "extra"],
  aggressive: ["normal", "ddos", "extra"],
};

/** The log lines of an annotated file, each with the expectation written above it. */
function readAnnotated(file: string): AnnotatedLine[] {
  const lines: AnnotatedLine[] = [];
  let pending: Expectation | undefined;
  const raw = readFileSync(join(FOLDER, file), "utf8").split("\n");
  raw.forEach((text, index) => {
    if (text.startsWith("# expect: ")) {
      pending = JSON.parse(text.slice("# expect: ".length)) as Expectation;
    } else if (text.startsWith("#") || text.trim() === "") {
      if (pending !== undefined && text.trim() === "")
        throw new Error(`${file}:${index + 1}: expect without line`);
    } else {
      lines.push({ number: index + 1, text, expect: pending });
      pending = undefined;
    }
  });
  return lines;
}

const FILES = readdirSync(FOLDER).filter((name) => name.endsWith(".log"));

describe("annotated sshd fixtures", () => {
  it("exist", () => {
    expect(FILES.length).toBeGreaterThan(0);
  });

  describe.each(FILES)("%s", (file) => {
    const lines = readAnnotated(file);

    it("annotates at least one counted line", () => {
      expect(lines.some((line) => line.expect?.family)).toBe(true);
    });

    it.each(SSHD_MODES)("gives in mode %s exactly the failures annotated, on the annotated lines", (mode) => {
      const detector = createDetector({ filter: { filter: "sshd", mode }, now: NOW });
      const seen: string[] = [];
      const wanted: string[] = [];
      for (const line of lines) {
        const found = detector.push(line.text, { line: line.number });
        for (const failure of found) {
          seen.push(
            `${line.number} ${failure.ip}${line.expect?.user === undefined ? "" : ` ${failure.user}`}`,
          );
        }
        const expectation = line.expect;
        if (expectation?.family && countsIn(mode, expectation.family)) {
          for (let index = 0; index < (expectation.count ?? 1); index++) {
            wanted.push(
              `${line.number} ${expectation.ip}${expectation.user === undefined ? "" : ` ${expectation.user}`}`,
            );
          }
        }
      }
      for (const failure of detector.end()) seen.push(`end ${failure.ip}`);
      expect(seen).toEqual(wanted);
    });
  });
});
