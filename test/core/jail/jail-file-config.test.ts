import { readFileSync } from "node:fs";
import { join } from "node:path";
import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_NACL_SETTINGS, parseJailConf } from "../../../lambda/core/config";

const fixture = (name: string) => readFileSync(join(__dirname, "../../fixtures/config", name), "utf8");
const parse = (text: string) => parseJailConf(text, "jail.local");
const jail = (text: string, name = "sshd") => {
  const found = parse(text).config.jails.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no jail ${name}`);
  return found;
};

describe("parseJailConf with the seed article's jail.local", () => {
  const { config, warnings } = parseJailConf(fixture("seed-article.jail.local"), "jail.local");

  it("loads it as printed, with [DEFAULT] inherited by [sshd]", () => {
    expect(config.jails).toEqual([
      {
        name: "sshd",
        enabled: true,
        filter: "sshd",
        mode: "normal",
        maxretry: 3,
        findtime: 300,
        bantime: 3600,
        ignoreip: ["127.0.0.1/8", "::1", "103.1.2.3"],
        port: [{ from: 22, to: 22 }],
        increment: { enabled: false, factor: 1, overalljails: false },
      },
    ]);
    expect(config.nacl).toEqual(DEFAULT_NACL_SETTINGS);
  });

  it("warns that banaction and backend are ignored in the cloud, and says why", () => {
    expect(warnings).toEqual([
      expect.stringMatching(/jail\.local:10: "banaction" is ignored in the cloud: .*network ACL/),
      expect.stringMatching(/jail\.local:11: "backend" is ignored in the cloud: .*CloudWatch Logs/),
    ]);
  });
});

describe("the repository's default config/jail.local", () => {
  const repo = parseJailConf(
    readFileSync(join(__dirname, "../../../config/jail.local"), "utf8"),
    "config/jail.local",
  );

  it("keeps the article's values and loads without a warning", () => {
    expect(repo.warnings).toEqual([]);
    expect(repo.config.jails).toEqual([
      expect.objectContaining({ name: "sshd", maxretry: 3, findtime: 300, bantime: 3600 }),
    ]);
  });

  it("ignores only loopback and documentation addresses", () => {
    const ignoreip = repo.config.jails[0]?.ignoreip ?? [];
    expect(ignoreip).not.toContain("103.1.2.3");
    const allowed = [
      "127.0.0.0/8",
      "::1/128",
      "192.0.2.0/24",
      "198.51.100.0/24",
      "203.0.113.0/24",
      "2001:db8::/32",
    ];
    expect(ignoreip.length).toBeGreaterThan(0);
    for (const entry of ignoreip) {
      const [address, bits] = ipaddr.parseCIDR(
        entry.includes("/") ? entry : `${entry}/${entry.includes(":") ? 128 : 32}`,
      );
      const inside = allowed.some((range) => {
        const [base, prefix] = ipaddr.parseCIDR(range);
        return base.kind() === address.kind() && bits >= prefix && address.match(base, prefix);
      });
      expect(inside, entry).toBe(true);
    }
  });
});

describe("parseJailConf values", () => {
  it("reads fail2ban's duration abbreviations and -1 for permanent", () => {
    expect(jail("[sshd]\nenabled = true\nbantime = 1d12h\nfindtime = 10m\n")).toMatchObject({
      bantime: 129_600,
      findtime: 600,
    });
    expect(jail("[sshd]\nenabled = true\nbantime = -1\n").bantime).toBe(-1);
  });

  it("reads every spelling of enabled", () => {
    for (const [text, expected] of [
      ["true", true],
      ["YES", true],
      ["1", true],
      ["on", true],
      ["false", false],
      ["no", false],
      ["0", false],
    ] as const) {
      expect(jail(`[sshd]\nenabled = ${text}\n`).enabled).toBe(expected);
    }
  });

  it("takes the sshd mode from filter arguments or from the mode option", () => {
    expect(jail("[sshd]\nenabled = true\nfilter = sshd[mode=aggressive]\n").mode).toBe("aggressive");
    expect(jail("[sshd]\nenabled = true\nmode = ddos\n").mode).toBe("ddos");
    expect(jail('[sshd]\nenabled = true\nmode = ddos\nfilter = sshd[mode="extra"]\n').mode).toBe("extra");
  });

  it("names a jail's filter after the jail, as fail2ban does", () => {
    expect(jail("[ssh-fleet]\nenabled = true\nfilter = sshd\n", "ssh-fleet").filter).toBe("sshd");
    expect(jail("[recidive]\nenabled = true\n", "recidive")).toMatchObject({
      filter: "recidive",
      bantime: 604_800,
      findtime: 86_400,
    });
  });

  it("splits ignoreip on spaces and/or commas, across continuation lines, with CIDRs and IPv6", () => {
    const text =
      "[DEFAULT]\nignoreip = 127.0.0.1/8,::1  10.0.0.0/8 ,\n    2001:db8::/32\n[sshd]\nenabled = true\n";
    expect(jail(text).ignoreip).toEqual(["127.0.0.1/8", "::1", "10.0.0.0/8", "2001:db8::/32"]);
  });

  it("skips host names in ignoreip with a warning", () => {
    const result = parse("[sshd]\nenabled = true\nignoreip = 10.0.0.1 bastion.example.com\n");
    expect(result.config.jails[0].ignoreip).toEqual(["10.0.0.1"]);
    expect(result.warnings).toContainEqual(
      expect.stringMatching(/jail\.local:3 \[sshd\]: host names .* bastion\.example\.com/),
    );
  });

  it("reads ports by name, number and range (: or -)", () => {
    expect(jail("[sshd]\nenabled = true\nport = ssh,2222,5000:5010, 6000-6001\n").port).toEqual([
      { from: 22, to: 22 },
      { from: 2222, to: 2222 },
      { from: 5000, to: 5010 },
      { from: 6000, to: 6001 },
    ]);
  });

  it("reads bantime.* options", () => {
    const text =
      "[DEFAULT]\nbantime.increment = true\nbantime.factor = 2\nbantime.multipliers = 1 2 4 8\nbantime.maxtime = 1w\nbantime.rndtime = 5m\nbantime.overalljails = yes\n[sshd]\nenabled = true\n";
    expect(jail(text).increment).toEqual({
      enabled: true,
      factor: 2,
      multipliers: [1, 2, 4, 8],
      maxtime: 604_800,
      rndtime: 300,
      overalljails: true,
    });
  });

  it("warns that bantime.formula is not evaluated and says what cloudjail uses", () => {
    const { warnings } = parse("[DEFAULT]\nbantime.formula = ban.Time * 3\n[sshd]\nenabled = true\n");
    expect(warnings).toContainEqual(
      expect.stringMatching(/bantime\.formula is not evaluated; cloudjail uses .*2\^n/),
    );
  });

  it("reads a custom filter's multi-line failregex and ignoreregex", () => {
    const text =
      "[my-sshd]\nenabled = true\nfailregex = ^Failed login from <HOST>$\n  ^Bad user \\S+ from <HOST>$\nignoreregex = ^test\n";
    expect(jail(text, "my-sshd")).toMatchObject({
      filter: "custom",
      failregex: ["^Failed login from <HOST>$", "^Bad user \\S+ from <HOST>$"],
      ignoreregex: ["^test"],
    });
  });

  it("reads CRLF files with inline ; and # comments", () => {
    const { config } = parseJailConf(
      readFileSync(join(__dirname, "../../fixtures/config/crlf.jail.local"), "utf8"),
      "crlf.jail.local",
    );
    expect(config.jails[0]).toMatchObject({ bantime: 3600, maxretry: 4, mode: "aggressive", enabled: true });
  });
});

describe("parseJailConf with a distribution-style jail.conf", () => {
  const { config, warnings } = parseJailConf(fixture("stock-style.jail.conf"), "jail.conf");

  it("loads it: interpolated filters, stock sshd and recidive values, increment from [DEFAULT]", () => {
    expect(config.jails.map((j) => [j.name, j.enabled, j.filter, j.mode])).toEqual([
      ["sshd", false, "sshd", "normal"],
      ["recidive", false, "recidive", "normal"],
    ]);
    expect(config.jails[0]).toMatchObject({
      bantime: 600,
      port: [{ from: 22, to: 22 }],
      ignoreip: ["127.0.0.1/8", "::1", "10.0.0.0/8"],
    });
    expect(config.jails[0].increment).toMatchObject({ enabled: true, maxtime: 604_800, factor: 1 });
    expect(config.jails[1]).toMatchObject({ bantime: 604_800, findtime: 86_400 });
  });

  it("skips disabled jails without a cloudjail filter, and says so once", () => {
    expect(warnings).toContainEqual(
      expect.stringMatching(/3 disabled jail\(s\) .*: dropbear, nginx-http-auth, postfix/),
    );
  });

  it("skips a disabled jail with a bad value, with a warning, instead of failing", () => {
    const { config, warnings } = parse(
      "[sshd]\nenabled = true\n[sshd-backup]\nfilter = sshd\nmaxretry = many\n",
    );
    expect(config.jails.map((j) => j.name)).toEqual(["sshd"]);
    expect(warnings).toContainEqual(
      expect.stringMatching(/jail\.local:5 \[sshd-backup\]: maxretry: .*not enabled, so it is skipped/),
    );
  });

  it("reads the old sshd-ddos jail as sshd in ddos mode", () => {
    expect(jail("[sshd-ddos]\nenabled = true\n", "sshd-ddos")).toMatchObject({
      filter: "sshd",
      mode: "ddos",
    });
  });

  it("warns about includes and each ignored option once", () => {
    expect(warnings).toContainEqual(expect.stringMatching(/jail\.conf:4: \[INCLUDES\]: included files/));
    expect(warnings.filter((w) => w.includes('"backend"'))).toHaveLength(1);
    expect(warnings).toContainEqual(
      expect.stringMatching(/"usedns" is ignored in the cloud: .*never resolves/),
    );
  });

  it("warns that no jail is enabled", () => {
    expect(warnings).toContainEqual(expect.stringMatching(/no jail is enabled/));
  });
});

describe("parseJailConf errors name the file, the line and what is valid", () => {
  const error = (text: string) => {
    try {
      parse(text);
    } catch (caught) {
      expect(caught).toBeInstanceOf(ConfigError);
      return (caught as Error).message;
    }
    throw new Error("expected a ConfigError");
  };

  it("for a bad duration", () => {
    expect(error("[sshd]\nenabled = true\nbantime = soon\n")).toMatch(
      /jail\.local:3 \[sshd\]: bantime: "soon" is not a duration: .*24h/,
    );
  });

  it("for a bad value inherited from [DEFAULT], naming both", () => {
    expect(error("[DEFAULT]\nmaxretry = three\n[sshd]\nenabled = true\n")).toMatch(
      /jail\.local:2 \[DEFAULT\], used by \[sshd\]: maxretry: "three" is not a whole number/,
    );
  });

  it("for a bad boolean, port, mode, CIDR", () => {
    expect(error("[sshd]\nenabled = maybe\n")).toMatch(
      /jail\.local:2 \[sshd\]: enabled: .*use true or false/,
    );
    expect(error("[sshd]\nenabled = true\nport = 70000\n")).toMatch(/jail\.local:3 .*port.*0-65535/);
    expect(error("[sshd]\nenabled = true\nmode = paranoid\n")).toMatch(
      /jail\.local:3 .*normal, ddos, extra, aggressive/,
    );
    expect(error("[sshd]\nenabled = true\nignoreip = 10.0.0.0/33\n")).toMatch(
      /jail\.local:3 .*prefix length/,
    );
  });

  it("for an enabled jail whose filter cloudjail does not have", () => {
    expect(error("[nginx-http-auth]\nenabled = true\nport = http\n")).toMatch(
      /jail\.local:1 \[nginx-http-auth\]: .*filter "nginx-http-auth".*filter = sshd/,
    );
  });

  it("for a custom failregex without <HOST>", () => {
    expect(error("[mine]\nenabled = true\nfailregex = ^failed from \\S+$\n")).toMatch(
      /jail\.local:3 \[mine\]: .*has no <HOST>/,
    );
  });

  it("for an unknown [cloudjail] option", () => {
    expect(error("[cloudjail]\nregion = eu-west-1\n")).toMatch(
      /jail\.local:2 \[cloudjail\]: unknown option "region"; valid options: scope/,
    );
  });
});

describe("the [cloudjail] section", () => {
  it("sets the network ACL settings and the topic", () => {
    const { config } = parse(
      "[sshd]\nenabled = true\n[cloudjail]\nscope = subnet\nvpc_ids = vpc-0123456789abcdef0, vpc-12345678\nnacl_ids = acl-0123abcd\nreserved_rule_range = 100-199\nquota = 40\nrestrict_to_jail_ports = true\ntopic_arn = arn:aws:sns:eu-west-1:123456789012:cloudjail\n",
    );
    expect(config.nacl).toEqual({
      scope: "subnet",
      vpcIds: ["vpc-0123456789abcdef0", "vpc-12345678"],
      naclIds: ["acl-0123abcd"],
      reservedRuleRange: { first: 100, last: 199 },
      quota: 40,
      restrictToJailPorts: true,
    });
    expect(config.topicArn).toBe("arn:aws:sns:eu-west-1:123456789012:cloudjail");
  });

  it("rejects values AWS would reject, saying what is valid", () => {
    expect(() => parse("[cloudjail]\nquota = 50\n")).toThrow(/jail\.local:2 .*at most 40/);
    expect(() => parse("[cloudjail]\nreserved_rule_range = 0-99\n")).toThrow(/1-32766/);
    expect(() => parse("[cloudjail]\nvpc_ids = vpc-xyz\n")).toThrow(/not a VPC id/);
  });
});

describe("custom failregex", () => {
  it("leaves fail2ban's %(__prefix_line)s to the detector instead of failing on it", () => {
    const text =
      "[invalid-users]\nenabled = true\nfailregex = ^%(__prefix_line)sInvalid user \\S+ from <HOST>\n";
    expect(jail(text, "invalid-users").failregex).toEqual([
      "^%(__prefix_line)sInvalid user \\S+ from <HOST>",
    ]);
  });

  it("accepts <ADDR>, <IP4> and <IP6> as the address tag", () => {
    const text = "[a]\nenabled = true\nfailregex = ^x <ADDR>$\n  ^y <IP4>$\n  ^z <IP6>$\n";
    expect(jail(text, "a").failregex).toHaveLength(3);
  });
});
