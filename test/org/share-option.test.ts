import { describe, expect, it } from "vitest";
import { ConfigError, parseConfigJson, parseJailConf } from "../../lambda/core/config";

const conf = (text: string) => parseJailConf(text, "jail.local");
const json = (value: unknown) => parseConfigJson(value, "config.json");
const message = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
};

describe("share = local | organization", () => {
  it("is local by default, and the resolved jail carries no share key (configurations resolve as before)", () => {
    const jail = conf("[sshd]\nenabled = true\n").config.jails[0];
    expect(jail?.share).toBeUndefined();
    expect(Object.keys(jail ?? {})).not.toContain("share");
    expect(json({ jails: { sshd: { enabled: true, share: "local" } } }).jails[0]?.share).toBeUndefined();
  });

  it("reads organization from a jail section, from [DEFAULT], and from JSON (keyed and listed)", () => {
    expect(conf("[sshd]\nenabled = true\nshare = organization\n").config.jails[0]?.share).toBe(
      "organization",
    );
    const inherited = conf("[DEFAULT]\nshare = Organization\n[sshd]\nenabled = true\n");
    expect(inherited.config.jails[0]?.share).toBe("organization");
    expect(json({ jails: { sshd: { enabled: true, share: "organization" } } }).jails[0]?.share).toBe(
      "organization",
    );
    expect(json({ jails: [{ name: "sshd", enabled: true, share: "organization" }] }).jails[0]?.share).toBe(
      "organization",
    );
    expect(
      json({ defaults: { share: "organization" }, jails: { sshd: { enabled: true, share: "local" } } })
        .jails[0]?.share,
    ).toBeUndefined();
  });

  it("survives the round trip through CLOUDJAIL_CONFIG (resolving twice gives the same)", () => {
    const once = json({ jails: { sshd: { enabled: true, share: "organization" } } });
    expect(json(JSON.parse(JSON.stringify(once)))).toEqual(once);
  });

  it("rejects other values, naming file, line and what is valid, with a did-you-mean", () => {
    expect(message(() => conf("[sshd]\nenabled = true\nshare = organisation\n"))).toBe(
      'jail.local:3 [sshd]: share: "organisation" is not a share: use local (this account only) or organization (every member account); did you mean "organization"?',
    );
    expect(message(() => conf("[sshd]\nenabled = true\nshare = org\n"))).toMatch(
      /did you mean "organization"\?$/,
    );
    expect(message(() => json({ jails: { sshd: { enabled: true, share: "global" } } }))).toMatch(
      /^config\.json: jails\.sshd\.share: "global" is not a share: use local/,
    );
  });

  it("points a jail's scope = organization at share, since scope says vpc or subnet", () => {
    expect(message(() => conf("[sshd]\nenabled = true\nscope = organization\n"))).toBe(
      'jail.local:3 [sshd]: unknown option "scope"; did you mean "share"? (scope = vpc|subnet belongs in [cloudjail]) (fail2ban would skip it silently)',
    );
    expect(message(() => json({ jails: { sshd: { enabled: true, scope: "organization" } } }))).toMatch(
      /unknown key\(s\) scope; valid keys: .*; did you mean "share"\? \(scope = vpc\|subnet belongs in nacl\)/,
    );
    expect(message(() => conf("[cloudjail]\nscope = organization\n[sshd]\nenabled = true\n"))).toMatch(
      /is not a scope: use vpc .*; to share bans, set share = organization in the jail$/,
    );
  });

  it("catches a misspelled option name: shares", () => {
    expect(message(() => conf("[sshd]\nenabled = true\nshares = organization\n"))).toMatch(
      /unknown option "shares"; did you mean "share"\?/,
    );
  });
});
