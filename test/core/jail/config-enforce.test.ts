import { describe, expect, it } from "vitest";
import { ConfigError, parseConfigJson, parseJailConf } from "../../../lambda/core/config";
import { checkConfigRules } from "../../../lambda/core/config-rules";
import { jailEnforces, jailNamedEnforces } from "../../../lambda/core/enforcement";
import type { CloudjailConfig } from "../../../lambda/core/types";
import { resolveCloudjailProps } from "../../../lib/cloudjail-props";
import { CloudjailSettingsError } from "../../../lib/cloudjail-settings-error";
import { makeJail } from "./make-jail";

const parse = (text: string) => parseJailConf(text, "jail.local").config;
const enforcing = (config: CloudjailConfig) =>
  Object.fromEntries(config.jails.map((jail) => [jail.name, jailEnforces(config, jail)]));
const failure = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
};

const TWO_JAILS = "[sshd]\nenabled = true\n[sshd-ddos]\nenabled = true\n";

describe("enforce in jail.local", () => {
  it("defaults to true for every jail", () => {
    const config = parse(TWO_JAILS);
    expect(enforcing(config)).toEqual({ sshd: true, "sshd-ddos": true });
    expect(config.enforce).toBeUndefined();
    expect(config.jails[0]).not.toHaveProperty("enforce");
  });

  it("is set for the whole stack in [cloudjail], and a jail's own enforce wins over it", () => {
    const stack = parse(`${TWO_JAILS}[cloudjail]\nenforce = false\n`);
    expect(enforcing(stack)).toEqual({ sshd: false, "sshd-ddos": false });
    const override = parse(`${TWO_JAILS}enforce = yes\n[cloudjail]\nenforce = no\n`);
    expect(enforcing(override)).toEqual({ sshd: false, "sshd-ddos": true });
  });

  it("is set per jail, or for all of them in [DEFAULT] as fail2ban layers options", () => {
    expect(
      enforcing(parse("[sshd]\nenabled = true\nenforce = false\n[sshd-ddos]\nenabled = true\n")),
    ).toEqual({
      sshd: false,
      "sshd-ddos": true,
    });
    expect(enforcing(parse(`[DEFAULT]\nenforce = off\n${TWO_JAILS}`))).toEqual({
      sshd: false,
      "sshd-ddos": false,
    });
  });

  it("rejects a value that is not a boolean, naming file, line and what is valid", () => {
    expect(failure(() => parse("[sshd]\nenabled = true\nenforce = maybe\n"))).toBe(
      'jail.local:3 [sshd]: enforce: "maybe" is not a boolean: use true or false (yes/no, on/off, 1/0 also work)',
    );
    expect(failure(() => parse("[sshd]\nenabled = true\n[cloudjail]\nenforce = later\n"))).toMatch(
      /^jail\.local:4 \[cloudjail\]: enforce: "later" is not a boolean/,
    );
  });

  it("rejects a misspelling with a did-you-mean, in a jail and in [cloudjail]", () => {
    expect(failure(() => parse("[sshd]\nenabled = true\nenfoce = false\n"))).toBe(
      'jail.local:3 [sshd]: unknown option "enfoce"; did you mean "enforce"? (fail2ban would skip it silently)',
    );
    expect(failure(() => parse("[sshd]\nenabled = true\n[cloudjail]\nenforced = false\n"))).toMatch(
      /^jail\.local:4 \[cloudjail\]: unknown option "enforced"; valid options: .*enforce.*; did you mean "enforce"\?/,
    );
  });
});

describe("enforce in the JSON form", () => {
  it("is read at the top and per jail, the jail winning", () => {
    const config = parseConfigJson(
      { enforce: false, jails: { sshd: { enabled: true, enforce: true }, "sshd-ddos": { enabled: true } } },
      "config.json",
    );
    expect(enforcing(config)).toEqual({ sshd: true, "sshd-ddos": false });
    expect(parseConfigJson(JSON.parse(JSON.stringify(config)), "CLOUDJAIL_CONFIG")).toEqual(config);
  });

  it("is read from defaults like [DEFAULT]", () => {
    const config = parseConfigJson(
      { defaults: { enforce: false }, jails: { sshd: { enabled: true } } },
      "c.json",
    );
    expect(enforcing(config)).toEqual({ sshd: false });
  });

  it("rejects a non-boolean and a misspelling with a clear error", () => {
    expect(failure(() => parseConfigJson({ jails: { sshd: { enforce: "no" } } }, "c.json"))).toBe(
      "c.json: jails.sshd.enforce: expected true or false",
    );
    expect(failure(() => parseConfigJson({ enforce: 0, jails: {} }, "c.json"))).toBe(
      "c.json: enforce: expected true or false",
    );
    expect(failure(() => parseConfigJson({ jails: { sshd: { enforced: false } } }, "c.json"))).toMatch(
      /^c\.json: jails\.sshd: unknown key\(s\) enforced; valid keys: .*; did you mean "enforce"\?/,
    );
  });
});

describe("enforce as a typed object and a construct prop", () => {
  const base: CloudjailConfig = parse(
    "[sshd]\nenabled = true\n[cloudjail]\nvpc_ids = vpc-0123456789abcdef0\nreserved_rule_range = 1-99\n",
  );

  it("rejects a value a typed object carries that is not a boolean", () => {
    expect(failure(() => checkConfigRules({ jails: [makeJail({ enforce: "no" as never })] }))).toMatch(
      /^jail \[sshd\]: enforce "no" is not true or false/,
    );
    expect(() => resolveCloudjailProps({ config: { ...base, enforce: "false" as never } }, "s")).toThrow(
      CloudjailSettingsError,
    );
  });

  it("the prop wins over the configuration's stack setting, and a jail's own setting wins over the prop", () => {
    expect(enforcing(resolveCloudjailProps({ config: base, enforce: false }, "s").config)).toEqual({
      sshd: false,
    });
    const stackOff = { ...base, enforce: false };
    expect(enforcing(resolveCloudjailProps({ config: stackOff, enforce: true }, "s").config)).toEqual({
      sshd: true,
    });
    expect(enforcing(resolveCloudjailProps({ config: stackOff }, "s").config)).toEqual({ sshd: false });
    const jailOn = { ...base, jails: base.jails.map((jail) => ({ ...jail, enforce: true })) };
    expect(enforcing(resolveCloudjailProps({ config: jailOn, enforce: false }, "s").config)).toEqual({
      sshd: true,
    });
  });

  it("a jail the configuration no longer names follows the stack's setting", () => {
    expect(jailNamedEnforces({ jails: [] }, "gone")).toBe(true);
    expect(jailNamedEnforces({ enforce: false, jails: [] }, "gone")).toBe(false);
    expect(jailNamedEnforces({ enforce: false, jails: [makeJail()] }, "sshd")).toBe(false);
  });
});
