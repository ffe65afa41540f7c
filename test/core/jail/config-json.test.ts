import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  DEFAULT_NACL_SETTINGS,
  parseConfigJson,
  parseJailConf,
} from "../../../lambda/core/config";

const messageOf = (value: unknown) => {
  try {
    parseConfigJson(value, "config.json");
  } catch (caught) {
    expect(caught).toBeInstanceOf(ConfigError);
    return (caught as Error).message;
  }
  throw new Error("expected a ConfigError");
};

describe("parseConfigJson", () => {
  it("reads the same settings as the seed article's jail.local to the same configuration", () => {
    const json = parseConfigJson(
      {
        defaults: { ignoreip: "127.0.0.1/8 ::1 103.1.2.3", bantime: 3600, findtime: 300, maxretry: 3 },
        jails: { sshd: { enabled: true } },
      },
      "config.json",
    );
    const ini = parseJailConf(
      readFileSync(join(__dirname, "../../fixtures/config/seed-article.jail.local"), "utf8"),
      "jail.local",
    );
    expect(json).toEqual(ini.config);
  });

  it("reads config/example.json", () => {
    const config = parseConfigJson(
      JSON.parse(readFileSync(join(__dirname, "../../../config/example.json"), "utf8")),
      "example.json",
    );
    expect(config.jails.map((jail) => [jail.name, jail.filter, jail.mode, jail.bantime])).toEqual([
      ["sshd", "sshd", "aggressive", 3600],
      ["recidive", "recidive", "normal", 604_800],
    ]);
    expect(config.jails[0].increment).toEqual({
      enabled: true,
      factor: 1,
      overalljails: false,
      maxtime: 604_800,
      rndtime: 300,
    });
    expect(config.jails[0].port).toEqual([
      { from: 22, to: 22 },
      { from: 2222, to: 2222 },
    ]);
    expect(config.nacl).toEqual({ ...DEFAULT_NACL_SETTINGS, vpcIds: ["vpc-0123456789abcdef0"] });
  });

  it("accepts its own resolved output unchanged (CLOUDJAIL_CONFIG round trip)", () => {
    const first = parseConfigJson(
      {
        jails: [
          {
            name: "sshd",
            enabled: true,
            filter: "sshd[mode=extra]",
            bantime: "24h",
            increment: { enabled: true, multipliers: "1 2 4" },
          },
          { name: "web-ssh", enabled: true, failregex: ["^bad login from <HOST>$"], ignoreregex: "^health" },
        ],
        nacl: { scope: "subnet", naclIds: ["acl-0123abcd"], reservedRuleRange: { first: 10, last: 30 } },
        topicArn: "arn:aws:sns:us-east-1:123456789012:bans",
      },
      "config.json",
    );
    const again = parseConfigJson(JSON.parse(JSON.stringify(first)), "CLOUDJAIL_CONFIG");
    expect(again).toEqual(first);
    expect(first.jails[1]).toMatchObject({
      filter: "custom",
      failregex: ["^bad login from <HOST>$"],
      ignoreregex: ["^health"],
    });
  });

  it("keeps permanent bans permanent", () => {
    expect(parseConfigJson({ jails: { sshd: { enabled: true, bantime: -1 } } }, "c").jails[0].bantime).toBe(
      -1,
    );
  });
});

describe("parseConfigJson errors name the key and what would be valid", () => {
  it("for an unknown key, listing the valid ones", () => {
    expect(messageOf({ jails: { sshd: { maxretries: 3 } } })).toMatch(
      /config\.json: jails\.sshd: unknown key\(s\) maxretries; valid keys: name, enabled, filter, mode/,
    );
    expect(messageOf({ jails: {}, nacls: {} })).toMatch(
      /\(top level\): unknown key\(s\) nacls; valid keys: \$schema, defaults, nacl, topicArn, overflow, enforce, jails/,
    );
  });

  it("for a missing jails key", () => {
    expect(messageOf({})).toMatch(/config\.json: jails: /);
  });

  it("for a bad duration, count, mode and CIDR", () => {
    expect(messageOf({ jails: { sshd: { bantime: "soon" } } })).toMatch(
      /config\.json: jails\.sshd\.bantime: "soon" is not a duration: .*24h/,
    );
    expect(messageOf({ jails: { sshd: { maxretry: 0 } } })).toMatch(
      /jails\.sshd\.maxretry: "0" is not a whole number of 1 or more/,
    );
    expect(messageOf({ jails: { sshd: { mode: "paranoid" } } })).toMatch(/jails\.sshd\.mode: .*"normal"/);
    expect(messageOf({ defaults: { ignoreip: ["10.0.0.0/33"] }, jails: {} })).toMatch(
      /defaults\.ignoreip: .*prefix length/,
    );
  });

  it("for host names in ignoreip, which the cloud does not resolve", () => {
    expect(messageOf({ jails: { sshd: { ignoreip: "bastion.example.com" } } })).toMatch(
      /jails\.sshd\.ignoreip: host names/,
    );
  });

  it("for a jail whose filter cloudjail does not have", () => {
    expect(messageOf({ jails: [{ name: "nginx", enabled: true, filter: "nginx-http-auth" }] })).toMatch(
      /config\.json: jails\[0\]\.filter: .*filter = sshd/,
    );
  });

  it("for a jail defined twice", () => {
    expect(messageOf({ jails: [{ name: "sshd" }, { name: "sshd" }] })).toMatch(
      /jails\[1\]: jail "sshd" is defined twice/,
    );
  });

  it("for NACL settings AWS would reject", () => {
    expect(messageOf({ jails: {}, nacl: { quota: 41 } })).toMatch(/config\.json: nacl\.quota: .*at most 40/);
    expect(messageOf({ jails: {}, nacl: { reservedRuleRange: "50-10" } })).toMatch(
      /nacl\.reservedRuleRange: .*first <= last/,
    );
    expect(messageOf({ jails: {}, topicArn: "my-topic" })).toMatch(/topicArn: .*arn:aws:sns/);
  });
});

describe("parseConfigJson round trip", () => {
  const jailArb = fc.record({
    name: fc.constantFrom("sshd", "ssh-bastion", "recidive", "web-login"),
    enabled: fc.boolean(),
    mode: fc.constantFrom("normal", "ddos", "extra", "aggressive"),
    maxretry: fc.integer({ min: 1, max: 20 }),
    findtime: fc.integer({ min: 1, max: 604_800 }),
    bantime: fc.oneof(fc.constant(-1), fc.integer({ min: 1, max: 31_536_000 })),
    ignoreip: fc.array(fc.oneof(fc.ipV4(), fc.constantFrom("10.0.0.0/8", "2001:db8::/32", "::1")), {
      maxLength: 4,
    }),
    port: fc.option(
      fc.array(
        fc.integer({ min: 0, max: 65_535 }).map((p) => ({ from: p, to: p })),
        { minLength: 1, maxLength: 3 },
      ),
      {
        nil: undefined,
      },
    ),
    increment: fc.record({
      enabled: fc.boolean(),
      factor: fc.double({ min: 0.5, max: 4, noNaN: true }),
      overalljails: fc.boolean(),
      maxtime: fc.option(fc.integer({ min: 1, max: 10_000_000 }), { nil: undefined }),
      rndtime: fc.option(fc.integer({ min: 0, max: 3600 }), { nil: undefined }),
      multipliers: fc.option(fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 5 }), {
        nil: undefined,
      }),
    }),
  });

  it("reads any resolved configuration back unchanged", () => {
    fc.assert(
      fc.property(fc.uniqueArray(jailArb, { selector: (jail) => jail.name, maxLength: 4 }), (jails) => {
        const input = {
          jails: jails.map(({ port, increment, ...jail }) => ({
            ...jail,
            ...(port ? { port } : {}),
            filter: jail.name === "recidive" ? "recidive" : jail.name === "web-login" ? "custom" : "sshd",
            ...(jail.name === "web-login" ? { failregex: ["^login failed from <HOST>$"] } : {}),
            increment: Object.fromEntries(
              Object.entries(increment).filter(([, value]) => value !== undefined),
            ),
          })),
        };
        const first = parseConfigJson(input, "generated");
        expect(parseConfigJson(JSON.parse(JSON.stringify(first)), "CLOUDJAIL_CONFIG")).toEqual(first);
      }),
      { numRuns: 200 },
    );
  });
});
