import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../bin/cli/errors";
import { type ReplayOptions, runReplay } from "../../bin/cli/replay";
import { createDetector } from "../../lambda/core/create-detector";
import type { CloudjailConfig } from "../../lambda/core/types";
import { loadConfigFile } from "../../lib/config-file";
import { validateCloudjailConfig } from "../../lib/validate-config";

const ROOT = join(__dirname, "../..");
const SECURE = join(ROOT, "test/fixtures/sshd/password-failures.secure.log");
const AUTH = join(ROOT, "test/fixtures/sshd/password-failures.auth.log");
const SEED = readFileSync(join(ROOT, "test/fixtures/config/seed-article.jail.local"), "utf8");
/** The captures were written in November 2026; year-less stamps are placed with this clock. */
const NOW = Date.UTC(2026, 11, 31);
const scratch = mkdtempSync(join(tmpdir(), "cloudjail-replay-"));

/** The seed article's jail.local with some of its lines changed, as an admin would tune it. */
function seedWith(name: string, replacements: Record<string, string>): string {
  let text = SEED;
  for (const [from, to] of Object.entries(replacements)) {
    if (!text.includes(from)) throw new Error(`the seed has no "${from}"`);
    text = text.replace(from, to);
  }
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

/**
 * The capture followed by itself `minutes` later (its syslog stamps moved on): each address comes back after its
 * first bans have ended. Derived from the real capture; only the stamps of the second copy are rewritten.
 */
function captureTwice(name: string, minutes: number): string {
  const text = readFileSync(SECURE, "utf8").trimEnd();
  const moved = text.replace(/^(\w{3} [ \d]\d \d\d:\d\d:\d\d)/gm, (stamp) => {
    const at = new Date(Date.parse(`${stamp} 2026 UTC`) + minutes * 60_000);
    const month = at.toLocaleString("en-US", { month: "short", timeZone: "UTC" });
    return `${month} ${String(at.getUTCDate()).padStart(2, " ")} ${at.toISOString().slice(11, 19)}`;
  });
  const path = join(scratch, name);
  writeFileSync(path, `${text}\n${moved}\n`);
  return path;
}

interface Replayed {
  readonly out: string;
  readonly err: string;
  readonly events: Array<Record<string, unknown>>;
}

async function replay(log: string, options: ReplayOptions): Promise<Replayed> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on("data", (chunk: Buffer) => chunks.out.push(chunk));
  err.on("data", (chunk: Buffer) => chunks.err.push(chunk));
  await runReplay(log, { year: "2026", ...options }, out, err, NOW);
  const text = { out: Buffer.concat(chunks.out).toString(), err: Buffer.concat(chunks.err).toString() };
  const events = options.json
    ? text.out
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line))
    : [];
  return { ...text, events };
}

/** The failure times (ISO) the sshd detector finds per address: which line counts is detection's business. */
function failureTimes(log: string): Map<string, string[]> {
  const detector = createDetector({ filter: { filter: "sshd", mode: "normal" }, now: NOW, year: 2026 });
  const times = new Map<string, string[]>();
  const lines = readFileSync(log, "utf8").split("\n");
  const found = [
    ...lines.flatMap((text, index) => detector.push(text, { line: index + 1 })),
    ...detector.end(),
  ];
  for (const failure of found) {
    if (failure.at === undefined) continue;
    times.set(failure.ip, [...(times.get(failure.ip) ?? []), new Date(failure.at).toISOString()]);
  }
  return times;
}

const later = (iso: string, seconds: number) => new Date(Date.parse(iso) + seconds * 1000).toISOString();
const TIMES = failureTimes(SECURE);
/** When the two addresses that fail twice in the capture failed for the second time. */
const SECOND_FAILURE = { a: TIMES.get("127.0.1.4")?.[1] ?? "", b: TIMES.get("127.0.3.250")?.[1] ?? "" };

const only = (events: Replayed["events"], action: string) =>
  events.filter((event) => event.action === action);

describe("cloudjail replay over real captured sshd logs", () => {
  it("with the seed article's jail.local bans nobody: every attacker is loopback, inside ignoreip 127.0.0.1/8 and ::1", async () => {
    const result = await replay(SECURE, {
      config: join(ROOT, "test/fixtures/config/seed-article.jail.local"),
      json: true,
    });
    expect(result.events).toEqual([]);
    expect(result.err).toMatch(
      /sshd\s+0 bans of 0 addresses.*failures counted 0, while banned 0, ignored \(ignoreip\) 15/,
    );
    expect(result.err).toMatch(/warning: .*"banaction" is ignored in the cloud/);
  });

  it("uses config/jail.local when no --config is given", async () => {
    const result = await replay(SECURE, { json: true });
    expect(result.err).toMatch(/with config\/jail\.local/);
    expect(result.events).toEqual([]);
  });

  it("bans the two addresses that failed twice once ignoreip keeps only ::1 and maxretry is 2", async () => {
    const config = seedWith("maxretry2.local", {
      "ignoreip = 127.0.0.1/8 ::1 103.1.2.3": "ignoreip = ::1",
      "maxretry = 3": "maxretry = 2",
    });
    const { events } = await replay(SECURE, { config, json: true });
    expect(events).toEqual([
      {
        action: "ban",
        jail: "sshd",
        ip: "127.0.1.4",
        at: SECOND_FAILURE.a,
        until: later(SECOND_FAILURE.a, 3600),
        failures: 2,
        banCount: 1,
      },
      {
        action: "ban",
        jail: "sshd",
        ip: "127.0.3.250",
        at: SECOND_FAILURE.b,
        until: later(SECOND_FAILURE.b, 3600),
        failures: 2,
        banCount: 1,
      },
    ]);
  });

  it("reads the RFC 3339 auth.log of the same session to the same bans", async () => {
    const config = seedWith("maxretry2b.local", {
      "ignoreip = 127.0.0.1/8 ::1 103.1.2.3": "ignoreip = ::1",
      "maxretry = 3": "maxretry = 2",
    });
    const secure = await replay(SECURE, { config, json: true });
    const auth = await replay(AUTH, { config, json: true });
    expect(auth.events.map((event) => [event.ip, event.banCount])).toEqual(
      secure.events.map((event) => [event.ip, event.banCount]),
    );
  });

  it("with bantime = 24h, bans for a day", async () => {
    const config = seedWith("24h.local", {
      "ignoreip = 127.0.0.1/8 ::1 103.1.2.3": "ignoreip = ::1",
      "maxretry = 3": "maxretry = 2",
      "bantime  = 3600": "bantime  = 24h",
    });
    const { events } = await replay(SECURE, { config, json: true });
    expect(events.map((event) => [event.ip, event.until])).toEqual([
      ["127.0.1.4", later(SECOND_FAILURE.a, 86_400)],
      ["127.0.3.250", later(SECOND_FAILURE.b, 86_400)],
    ]);
  });

  it("with bantime = -1, bans permanently (until null) and never unbans", async () => {
    const config = seedWith("permanent.local", {
      "ignoreip = 127.0.0.1/8 ::1 103.1.2.3": "ignoreip = ::1",
      "maxretry = 3": "maxretry = 1",
      "bantime  = 3600": "bantime  = -1",
    });
    const { events, err } = await replay(SECURE, { config, json: true });
    expect(only(events, "ban")).toHaveLength(11);
    expect(only(events, "unban")).toEqual([]);
    expect(events.every((event) => event.until === null)).toBe(true);
    expect(err).toMatch(
      /11 bans of 11 addresses, 11 still banned at the end; failures counted 11, while banned 2, ignored \(ignoreip\) 2/,
    );
    expect(err).toMatch(/permanent\s+ban #1/);
  });

  it("with bantime.increment, doubles the second ban of a returning address", async () => {
    const config = seedWith("increment.local", {
      "ignoreip = 127.0.0.1/8 ::1 103.1.2.3": "ignoreip = ::1\nbantime.increment = true",
      "maxretry = 3": "maxretry = 1",
      "bantime  = 3600": "bantime  = 60",
    });
    const { events } = await replay(captureTwice("twice.log", 10), { config, json: true });
    const returning = events.filter((event) => event.ip === "127.0.3.250");
    const [first] = TIMES.get("127.0.3.250") ?? [];
    const back = later(first, 600);
    expect(returning).toEqual([
      {
        action: "ban",
        jail: "sshd",
        ip: "127.0.3.250",
        at: first,
        until: later(first, 60),
        failures: 1,
        banCount: 1,
      },
      {
        action: "unban",
        jail: "sshd",
        ip: "127.0.3.250",
        at: later(first, 60),
        until: null,
        failures: 0,
        banCount: 1,
      },
      // The replay ends with the log, before this ban's end.
      {
        action: "ban",
        jail: "sshd",
        ip: "127.0.3.250",
        at: back,
        until: later(back, 120),
        failures: 1,
        banCount: 2,
      },
    ]);
  });

  it("with an IPv4 CIDR in ignoreip and without ::1, spares the /24 and bans the IPv6 attacker", async () => {
    const config = seedWith("cidr-ipv6.local", {
      "ignoreip = 127.0.0.1/8 ::1 103.1.2.3": "ignoreip = 127.0.3.0/24, 2001:db8::/32",
      "maxretry = 3": "maxretry = 2",
    });
    const { events, err } = await replay(SECURE, { config, json: true });
    expect(events.map((event) => event.ip)).toEqual(["127.0.1.4", "::1"]);
    expect(err).toMatch(/ignored \(ignoreip\) 6/);
  });

  it("with an IPv6 CIDR in ignoreip covering ::1, never bans it", async () => {
    const config = seedWith("ipv6-cidr.local", {
      "ignoreip = 127.0.0.1/8 ::1 103.1.2.3": "ignoreip = ::/127",
      "maxretry = 3": "maxretry = 2",
    });
    const { events } = await replay(SECURE, { config, json: true });
    expect(events.map((event) => event.ip)).toEqual(["127.0.1.4", "127.0.3.250"]);
  });

  it("runs a custom failregex jail with its own detector beside sshd", async () => {
    const config = seedWith("custom.local", {
      "ignoreip = 127.0.0.1/8 ::1 103.1.2.3": "ignoreip = ::1",
      "maxretry = 3": "maxretry = 2",
      "[sshd] \nenabled = true":
        "[sshd]\nenabled = true\nmaxretry = 10\n\n[invalid-users]\nenabled = true\nfailregex = ^%(__prefix_line)sInvalid user \\S+ from <HOST> port \\d+$",
    });
    const { events, err } = await replay(SECURE, { config, json: true });
    // Only 127.0.3.250 tried two unknown user names; sshd's own jail needs 10 failures here.
    expect(events.map((event) => [event.jail, event.ip, event.failures])).toEqual([
      ["invalid-users", "127.0.3.250", 2],
    ]);
    expect(err).toMatch(/invalid-users\s+1 bans of 1 addresses/);
    expect(err).toMatch(/sshd\s+0 bans of 0 addresses, 0 still banned at the end; failures counted 13/);
  });

  it("with --jail, shows one jail only", async () => {
    const config = seedWith("two-jails.local", {
      "ignoreip = 127.0.0.1/8 ::1 103.1.2.3": "ignoreip = ::1",
      "maxretry = 3": "maxretry = 2",
      "[sshd] \nenabled = true":
        "[sshd]\nenabled = true\n\n[invalid-users]\nenabled = true\nfailregex = ^Invalid user \\S+ from <HOST>",
    });
    const { events } = await replay(SECURE, { config, json: true, jail: "invalid-users" });
    expect(events.map((event) => event.jail)).toEqual(["invalid-users"]);
  });

  it("feeds the recidive jail with the sshd jail's bans, also when only recidive is shown", async () => {
    const config = seedWith("recidive.local", {
      "ignoreip = 127.0.0.1/8 ::1 103.1.2.3": "ignoreip = ::1",
      "maxretry = 3": "maxretry = 1",
      "bantime  = 3600": "bantime  = 60",
      "[sshd] \nenabled = true": "[sshd]\nenabled = true\n\n[recidive]\nenabled = true\nmaxretry = 2",
    });
    const log = captureTwice("twice-recidive.log", 10);
    const all = await replay(log, { config, json: true });
    const recidive = all.events.filter((event) => event.jail === "recidive");
    // The sshd jail bans each address once per copy of the capture; recidive bans it at its second sshd ban.
    // The sshd jail bans each address in the first copy; its second ban, ten minutes on, is recidive's second count.
    const secondCopy = later(TIMES.get("127.0.1.1")?.[0] ?? "", 600);
    const firstBans = only(all.events, "ban").filter(
      (event) => event.jail === "sshd" && String(event.at) < secondCopy,
    );
    expect(firstBans.length).toBeGreaterThan(1);
    expect(recidive.map((event) => [event.ip, event.at, event.until, event.failures])).toEqual(
      firstBans.map((ban) => {
        const back = later(String(ban.at), 600);
        return [ban.ip, back, later(back, 604_800), 2];
      }),
    );
    const shown = await replay(log, { config, json: true, jail: "recidive" });
    expect(shown.events).toEqual(recidive);
  });

  it("reads the JSON form of the configuration", async () => {
    const path = join(scratch, "config.json");
    writeFileSync(
      path,
      JSON.stringify({
        defaults: { ignoreip: "::1", maxretry: 2, bantime: "1h" },
        jails: { sshd: { enabled: true } },
      }),
    );
    const { events } = await replay(SECURE, { config: path, json: true });
    expect(events.map((event) => event.ip)).toEqual(["127.0.1.4", "127.0.3.250"]);
  });

  it("prints a timeline and a summary without --json", async () => {
    const config = seedWith("timeline.local", {
      "ignoreip = 127.0.0.1/8 ::1 103.1.2.3": "ignoreip = ::1",
      "maxretry = 3": "maxretry = 2",
    });
    const { out, err } = await replay(SECURE, { config });
    const [timeline, summary] = out.split("\n\n");
    expect(timeline.split("\n")).toEqual([
      `${SECOND_FAILURE.a}  ban    sshd        127.0.1.4                 2 failures  ban #1  until ${later(SECOND_FAILURE.a, 3600)} (1h)`,
      `${SECOND_FAILURE.b}  ban    sshd        127.0.3.250               2 failures  ban #1  until ${later(SECOND_FAILURE.b, 3600)} (1h)`,
    ]);
    expect(out).toMatch(/Top offenders:\n\s+127\.0\.1\.4\s+2 failures\s+1 bans/);
    expect(out).toMatch(/Longest bans:\n\s+127\.0\.1\.4\s+sshd\s+1h\s+ban #1/);
    expect(summary).toMatch(/^Replay of .*password-failures\.secure\.log with .*timeline\.local/);
    const times = [...TIMES.values()].flat().sort();
    expect(summary).toContain(`failures: 15 found, from ${times[0]} to ${times[times.length - 1]}`);
    expect(err).toMatch(/warning: /);
  });
});

/** manifest.json: per captured family, the failures each source really offered, counted on the client side. */
interface Manifest {
  readonly families: Record<string, { readonly expected: Record<string, Record<string, number>> }>;
}
const MANIFEST: Manifest = JSON.parse(readFileSync(join(ROOT, "test/fixtures/sshd/manifest.json"), "utf8"));

/**
 * Sources on which detection and the manifest disagree today (a detection question, not a jail one: reported to
 * the detection engineer). They are left out of both sides so that every other source is still checked.
 * publickey-refused/normal: `Invalid user nokeyuser from 127.0.7.3` is counted in normal mode by the detector
 * (as fail2ban's normal mode does), while the manifest counts a publickey-only attempt in extra modes only.
 */
const UNDECIDED: Record<string, readonly string[]> = { "publickey-refused/normal": ["127.0.7.3"] };

describe("cloudjail replay over every captured family, against what the clients really did", () => {
  const cases = Object.keys(MANIFEST.families).flatMap((family) =>
    ["normal", "aggressive"].flatMap((mode) => [1, 3].map((maxretry) => ({ family, mode, maxretry }))),
  );

  it.each(cases)(
    "$family, mode $mode, maxretry $maxretry: bans exactly the sources with maxretry failures",
    async ({ family, mode, maxretry }) => {
      const config = seedWith(`${family}-${mode}-${maxretry}.local`, {
        "ignoreip = 127.0.0.1/8 ::1 103.1.2.3": "ignoreip = 103.1.2.3",
        "findtime  = 300": "findtime  = 1d",
        "maxretry = 3": `maxretry = ${maxretry}`,
        "enabled = true": `enabled = true\nmode = ${mode}`,
      });
      const undecided = new Set(UNDECIDED[`${family}/${mode}`] ?? []);
      const expected = Object.entries(MANIFEST.families[family].expected[mode])
        .filter(([source, failures]) => failures >= maxretry && !undecided.has(source))
        .map(([source]) => source)
        .sort();
      for (const format of ["secure", "auth"]) {
        const { events } = await replay(join(ROOT, `test/fixtures/sshd/${family}.${format}.log`), {
          config,
          json: true,
        });
        const bans = only(events, "ban").filter((event) => !undecided.has(String(event.ip)));
        expect(bans.map((event) => String(event.ip)).sort()).toEqual(expected);
        expect(bans.every((event) => event.failures === maxretry && event.banCount === 1)).toBe(true);
      }
    },
  );

  it.each(Object.keys(MANIFEST.families))(
    "%s with the seed's ignoreip (127.0.0.1/8, ::1) bans no one",
    async (family) => {
      const config = seedWith(`${family}-seed.local`, {
        "maxretry = 3": "maxretry = 1",
        "enabled = true": "enabled = true\nmode = aggressive",
      });
      const { events } = await replay(join(ROOT, `test/fixtures/sshd/${family}.secure.log`), {
        config,
        json: true,
      });
      expect(events).toEqual([]);
    },
  );
});

describe("cloudjail replay usage errors", () => {
  it("rejects an unknown jail, naming the enabled ones", async () => {
    await expect(replay(SECURE, { jail: "nginx" })).rejects.toThrow(
      /unknown or disabled jail "nginx" \(enabled jails: sshd\)/,
    );
  });

  it("rejects a configuration error as a usage error naming file and line", async () => {
    const config = seedWith("broken.local", { "maxretry = 3": "maxretry = three" });
    const error = await replay(SECURE, { config }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/broken\.local:9 \[DEFAULT\], used by \[sshd\]: maxretry/);
  });

  it("rejects a misspelled option with a did-you-mean, as cdk synth does", async () => {
    const config = seedWith("typo.local", { "ignoreip =": "ignorip =" });
    const expected = /typo\.local:3 \[DEFAULT\]: unknown option "ignorip"; did you mean "ignoreip"\?/;
    const error = await replay(SECURE, { config }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(expected);
    expect(() => loadConfigFile(config)).toThrow(expected);
  });

  it("rejects a bantime below a minute with the rule and words cdk synth uses", async () => {
    const config = seedWith("short.local", { "bantime  = 3600": "bantime = 30" });
    const error = await replay(SECURE, { config }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    const synth = (() => {
      const { config: loaded } = loadConfigFile(config);
      const deployable: CloudjailConfig = {
        ...loaded,
        nacl: { ...loaded.nacl, vpcIds: ["vpc-0123456789abcdef0"] },
      };
      try {
        validateCloudjailConfig(deployable);
      } catch (caught) {
        return (caught as Error).message;
      }
      return "accepted";
    })();
    expect(synth).toMatch(/^jail \[sshd\]: bantime 30s is below one minute/);
    expect((error as Error).message).toBe(`${config}: ${synth}`);
  });

  it("rejects a missing log and a bad --year", async () => {
    await expect(replay(join(scratch, "nope.log"), {})).rejects.toThrow(
      /cannot read .*nope\.log: no such file/,
    );
    await expect(replay(SECURE, { year: "26" })).rejects.toThrow(/invalid --year "26"/);
  });
});
