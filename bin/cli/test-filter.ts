import { once } from "node:events";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import type { Command } from "commander";
import { createDetector } from "../../lambda/core/create-detector";
import type { Detector, FilterSpec } from "../../lambda/core/detector-api";
import { FilterConfigError } from "../../lambda/core/filter-config-error";
import { MAX_LINE_LENGTH } from "../../lambda/core/line-limits";
import { type Failure, SSHD_MODES, type SshdMode } from "../../lambda/core/types";
import { UsageError } from "./errors";
import { parseFilterFile } from "./filter-file";
import { forEachLine } from "./line-reader";
import { openLog } from "./log-input";
import { logZone, ZONE_OPTION_HELP, zoneNote } from "./zone-option";

/** Output forms of `test-filter`, as in `fail2ban-regex -o`. */
export const TEST_FILTER_OUTPUTS = ["summary", "ip", "row", "json"] as const;
export type TestFilterOutput = (typeof TEST_FILTER_OUTPUTS)[number];

export interface TestFilterOptions {
  readonly filter: string;
  readonly mode: string;
  readonly out: string;
  readonly year?: string;
  readonly zone?: string;
}

/**
 * `cloudjail test-filter <file|-> [--filter sshd] [--mode M] [--out summary|ip|row|json] [--year YYYY]
 * [--zone Z]`
 */
export function registerTestFilter(program: Command): void {
  program
    .command("test-filter")
    .description(
      "run the sshd filter over a log file (or - for stdin) and show what it counts, like fail2ban-regex",
    )
    .argument("<file>", "log file to read, or - for standard input")
    .option("--filter <name>", "filter to run: sshd, or the path of a fail2ban filter file", "sshd")
    .option("--mode <mode>", `sshd filter mode: ${SSHD_MODES.join(", ")}`, "normal")
    .option("--out <form>", `output: ${TEST_FILTER_OUTPUTS.join(", ")}`, "summary")
    .option(
      "--year <year>",
      "year of syslog time stamps that have none (default: this year, or last if in the future)",
    )
    .option("--zone <zone>", ZONE_OPTION_HELP)
    .action(async (file: string, options: TestFilterOptions) => {
      await runTestFilter(file, options, process.stdout);
    });
}

/** Runs the filter over `file` and writes the chosen output to `output`. Throws UsageError on bad options. */
export async function runTestFilter(
  file: string,
  options: TestFilterOptions,
  output: NodeJS.WritableStream,
): Promise<void> {
  const mode = parseMode(options.mode);
  const out = parseOutput(options.out);
  const year = options.year === undefined ? undefined : parseYear(options.year);
  const zone = logZone(options.zone);
  const filter = filterSpec(options.filter, mode);
  let detector: Detector;
  try {
    detector = createDetector({ filter, now: Date.now(), zone, ...(year ? { year } : {}) });
  } catch (error) {
    if (error instanceof FilterConfigError) throw new UsageError(`${options.filter}: ${error.message}`);
    throw error;
  }
  const input = openLog(file);
  const started = performance.now();
  const writer = new BufferedWriter(output);
  const perIp = new Map<string, number>();
  let failures = 0;
  const emit = (found: readonly Failure[]) => {
    for (const failure of found) {
      failures++;
      if (out === "summary") perIp.set(failure.ip, (perIp.get(failure.ip) ?? 0) + 1);
      else writer.write(formatFailure(failure, out));
    }
  };
  const unbannable = new Map<string, number>();
  const collectUnbannable = () => {
    for (const failure of detector.takeUnbannable())
      unbannable.set(failure.source, (unbannable.get(failure.source) ?? 0) + 1);
  };
  // One context object for every line: the detector copies the number into the failures it returns.
  const context = { line: 0 };
  await forEachLine(
    input,
    MAX_LINE_LENGTH,
    (text, line) => {
      context.line = line;
      const found = detector.push(text, context);
      if (found.length > 0) emit(found);
    },
    async () => {
      collectUnbannable();
      if (writer.full) await writer.drain();
    },
  );
  emit(detector.end());
  collectUnbannable();
  if (out === "summary") {
    const label = filter.filter === "sshd" ? `sshd, mode ${mode}` : options.filter;
    writer.write(
      formatSummary(detector, label, zone, failures, perIp, unbannable, performance.now() - started),
    );
  }
  await writer.drain();
}

/** `sshd`, or the path of a fail2ban filter file whose failregex/ignoreregex make a custom filter. */
function filterSpec(name: string, mode: SshdMode): FilterSpec {
  if (name === "sshd") return { filter: "sshd", mode };
  let text: string;
  try {
    text = readFileSync(name, "utf8");
  } catch {
    throw new UsageError(`unknown filter "${name}" (valid: sshd, or the path of a fail2ban filter file)`);
  }
  const { failregex, ignoreregex } = parseFilterFile(text);
  if (failregex.length === 0) throw new UsageError(`${name}: no failregex in its [Definition] section`);
  return { filter: "custom", mode, failregex, ignoreregex };
}

function parseMode(text: string): SshdMode {
  if ((SSHD_MODES as readonly string[]).includes(text)) return text as SshdMode;
  throw new UsageError(`unknown mode "${text}" (valid: ${SSHD_MODES.join(", ")})`);
}

function parseOutput(text: string): TestFilterOutput {
  if ((TEST_FILTER_OUTPUTS as readonly string[]).includes(text)) return text as TestFilterOutput;
  throw new UsageError(`unknown output "${text}" (valid: ${TEST_FILTER_OUTPUTS.join(", ")})`);
}

function parseYear(text: string): number {
  if (!/^\d{4}$/.test(text) || Number(text) < 1970) {
    throw new UsageError(`invalid --year "${text}" (a four-digit year from 1970)`);
  }
  return Number(text);
}

function formatFailure(failure: Failure, out: Exclude<TestFilterOutput, "summary">): string {
  switch (out) {
    case "ip":
      return `${failure.ip}\n`;
    case "row":
      return `${failure.line}\t${failure.ip}\n`;
    case "json":
      return `${JSON.stringify({
        line: failure.line,
        time: failure.at === undefined ? null : new Date(failure.at).toISOString(),
        ip: failure.ip,
        user: failure.user,
        pattern: failure.patternId,
        mode: failure.family,
      })}\n`;
  }
}

/** How many addresses the summary lists; the rest are counted in one line. */
const SUMMARY_ADDRESSES = 100;

function formatSummary(
  detector: Detector,
  filterLabel: string,
  zone: string,
  failures: number,
  perIp: ReadonlyMap<string, number>,
  unbannable: ReadonlyMap<string, number>,
  elapsedMs: number,
): string {
  const { read, matched, missed, ignored, skipped, hitsByPattern } = detector.stats;
  const lines = [
    `Filter: ${filterLabel}`,
    zoneNote(zone),
    `Lines: ${read} read, ${matched} matched, ${missed} missed, ${ignored} ignored, ${skipped} skipped`,
    `Failures counted: ${failures} from ${perIp.size} addresses`,
    "",
    "Hits per pattern:",
  ];
  const hits = [...hitsByPattern].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (hits.length === 0) lines.push("  (none)");
  for (const [id, count] of hits) lines.push(`  ${String(count).padStart(9)}  ${id}`);
  lines.push("", "Failures per IP, most first:");
  const addresses = [...perIp].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (addresses.length === 0) lines.push("  (none)");
  for (const [ip, count] of addresses.slice(0, SUMMARY_ADDRESSES))
    lines.push(`  ${String(count).padStart(9)}  ${ip}`);
  if (addresses.length > SUMMARY_ADDRESSES) {
    lines.push(`  ... and ${addresses.length - SUMMARY_ADDRESSES} more addresses`);
  }
  if (detector.stats.unbannable > 0) {
    // Failures sshd attributed to a host name or a non-canonical address: nothing a network ACL can hold.
    lines.push("", `Not bannable (sshd wrote no address): ${detector.stats.unbannable} failures`);
    const sources = [...unbannable].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    for (const [source, count] of sources.slice(0, SUMMARY_ADDRESSES))
      lines.push(`  ${String(count).padStart(9)}  ${source}`);
    if (sources.length > SUMMARY_ADDRESSES) {
      lines.push(`  ... and ${sources.length - SUMMARY_ADDRESSES} more sources`);
    }
  }
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(read / seconds) : read;
  lines.push("", `Elapsed: ${seconds.toFixed(3)} s, ${rate} lines/s`, "");
  return lines.join("\n");
}

/** Collects output into 64 KiB writes and honours the stream's back-pressure. */
class BufferedWriter {
  private buffer = Buffer.allocUnsafe(1 << 16);
  private size = 0;

  constructor(private readonly output: NodeJS.WritableStream) {}

  /** More than half the buffer is used: time to drain before reading on. */
  get full(): boolean {
    return this.size >= this.buffer.length >> 1;
  }

  write(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (this.size + text.length * 3 > this.buffer.length) {
      this.grow(this.size + text.length * 3);
    }
    this.size += this.buffer.write(text, this.size, "utf8");
  }

  async drain(): Promise<void> {
    if (this.size === 0) return;
    const bytes = this.buffer.subarray(0, this.size);
    this.buffer = Buffer.allocUnsafe(this.buffer.length);
    this.size = 0;
    if (!this.output.write(bytes)) await once(this.output, "drain");
  }

  private grow(needed: number): void {
    const larger = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(larger, 0, 0, this.size);
    this.buffer = larger;
  }
}
