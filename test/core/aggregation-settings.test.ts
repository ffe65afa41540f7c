import { describe, expect, it } from "vitest";
import { parseConfigJson, parseJailConf } from "../../lambda/core/config";
import { DEFAULT_AGGREGATION } from "../../lambda/core/nacl-settings";

const jails = { sshd: { filter: "sshd" } };

describe("aggregation settings in the JSON configuration", () => {
  it("are off unless asked for, and `true` takes the defaults", () => {
    expect(parseConfigJson({ jails }, "test").nacl.aggregation).toBeUndefined();
    expect(parseConfigJson({ jails, nacl: { aggregation: true } }, "test").nacl.aggregation).toEqual(
      DEFAULT_AGGREGATION,
    );
  });

  it("take the fields given, and survive being resolved twice", () => {
    const once = parseConfigJson(
      {
        jails,
        nacl: { aggregation: { ipv4WidestPrefix: 20, threshold: 5 }, protectedCidrs: ["10.0.1.7/16"] },
      },
      "test",
    );
    expect(once.nacl.aggregation).toEqual({ ...DEFAULT_AGGREGATION, ipv4WidestPrefix: 20, threshold: 5 });
    expect(once.nacl.protectedCidrs).toEqual(["10.0.0.0/16"]);
    expect(parseConfigJson(JSON.parse(JSON.stringify(once)), "again")).toEqual(once);
  });

  it("refuse a widest prefix narrower than the covering prefix, naming the key", () => {
    expect(() =>
      parseConfigJson({ jails, nacl: { aggregation: { ipv4Prefix: 24, ipv4WidestPrefix: 28 } } }, "cfg.json"),
    ).toThrow(/cfg\.json: nacl\.aggregation: .*widest prefix/);
    expect(() => parseConfigJson({ jails, nacl: { protectedCidrs: ["10.0.0.0/33"] } }, "cfg.json")).toThrow(
      /nacl\.protectedCidrs/,
    );
  });
});

describe("aggregation settings in jail.local's [cloudjail] section", () => {
  const jailLocal = (cloudjail: string) => `[sshd]\nenabled = true\n\n[cloudjail]\n${cloudjail}\n`;

  it("turn on with `aggregate = true` or with any aggregation option, and read protected_cidrs", () => {
    expect(parseJailConf(jailLocal("aggregate = true"), "jail.local").config.nacl.aggregation).toEqual(
      DEFAULT_AGGREGATION,
    );
    const { config } = parseJailConf(
      jailLocal(
        "aggregate_ipv4_widest = /20\naggregate_threshold = 4\nprotected_cidrs = 10.0.0.0/16 10.1.0.0/16",
      ),
      "jail.local",
    );
    expect(config.nacl.aggregation).toEqual({ ...DEFAULT_AGGREGATION, ipv4WidestPrefix: 20, threshold: 4 });
    expect(config.nacl.protectedCidrs).toEqual(["10.0.0.0/16", "10.1.0.0/16"]);
  });

  it("stay off with `aggregate = false`, whatever else is set, and off by default", () => {
    expect(
      parseJailConf(jailLocal("aggregate = false\naggregate_threshold = 2"), "jail.local").config.nacl
        .aggregation,
    ).toBeUndefined();
    expect(parseJailConf(jailLocal("quota = 20"), "jail.local").config.nacl.aggregation).toBeUndefined();
  });

  it("name the file and line of a bad value", () => {
    expect(() =>
      parseJailConf(jailLocal("aggregate_ipv4_prefix = 24\naggregate_ipv4_widest = 28"), "jail.local"),
    ).toThrow(/jail\.local:\d+ \[cloudjail\]: .*widest prefix/);
    expect(() => parseJailConf(jailLocal("aggregate_threshold = many"), "jail.local")).toThrow(
      /jail\.local:5/,
    );
  });
});
