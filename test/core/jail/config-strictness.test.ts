import { describe, expect, it } from "vitest";
import { ConfigError, parseConfigJson, parseJailConf } from "../../../lambda/core/config";
import { checkConfigRules } from "../../../lambda/core/config-rules";
import { closestName } from "../../../lambda/core/config-suggestion";
import { makeJail } from "./make-jail";

const parse = (text: string) => parseJailConf(text, "jail.local");
const failure = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
};

describe("closestName", () => {
  const known = ["ignoreip", "maxretry", "bantime", "findtime", "bantime.increment", "port", "mode"];

  it("finds the option a typo was meant to be", () => {
    expect(closestName("ignorip", known)).toBe("ignoreip");
    expect(closestName("ingoreip", known)).toBe("ignoreip");
    expect(closestName("maxretries", known)).toBe("maxretry");
    expect(closestName("ban_time", known)).toBe("bantime");
    expect(closestName("bantime_increment", known)).toBe("bantime.increment");
    expect(closestName("Findtime", known)).toBe("findtime");
  });

  it("suggests nothing for a name that is not near any option", () => {
    expect(closestName("my_networks", known)).toBeUndefined();
    expect(closestName("destination", known)).toBeUndefined();
    // Short names allow one edit only: "node" is one from "mode", "mood" two from "port".
    expect(closestName("node", known)).toBe("mode");
    expect(closestName("sort", known)).toBe("port");
    expect(closestName("mood", ["port"])).toBeUndefined();
  });
});

describe("a misspelled option in jail.local", () => {
  it("is an error naming file, line and the option meant, in [DEFAULT] as in a jail", () => {
    expect(failure(() => parse("[DEFAULT]\nignorip = 192.0.2.0/24\n[sshd]\nenabled = true\n"))).toBe(
      'jail.local:2 [DEFAULT]: unknown option "ignorip"; did you mean "ignoreip"? (fail2ban would skip it silently)',
    );
    expect(failure(() => parse("[sshd]\nenabled = true\nmaxretries = 3\n"))).toMatch(
      /^jail\.local:3 \[sshd\]: unknown option "maxretries"; did you mean "maxretry"\?/,
    );
  });

  it("is no error when a %(name)s reference uses it as a variable", () => {
    const { config, warnings } = parse(
      "[DEFAULT]\nportal = 2222\n[sshd]\nenabled = true\nport = %(portal)s\n",
    );
    expect(config.jails[0]?.port).toEqual([{ from: 2222, to: 2222 }]);
    expect(warnings).toContainEqual(expect.stringMatching(/"portal" is not a jail option cloudjail uses/));
  });

  it("is no error in a jail that is not enabled: it never runs", () => {
    expect(
      parse("[sshd]\nenabled = true\n[recidive]\nenabled = false\nbantim = 1w\n").config.jails,
    ).toHaveLength(2);
  });

  it("leaves options fail2ban knows but the cloud ignores as warnings, and unrelated names too", () => {
    const { warnings } = parse(
      "[DEFAULT]\nbanaction = iptables-multiport\ntcpport = 22\n[sshd]\nenabled = true\nknocking = on\n",
    );
    expect(warnings).toEqual([
      expect.stringMatching(/jail\.local:2: "banaction" is ignored in the cloud/),
      expect.stringMatching(/jail\.local:3: "tcpport" is ignored in the cloud/),
      expect.stringMatching(/jail\.local:6: "knocking" is not a fail2ban jail option cloudjail knows/),
    ]);
  });

  it("is an error in the [cloudjail] section too, with the option meant", () => {
    expect(
      failure(() => parse("[sshd]\nenabled = true\n[cloudjail]\nvpc_id = vpc-0123456789abcdef0\n")),
    ).toMatch(
      /^jail\.local:4 \[cloudjail\]: unknown option "vpc_id"; valid options: scope, vpc_ids, .*; did you mean "vpc_ids"\?$/,
    );
  });
});

describe("a misspelled key in the JSON form", () => {
  it("is an error naming the key meant", () => {
    expect(
      failure(() =>
        parseConfigJson(
          { defaults: { ignorip: ["192.0.2.0/24"] }, jails: { sshd: { enabled: true } } },
          "c.json",
        ),
      ),
    ).toMatch(
      /^c\.json: defaults: unknown key\(s\) ignorip; valid keys: name, enabled, .*; did you mean "ignoreip"\?$/,
    );
  });
});

describe("the configuration rules synth and replay share", () => {
  it("reject a bantime below a minute and accept a permanent ban", () => {
    expect(failure(() => checkConfigRules({ jails: [makeJail({ bantime: 30 })] }))).toBe(
      "jail [sshd]: bantime 30s is below one minute; the unbanner runs once a minute, so set bantime to 1m or more (or -1 for a permanent ban)",
    );
    expect(() =>
      checkConfigRules({ jails: [makeJail({ bantime: -1 }), makeJail({ bantime: 60 })] }),
    ).not.toThrow();
  });

  it("reject a custom filter without a failregex", () => {
    expect(failure(() => checkConfigRules({ jails: [makeJail({ filter: "custom" })] }))).toMatch(
      /a custom filter needs at least one failregex/,
    );
  });
});
