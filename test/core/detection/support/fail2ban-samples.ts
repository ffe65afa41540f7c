/**
 * fail2ban 1.0.2's annotated sshd samples (`fail2ban/tests/files/logs/sshd` and `sshd-journal` in the Debian
 * package), read the way fail2ban's own samples test reads them, and run through cloudjail's detector.
 *
 * The files are GPL-2 and stay outside this Apache-2.0 repository: `bench/peers/fetch.sh` extracts the Debian
 * package into a scratch folder (`.ci/run` does so before `npm test`), and FAIL2BAN_SAMPLES or PEERS_DIR says where.
 *
 * What the files say, and how it is read here (after fail2ban's samplestestcase.py):
 * - `# filterOptions: [{...}, ...]` starts a section read by one filter per option set (`mode`, `logtype`); a
 *   filter with the same options is the same instance in every section and file, so its state carries over.
 * - `# fileOptions: {...}` is merged under every option set of that file (sshd-journal: `logtype: journal`).
 * - `# failJSON: {"match": true|false, "host": H, "constraint": E, ...}` describes the next line; E limits which
 *   filters read it. `test.condition` / `constraint` expressions name the filter (`name == 'sshd'`) or its mode.
 * - `# addFILE: "sshd-journal"` continues with that file.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createDetector } from "../../../../lambda/core/create-detector";
import { canonicalIp } from "../../../../lambda/core/ip";
import type { Failure, SshdMode } from "../../../../lambda/core/types";

/** Where the extracted package keeps the sample logs, or undefined when it has not been fetched. */
export function samplesFolder(): string | undefined {
  const folder =
    process.env.FAIL2BAN_SAMPLES ??
    join(
      process.env.PEERS_DIR ?? "/work/scratch/peers",
      "fail2ban/usr/lib/python3/dist-packages/fail2ban/tests/files/logs",
    );
  return existsSync(join(folder, "sshd")) ? folder : undefined;
}

/** One filter of the samples: a combination of options, and the mode cloudjail runs for it. */
export interface SampleFilter {
  /** The options as fail2ban names the filter, e.g. `{"mode":"aggressive"}` or `{"logtype":"journal"}`. */
  readonly key: string;
  readonly mode: SshdMode;
}

/** One log line of the samples as one filter read it, and what cloudjail's detector did with it. */
export interface SampleLine {
  readonly file: string;
  /** 1-based line number in its file. */
  readonly number: number;
  readonly text: string;
  readonly filter: SampleFilter;
  /** fail2ban's annotation: the line must match (for `host`), or must not. */
  readonly match: boolean;
  readonly host?: string;
  /** Failures cloudjail returned when reading this line. */
  readonly failures: readonly Failure[];
  /** Sources of the failures the line gave that no ACL can hold (host names, non-canonical addresses). */
  readonly unbannable: readonly string[];
  /** The sshd process id of the line, when its prefix has one (`sshd[pid]:`). */
  readonly pid?: number;
}

type Options = Record<string, unknown>;

/** Evaluates the few expressions the samples use; anything else is an error (a newer sample file needs a look). */
function holds(expression: string, options: Options): boolean {
  const compact = expression.replace(/\s+/g, "");
  if (compact === "name=='sshd'") return true;
  const mode = /^opts\.get\('mode'\)(==|!=)'(\w+)'$/.exec(compact);
  if (mode !== null) return (options.mode === mode[2]) === (mode[1] === "==");
  throw new Error(`fail2ban sample expression not understood: ${expression}`);
}

function withoutTestOptions(options: Options): Options {
  return Object.fromEntries(Object.entries(options).filter(([key]) => !key.startsWith("test.")));
}

/** The address fail2ban's annotation names: `host`, or `ip4` / `ip6` in the journal samples. */
function hostOf(failJson: Options): string | undefined {
  for (const key of ["host", "ip4", "ip6"])
    if (typeof failJson[key] === "string") return failJson[key] as string;
  return undefined;
}

function pidOf(text: string): number | undefined {
  const match = /(?:^|\s)sshd\[(\d+)\]/.exec(text);
  return match === null ? undefined : Number(match[1]);
}

/** A time after every sample stamp: year-less stamps are read in the year before it when they would lie ahead. */
const SAMPLES_NOW = Date.UTC(2005, 11, 31);

/** Reads both sample files through one detector per filter, as fail2ban's test does; every line as each filter saw it. */
export function runSamples(folder: string): SampleLine[] {
  const detectors = new Map<string, ReturnType<typeof createDetector>>();
  const detectorFor = (filter: SampleFilter) => {
    let detector = detectors.get(filter.key);
    if (detector === undefined) {
      detector = createDetector({ filter: { filter: "sshd", mode: filter.mode }, now: SAMPLES_NOW });
      detectors.set(filter.key, detector);
    }
    return detector;
  };
  const result: SampleLine[] = [];
  // Unbannable failures come when their connection is dropped: each goes to the line it was read from (a
  // detector reads one file: the journal filters are their own).
  const byLine = new Map<string, string[]>();
  const collectUnbannable = (key: string, detector: ReturnType<typeof createDetector>) => {
    for (const failure of detector.takeUnbannable())
      byLine.get(`${key} ${failure.line}`)?.push(failure.source);
  };
  const files = ["sshd"];
  for (let fileIndex = 0; fileIndex < files.length; fileIndex++) {
    const file = files[fileIndex] as string;
    const lines = readFileSync(join(folder, file), "utf8").split("\n");
    let common: Options = {};
    let active: Array<{ filter: SampleFilter; options: Options }> = [];
    let annotation: Options | undefined;
    let skipBlock = false;
    lines.forEach((raw, index) => {
      const text = raw.replace(/\r$/, "");
      const directive = /^#+ ?(failJSON|fileOptions|filterOptions|addFILE):(.+)$/.exec(text);
      if (directive !== null) {
        const value = JSON.parse(directive[2] as string) as unknown;
        switch (directive[1]) {
          case "fileOptions":
            common = value as Options;
            if (typeof common["test.condition"] === "string")
              skipBlock = !holds(common["test.condition"], {});
            return;
          case "filterOptions":
            active = [];
            skipBlock = false;
            for (const own of Array.isArray(value) ? value : [value]) {
              const options = { ...common, ...(own as Options) };
              if (
                typeof options["test.condition"] === "string" &&
                !holds(options["test.condition"], options)
              ) {
                skipBlock = true;
                continue;
              }
              const mode = (options.mode as SshdMode | undefined) ?? "normal";
              active.push({ filter: { key: JSON.stringify(withoutTestOptions(options)), mode }, options });
            }
            return;
          case "addFILE":
            files.push(value as string);
            return;
          default:
            annotation = value as Options;
            return;
        }
      }
      if (text.startsWith("#") || text.trim() === "") return;
      const failJson = annotation ?? {};
      annotation = undefined;
      if (skipBlock) return;
      if (active.length === 0) active = [{ filter: { key: "{}", mode: "normal" }, options: {} }];
      for (const { filter, options } of active) {
        if (typeof failJson.constraint === "string" && !holds(failJson.constraint, options)) continue;
        const detector = detectorFor(filter);
        const failures = detector.push(text, { line: index + 1 });
        const unbannable: string[] = [];
        const sample: SampleLine = {
          file,
          number: index + 1,
          text,
          filter,
          match: failJson.match === true,
          host: hostOf(failJson),
          failures,
          unbannable,
          pid: pidOf(text),
        };
        result.push(sample);
        byLine.set(`${filter.key} ${sample.number}`, unbannable);
        collectUnbannable(filter.key, detector);
      }
    });
  }
  for (const [key, detector] of detectors) {
    detector.end();
    collectUnbannable(key, detector);
  }
  return result;
}

/** How one filter's lines came out. */
export interface FilterScore {
  readonly filter: SampleFilter;
  /** Every line the filter read. */
  readonly lines: readonly SampleLine[];
  readonly matchLines: number;
  /**
   * Match lines whose host cloudjail counted in the same sshd process (the line's attempt, or its connection's):
   * as a failure for the address, or as an unbannable failure when the host is no address.
   */
  readonly found: number;
  /** Of `found`, the match lines found as unbannable failures (host names, `192.030.0.6`). */
  readonly foundUnbannable: number;
  readonly nonMatchLines: number;
  /** Non-match lines on which cloudjail counted nothing that fail2ban does not count in the same process. */
  readonly clean: number;
  /** Match lines not counted for their address. */
  readonly missed: readonly SampleLine[];
  /** Non-match lines on which cloudjail counted a failure fail2ban does not count in that process. */
  readonly extra: readonly SampleLine[];
  /** Failures for an address fail2ban's annotations do not name in the process (must never happen). */
  readonly wrongAddress: ReadonlyArray<{ readonly line: SampleLine; readonly ip: string }>;
  /** Processes (pid and address) where cloudjail counts more failures than fail2ban has match lines. */
  readonly overCounted: ReadonlyArray<{
    readonly process: string;
    readonly ours: number;
    readonly theirs: number;
  }>;
  /** Failures fail2ban counts (its match lines) and cloudjail counts, over the filter's lines. */
  readonly fail2banFailures: number;
  readonly cloudjailFailures: number;
}

/** One sshd process of one file: its pid, or the line itself when the prefix has none. */
function processOf(line: SampleLine): string {
  return line.pid === undefined ? `${line.file}:${line.number}` : `${line.file}[${line.pid}]`;
}

/**
 * Scores each filter. A match line is found when cloudjail counted a failure for its host (canonical form) in
 * the same sshd process: on the line, or where the attempt the line belongs to was counted (one attempt counts
 * once, where fail2ban counts each of its lines: that difference is measured by the failure totals and
 * overCounted, never by a line). An annotation without a host takes any address of the process.
 */
export function score(lines: readonly SampleLine[]): FilterScore[] {
  const byFilter = new Map<string, SampleLine[]>();
  for (const line of lines) {
    const list = byFilter.get(line.filter.key) ?? [];
    list.push(line);
    byFilter.set(line.filter.key, list);
  }
  const scores: FilterScore[] = [];
  for (const list of byFilter.values()) {
    const counted = new Map<string, string[]>();
    const named = new Map<string, Array<string | undefined>>();
    const unbannable = new Map<string, string[]>();
    for (const line of list) {
      const process = processOf(line);
      for (const failure of line.failures)
        counted.set(process, [...(counted.get(process) ?? []), failure.ip]);
      for (const source of line.unbannable)
        unbannable.set(process, [...(unbannable.get(process) ?? []), source]);
      if (line.match) {
        const host = line.host === undefined ? undefined : (canonicalIp(line.host) ?? line.host);
        named.set(process, [...(named.get(process) ?? []), host]);
      }
    }
    const isNamed = (process: string, ip: string) =>
      (named.get(process) ?? []).some((host) => host === undefined || host === ip);
    const missed: SampleLine[] = [];
    const extra: SampleLine[] = [];
    const wrongAddress: Array<{ line: SampleLine; ip: string }> = [];
    const isNamedSource = (process: string, source: string) =>
      (named.get(process) ?? []).some((host) => host === undefined || host === source);
    let found = 0;
    let foundUnbannable = 0;
    let clean = 0;
    for (const line of list) {
      const process = processOf(line);
      for (const failure of line.failures) {
        if (!isNamed(process, failure.ip)) wrongAddress.push({ line, ip: failure.ip });
      }
      for (const source of line.unbannable) {
        if (!isNamedSource(process, source)) wrongAddress.push({ line, ip: source });
      }
      if (line.match) {
        const want = line.host === undefined ? undefined : canonicalIp(line.host);
        const ips = counted.get(process) ?? [];
        const ok = line.host === undefined ? ips.length > 0 : want !== undefined && ips.includes(want);
        if (ok) found++;
        else if (
          line.host !== undefined &&
          want === undefined &&
          (unbannable.get(process) ?? []).includes(line.host)
        ) {
          found++;
          foundUnbannable++;
        } else missed.push(line);
      } else if (
        line.failures.every((failure) => isNamed(process, failure.ip)) &&
        line.unbannable.every((source) => isNamedSource(process, source))
      ) {
        clean++;
      } else {
        extra.push(line);
      }
    }
    const overCounted: Array<{ process: string; ours: number; theirs: number }> = [];
    for (const [process, ips] of [...counted, ...unbannable]) {
      for (const ip of new Set(ips)) {
        const ours = ips.filter((each) => each === ip).length;
        const theirs = (named.get(process) ?? []).filter((host) => host === undefined || host === ip).length;
        if (ours > theirs) overCounted.push({ process: `${process} ${ip}`, ours, theirs });
      }
    }
    const first = list[0] as SampleLine;
    scores.push({
      filter: first.filter,
      lines: list,
      matchLines: list.filter((line) => line.match).length,
      found,
      foundUnbannable,
      nonMatchLines: list.filter((line) => !line.match).length,
      clean,
      missed,
      extra,
      wrongAddress,
      overCounted,
      fail2banFailures: list.filter((line) => line.match).length,
      cloudjailFailures: list.reduce((sum, line) => sum + line.failures.length, 0),
    });
  }
  return scores;
}
